"""Command line: ``python -m gpu_sim --port 9400 --gpus 2 --mode auto``."""

from __future__ import annotations

import argparse
import logging
import signal
import socket
import sys
from collections.abc import Sequence
from types import FrameType

from gpu_sim.backend import MODES, SimBackend, select_backend
from gpu_sim.errors import BackendUnavailableError, GpuSimError
from gpu_sim.server import AdminApp, ExporterServer
from gpu_sim.simulator import MAX_GPUS, RealTimeDriver, SimConfig

LOG = logging.getLogger("gpu_sim")
MAX_TIME_SCALE = 10_000.0
MAX_PORT = 65535


def _bounded_int(what: str, low: int, high: int, text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{what} must be an integer, got {text!r}") from None
    if not low <= value <= high:
        raise argparse.ArgumentTypeError(f"{what} must be in [{low}, {high}], got {value}")
    return value


def _port(text: str) -> int:
    return _bounded_int("port", 0, MAX_PORT, text)


def _gpus(text: str) -> int:
    return _bounded_int("gpu count", 1, MAX_GPUS, text)


def _time_scale(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"time scale must be a number, got {text!r}") from None
    if not 0 < value <= MAX_TIME_SCALE:
        raise argparse.ArgumentTypeError(f"time scale must be in (0, {MAX_TIME_SCALE:g}]")
    return value


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m gpu_sim",
        description="DCGM-exporter compatible GPU metrics from simulated (or real) NVIDIA GPUs,"
        " with an admin API to inject faults into the simulated ones.",
    )
    parser.add_argument("--port", type=_port, default=9400, help="listen port (0: any free port)")
    parser.add_argument("--bind", default="127.0.0.1", help="listen address (default 127.0.0.1)")
    parser.add_argument("--gpus", type=_gpus, default=2, help="number of simulated GPUs")
    parser.add_argument(
        "--mode",
        choices=MODES,
        default="auto",
        help="auto: real GPUs when NVML finds any, else the simulator; sim; real (fail if none)",
    )
    parser.add_argument(
        "--time-scale",
        type=_time_scale,
        default=1.0,
        help="simulated seconds per real second (10: heats 10x faster)",
    )
    parser.add_argument("--hostname", default=None, help="Hostname label (default: this host)")
    parser.add_argument(
        "--log-level",
        default="INFO",
        choices=("DEBUG", "INFO", "WARNING", "ERROR"),
    )
    return parser


def _raise_interrupt(signum: int, _frame: FrameType | None) -> None:
    raise KeyboardInterrupt(f"signal {signum}")


def main(argv: Sequence[str] | None = None) -> int:
    """Run the exporter until interrupted; return the process exit status."""
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=args.log_level,
        stream=sys.stderr,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    try:
        backend, _reason = select_backend(args.mode, SimConfig(gpu_count=args.gpus))
    except BackendUnavailableError as exc:
        print(f"gpu_sim: error: {exc}", file=sys.stderr)
        return 1
    driver = None
    if isinstance(backend, SimBackend):
        driver = RealTimeDriver(backend.simulator, time_scale=args.time_scale)
    app = AdminApp(
        backend,
        hostname=args.hostname or socket.gethostname(),
        time_scale=args.time_scale if driver else None,
    )
    try:
        server = ExporterServer(args.bind, args.port, app)
    except OSError as exc:
        print(f"gpu_sim: error: cannot listen on {args.bind}:{args.port}: {exc}", file=sys.stderr)
        backend.close()
        return 1
    return _serve(server, driver, args.bind)


def _serve(server: ExporterServer, driver: RealTimeDriver | None, host: str) -> int:
    signal.signal(signal.SIGTERM, _raise_interrupt)
    if driver is not None:
        driver.start()
    backend = server.app.backend
    url = f"http://{host}:{server.port}/metrics"
    print(f"gpu_sim: serving {backend.device_count()} GPU(s) (mode={backend.mode}) on {url}", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        LOG.info("shutting down")
    finally:
        if driver is not None:
            driver.stop()
        server.server_close()
        backend.close()
    return 0


def run() -> None:
    """Console-script entry point."""
    try:
        sys.exit(main())
    except GpuSimError as exc:
        print(f"gpu_sim: error: {exc}", file=sys.stderr)
        sys.exit(1)
