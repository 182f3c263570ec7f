"""The platform's services: how long a caller waits, what each one installs (who calls whom:
synthetic_services.platform)."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthetic_services import ai_generation, backend, cv_analyzer, frontend, gateway, payments
from synthetic_services.app import AppConfig, ServiceApp
from synthetic_services.downstream import default_urls
from synthetic_services.platform import DOWNSTREAMS


@dataclass(frozen=True)
class ServiceDef:
    timeout_s: float  # per downstream call; longer upstream, so the innermost failure answers first
    install: Callable[[ServiceApp], None]


# One entry per name of synthetic_services.platform.SERVICES (tests/unit/test_platform_contract.py).
CATALOG: dict[str, ServiceDef] = {
    "frontend": ServiceDef(30.0, frontend.install),
    "gateway": ServiceDef(20.0, gateway.install),
    "backend": ServiceDef(10.0, backend.install),
    "cv-analyzer": ServiceDef(5.0, cv_analyzer.install),
    "ai-generation": ServiceDef(5.0, ai_generation.install),
    "payments": ServiceDef(5.0, payments.install),
}


def build_app(name: str, *, version: str = "1.0.0", log_file: Path | None = None,
              downstreams: Mapping[str, str] | None = None, **config: Any) -> ServiceApp:
    """The service ``name`` with its routes and faults; ``downstreams`` overrides the default
    ``http://NAME:PORT`` base URLs; ``config`` passes further AppConfig fields."""
    service = CATALOG[name]
    calls = DOWNSTREAMS.get(name, ())
    urls = default_urls(calls)
    unknown = sorted(set(downstreams or {}) - set(calls))
    if unknown:
        raise ValueError(f"--downstream {unknown[0]}: {name} calls only {', '.join(calls) or 'none'}")
    urls.update(downstreams or {})
    app = ServiceApp(AppConfig(name, version, log_file, downstreams=urls, downstream_timeout_s=service.timeout_s,
                               **config))
    service.install(app)
    return app
