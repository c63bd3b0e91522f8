"""A raw HTTP/1.1 server on 127.0.0.1 whose answer is chosen by the request path.

Each route returns the exact bytes to send and whether to keep the connection open afterwards,
so tests can serve well-formed, compressed, slow and malformed responses alike.
"""

from __future__ import annotations

import gzip
import random
import zlib
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import BinaryIO

import gevent
from gevent.event import Event
from gevent.server import StreamServer


@dataclass
class Received:
    method: str
    path: str
    headers: dict[str, str]
    body: bytes


Route = Callable[["RawServer", Received], tuple[bytes, bool]]


def ok(body: bytes, *headers: str, status: str = "200 OK") -> bytes:
    head = "".join(f"{h}\r\n" for h in headers)
    return f"HTTP/1.1 {status}\r\nContent-Length: {len(body)}\r\n{head}\r\n".encode() + body


def chunked(*parts: bytes) -> bytes:
    chunks = b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts)
    return b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n" + chunks + b"0\r\n\r\n"


#: The body of the ``/big*`` routes: 256 KiB that do not compress, so they span many reads.
BIG = random.Random(6).randbytes(256 * 1024)


@cache
def _big_gzip() -> bytes:
    return ok(gzip.compress(BIG), "Content-Encoding: gzip")


def _slow(server: RawServer, request: Received) -> tuple[bytes, bool]:
    server.release.wait(timeout=5)  # the test's short client timeout fires long before
    return ok(b"late"), True


ROUTES: dict[str, Route] = {
    "/": lambda s, r: (ok(b"hello"), True),
    "/echo": lambda s, r: (ok(r.body, "X-Method: " + r.method), True),
    "/chunked": lambda s, r: (chunked(b"hel", b"lo ", b"world"), True),
    "/gzip": lambda s, r: (ok(gzip.compress(b"zipped" * 100), "Content-Encoding: gzip"), True),
    "/deflate": lambda s, r: (ok(zlib.compress(b"deflated"), "Content-Encoding: deflate"), True),
    "/close": lambda s, r: (ok(b"bye", "Connection: close"), False),
    "/extra": lambda s, r: (ok(b"asked") + ok(b"not asked"), True),
    "/until-close": lambda s, r: (b"HTTP/1.1 200 OK\r\n\r\nall of it", False),
    "/drop-after": lambda s, r: (ok(b"kept?"), False),
    "/silent-close": lambda s, r: (b"", False),
    "/cookies": lambda s, r: (ok(b"", "Set-Cookie: a=1", "Set-Cookie: b=2"), True),
    "/slow": _slow,
    "/bad-status": lambda s, r: (b"HTTP/1.1 abc OK\r\n\r\n", False),
    "/bad-chunk": lambda s, r: (
        b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\nzz\r\n",
        False,
    ),
    "/truncated": lambda s, r: (b"HTTP/1.1 200 OK\r\nContent-Length: 100\r\n\r\nshort", False),
    "/huge-headers": lambda s, r: (ok(b"", "X-Big: " + "a" * 100_000), False),
    "/big": lambda s, r: (ok(BIG), True),
    "/big-chunked": lambda s, r: (
        chunked(*(BIG[i : i + 5000] for i in range(0, len(BIG), 5000))),
        True,
    ),
    "/big-until-close": lambda s, r: (b"HTTP/1.1 200 OK\r\n\r\n" + BIG, False),
    "/big-gzip": lambda s, r: (_big_gzip(), True),
}


def _read_request(reader: BinaryIO) -> Received | None:
    line = reader.readline()
    if not line:
        return None
    method, path, _ = line.decode().split(" ", 2)
    headers: dict[str, str] = {}
    while (header := reader.readline()) not in (b"\r\n", b""):
        name, _, value = header.decode().partition(":")
        headers[name.strip().lower()] = value.strip()
    body = reader.read(int(headers.get("content-length", "0")))
    return Received(method, path, headers, body)


class RawServer:
    """The server; ``connections`` counts accepted sockets, ``requests`` holds what arrived."""

    def __init__(self) -> None:
        self.connections = 0
        self.requests: list[Received] = []
        self.release = Event()
        self._server = StreamServer(("127.0.0.1", 0), self._handle)

    @property
    def port(self) -> int:
        return int(self._server.server_port)

    def start(self) -> None:
        self._server.start()

    def stop(self) -> None:
        self.release.set()
        self._server.stop(timeout=1)

    def _handle(self, sock: gevent.socket.socket, _address: object) -> None:
        self.connections += 1
        reader = sock.makefile("rb")
        try:
            while (request := _read_request(reader)) is not None:
                self.requests.append(request)
                payload, keep_open = ROUTES[request.path](self, request)
                if request.method == "HEAD":
                    payload = payload.partition(b"\r\n\r\n")[0] + b"\r\n\r\n"
                sock.sendall(payload)
                if not keep_open:
                    break
        finally:
            reader.close()
            sock.close()
