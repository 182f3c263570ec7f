"""python -m synthetic_services <service> --host H --port N [--log-file PATH] [--downstream NAME=URL ...]
[--version V];  python -m synthetic_services sink --port N --smtp-port M

Environment: OTEL_EXPORTER_OTLP_ENDPOINT (spans exported over OTLP/HTTP when set), OTEL_TRACES_SAMPLER_ARG
(parent-based trace-id ratio, default 1.0)."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from synthetic_services.platform import SERVICES, SINK


def _downstream(value: str) -> tuple[str, str]:
    name, sep, url = value.partition("=")
    if not sep or not name or not url.startswith(("http://", "https://")):
        raise argparse.ArgumentTypeError(f"expected NAME=http://host:port, got {value!r}")
    return name, url


def parse(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m synthetic_services")
    parser.add_argument("service", choices=(*SERVICES, SINK))
    parser.add_argument("--host", default="127.0.0.1", help="bind address (containers pass 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--smtp-port", type=int, default=1025, help="sink only")
    parser.add_argument("--log-file", type=Path, default=None, help="also write the JSON logs to this file")
    parser.add_argument("--downstream", type=_downstream, action="append", default=[], metavar="NAME=URL",
                        help="base URL of a service this one calls (default http://NAME:8000)")
    parser.add_argument("--version", dest="svc_version", default="1.0.0", help="service.version / log version")
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    args = parse(argv)
    if args.service == SINK:
        from synthetic_services import sink

        sink.serve(args.port, args.smtp_port, args.host)
        return 0
    from synthetic_services.catalog import build_app
    from synthetic_services.logs import configure_root

    try:
        app = build_app(args.service, version=args.svc_version, log_file=args.log_file,
                        downstreams=dict(args.downstream))
    except ValueError as exc:
        print(f"python -m synthetic_services: {exc}", file=sys.stderr)
        return 2
    configure_root(app.log)
    app.serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
