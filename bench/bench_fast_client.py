"""Requests per second of swarm's fast client over one keep-alive connection.

A minimal gevent HTTP/1.1 server (``GET /`` -> ``ok``) runs in a child process on 127.0.0.1, so
the figure is the client's own cost (plus the loopback); the parent sends ``--requests``
requests back to back through one ``Connection`` and prints the rate, best of ``--rounds``.
Not run by the tests.

    .venv/bin/python bench/bench_fast_client.py [--requests 20000] [--rounds 3]
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import time

_RESPONSE = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nContent-Type: text/plain\r\n\r\nok"


def serve() -> None:
    """The child: answer every request on every connection with ``ok``; print the port."""
    from gevent import monkey  # noqa: PLC0415 -- only the child server patches here

    monkey.patch_all()
    from gevent.server import StreamServer  # noqa: PLC0415 -- after the child's patch

    def handle(sock: object, _address: object) -> None:
        buffered = b""
        while data := sock.recv(65536):  # type: ignore[attr-defined]  # a gevent socket
            buffered += data
            # Requests of this benchmark have no body: each ends at its blank line.
            while b"\r\n\r\n" in buffered:
                _, _, buffered = buffered.partition(b"\r\n\r\n")
                sock.sendall(_RESPONSE)  # type: ignore[attr-defined]  # a gevent socket

    server = StreamServer(("127.0.0.1", 0), handle)
    server.start()
    print(server.server_port, flush=True)
    server.serve_forever()


def measure(port: int, requests: int, layer: str) -> tuple[float, float]:
    """Requests per second and client CPU µs per request of ``requests`` GETs on one
    connection, through the bare ``Connection`` or through ``FastHttpSession`` (requests-like
    API, request event and statistics included, as a FastHttpUser's request)."""
    # after swarm's patch
    from swarm.event import Events  # noqa: PLC0415
    from swarm.protocols.fast import Connection  # noqa: PLC0415
    from swarm.protocols.fasthttp import FastHttpSession  # noqa: PLC0415
    from swarm.stats import RequestStats  # noqa: PLC0415

    if layer == "connection":
        connection = Connection("127.0.0.1", port, timeout=5)
        headers = [("User-Agent", "swarm-bench")]

        def one() -> None:
            connection.request("GET", "/", headers)

        close = connection.close
    else:
        events = Events()
        stats = RequestStats()
        events.request.add_listener(stats.on_request)
        session = FastHttpSession(f"http://127.0.0.1:{port}", events.request)

        def one() -> None:
            session.get("/")

        close = session.close
    started, cpu = time.perf_counter(), time.process_time()
    for _ in range(requests):
        one()
    elapsed, cpu = time.perf_counter() - started, time.process_time() - cpu
    close()
    return requests / elapsed, cpu / requests * 1e6


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--requests", type=int, default=20000)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--layer", choices=["connection", "session", "both"], default="both")
    parser.add_argument("--serve", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        serve()
        return
    import swarm  # noqa: F401, PLC0415 -- patches gevent, only in the client process

    child = subprocess.Popen(
        [sys.executable, __file__, "--serve"], stdout=subprocess.PIPE, text=True
    )
    try:
        assert child.stdout is not None  # stdout=PIPE
        port = int(child.stdout.readline())
        layers = ["connection", "session"] if args.layer == "both" else [args.layer]
        for layer in layers:
            rounds = [measure(port, args.requests, layer) for _ in range(args.rounds)]
            rate = max(r for r, _ in rounds)
            cpu = min(c for _, c in rounds)
            print(
                f"{layer:>10}: {rate:>9,.0f} req/s, {cpu:5.1f} µs client CPU per request"
                f" (best of {args.rounds})"
            )
    finally:
        child.terminate()
        child.wait()


if __name__ == "__main__":
    main()
