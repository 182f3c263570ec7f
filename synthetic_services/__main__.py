"""python -m synthetic_services <service> [--port N] [--host H] [--log-file PATH]"""

from __future__ import annotations

import argparse
import sys

SERVICES = ("backend", "sink")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m synthetic_services")
    parser.add_argument("service", choices=SERVICES)
    parser.add_argument("--host", default="127.0.0.1", help="bind address (containers pass 0.0.0.0)")
    parser.add_argument("--port", type=int, default=8000)
    parser.add_argument("--smtp-port", type=int, default=1025, help="sink only")
    parser.add_argument("--log-file", default=None, help="also write JSON logs to this file")
    parser.add_argument("--version", dest="svc_version", default="1.0.0")
    args = parser.parse_args(argv)
    if args.service == "sink":
        from synthetic_services import sink

        sink.serve(args.port, args.smtp_port, args.host)
        return 0
    from synthetic_services import backend
    from synthetic_services.app import ServiceApp

    app = backend.build(ServiceApp(args.service, args.svc_version, args.log_file))
    app.serve(args.host, args.port)
    return 0


if __name__ == "__main__":
    sys.exit(main())
