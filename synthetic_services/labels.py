"""Label values from request bodies, bounded so a client cannot blow up metric cardinality."""

from __future__ import annotations

import re
from typing import Any

PLAN_TYPES = ("free", "basic", "premium", "enterprise")
SOURCES = ("web", "mobile", "api", "referral", "organic", "campaign")
USER_TYPES = ("free", "basic", "premium", "enterprise", "anonymous")
_NAME = re.compile(r"^[A-Za-z0-9._:-]{1,48}$")


def choice(value: Any, allowed: tuple[str, ...], default: str) -> str:
    """``value`` when it is one of ``allowed``; ``default`` when missing; ``other`` otherwise."""
    if value is None or value == "":
        return default
    return value if value in allowed else "other"


def name(value: Any, default: str) -> str:
    """A short identifier (model names): ``default`` when missing, ``other`` when not identifier-like."""
    if value is None or value == "":
        return default
    return value if isinstance(value, str) and _NAME.match(value) else "other"
