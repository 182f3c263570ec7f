"""The platform's services: who calls whom, how long a caller waits, what each one installs."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from synthetic_services import ai_generation, backend, cv_analyzer, gateway, payments
from synthetic_services.app import AppConfig, ServiceApp
from synthetic_services.downstream import default_urls


@dataclass(frozen=True)
class ServiceDef:
    downstreams: tuple[str, ...]
    timeout_s: float  # per downstream call; longer upstream, so the innermost failure answers first
    install: Callable[[ServiceApp], None]


CATALOG: dict[str, ServiceDef] = {
    "gateway": ServiceDef(("backend",), 20.0, gateway.install),
    "backend": ServiceDef(("cv-analyzer", "ai-generation", "payments"), 10.0, backend.install),
    "cv-analyzer": ServiceDef((), 5.0, cv_analyzer.install),
    "ai-generation": ServiceDef(("payments",), 5.0, ai_generation.install),
    "payments": ServiceDef((), 5.0, payments.install),
}


def build_app(name: str, *, version: str = "1.0.0", log_file: Path | None = None,
              downstreams: Mapping[str, str] | None = None, **config: Any) -> ServiceApp:
    """The service ``name`` with its routes and faults; ``downstreams`` overrides the default
    ``http://NAME:8000`` base URLs; ``config`` passes further AppConfig fields."""
    service = CATALOG[name]
    urls = default_urls(service.downstreams)
    unknown = sorted(set(downstreams or {}) - set(service.downstreams))
    if unknown:
        raise ValueError(f"--downstream {unknown[0]}: {name} calls only {', '.join(service.downstreams) or 'none'}")
    urls.update(downstreams or {})
    app = ServiceApp(AppConfig(name, version, log_file, downstreams=urls, downstream_timeout_s=service.timeout_s,
                               **config))
    service.install(app)
    return app
