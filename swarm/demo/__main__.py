"""``python -m swarm.demo``: serve the demo shop in the foreground until SIGINT or SIGTERM."""

from __future__ import annotations

import argparse
import signal
import sys

import gevent
from gevent.event import Event

from swarm.demo.target import DemoTarget


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(
        prog="python -m swarm.demo", description="Serve swarm's demo shop over HTTP."
    )
    parser.add_argument("--host", default="127.0.0.1", help="address to bind (127.0.0.1)")
    parser.add_argument("--port", type=int, default=8080, help="port; 0 picks a free one (8080)")
    parser.add_argument("--seed", type=int, default=None, help="seed of latencies and errors")
    parser.add_argument(
        "--latency-scale", type=float, default=1.0, help="multiply every latency (1.0; 0 = none)"
    )
    parser.add_argument(
        "--error-rate", type=float, default=0.02, help="share of checkouts failing (0.02)"
    )
    return parser.parse_args(argv)


def main(argv: list[str] | None = None) -> int:
    """Serve until SIGINT or SIGTERM, then stop cleanly; the exit code (0, or 1 when the
    address cannot be bound).
    """
    args = parse_args(argv)
    target = DemoTarget(args.host, args.port, args.seed, args.latency_scale, args.error_rate)
    try:
        target.start()
    except OSError as e:
        print(f"cannot listen on {args.host}:{args.port}: {e}", file=sys.stderr)
        return 1
    stop = Event()
    handlers = [gevent.signal_handler(s, stop.set) for s in (signal.SIGINT, signal.SIGTERM)]
    print(f"swarm demo shop on {target.url} (Ctrl-C to stop)", flush=True)
    stop.wait()
    for handler in handlers:
        handler.cancel()
    target.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
