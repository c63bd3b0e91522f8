"""A minimal RFC 6455 WebSocket server on 127.0.0.1 for the tests, over gevent sockets.

It echoes text and binary messages, except for a few text commands that make it misbehave
the way real servers do:

- ``drop``: closes the TCP connection without a close frame;
- ``close``: sends a close frame (code 1000, reason ``bye``) and closes;
- ``quiet``: answers nothing;
- ``noisy <text>``: sends ``noise 1``, ``noise 2`` (broadcasts for other users), then ``<text>``.

A handshake for the path ``/forbidden`` is refused with 403. The server records each
handshake's path and headers in ``handshakes``.
"""

from __future__ import annotations

import base64
import hashlib
import struct
from collections.abc import Callable
from typing import Any

from gevent.server import StreamServer

_GUID = b"258EAFA5-E914-47DA-95CA-C5AB0DC85B11"
TEXT, BINARY, CLOSE, PING, PONG = 0x1, 0x2, 0x8, 0x9, 0xA


def accept_key(key: str) -> str:
    """The Sec-WebSocket-Accept value for a Sec-WebSocket-Key (RFC 6455, section 4.2.2)."""
    return base64.b64encode(hashlib.sha1(key.encode() + _GUID).digest()).decode()


def frame(opcode: int, payload: bytes) -> bytes:
    """An unmasked, final server frame."""
    n = len(payload)
    if n < 126:
        header = struct.pack("!BB", 0x80 | opcode, n)
    elif n < 1 << 16:
        header = struct.pack("!BBH", 0x80 | opcode, 126, n)
    else:
        header = struct.pack("!BBQ", 0x80 | opcode, 127, n)
    return header + payload


def read_frame(stream: Any) -> tuple[int, bytes] | None:
    """The next client frame as (opcode, unmasked payload); None at end of stream."""
    head = stream.read(2)
    if len(head) < 2:
        return None
    opcode, length = head[0] & 0x0F, head[1] & 0x7F
    if length == 126:
        (length,) = struct.unpack("!H", stream.read(2))
    elif length == 127:
        (length,) = struct.unpack("!Q", stream.read(8))
    mask = stream.read(4) if head[1] & 0x80 else b"\0\0\0\0"
    data = stream.read(length)
    return opcode, bytes(b ^ mask[i % 4] for i, b in enumerate(data))


class WebSocketServer:
    """The server, started by ``with WebSocketServer() as server`` on an ephemeral port."""

    def __init__(self) -> None:
        self._server = StreamServer(("127.0.0.1", 0), self._handle)
        self.handshakes: list[tuple[str, dict[str, str]]] = []

    def __enter__(self) -> WebSocketServer:
        self._server.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._server.stop(timeout=1)

    @property
    def url(self) -> str:
        """``ws://127.0.0.1:<port>``."""
        return f"ws://127.0.0.1:{self._server.server_port}"

    def _handle(self, sock: Any, _address: Any) -> None:
        stream = sock.makefile("rb")
        try:
            if self._handshake(sock, stream):
                self._serve(sock, stream)
        finally:
            stream.close()
            sock.close()

    def _handshake(self, sock: Any, stream: Any) -> bool:
        path = stream.readline().decode().split()[1]
        headers: dict[str, str] = {}
        for _ in range(100):
            line = stream.readline().decode().strip()
            if not line:
                break
            key, _, value = line.partition(":")
            headers[key.strip().lower()] = value.strip()
        self.handshakes.append((path, headers))
        if path == "/forbidden":
            sock.sendall(b"HTTP/1.1 403 Forbidden\r\nContent-Length: 0\r\n\r\n")
            return False
        sock.sendall(
            b"HTTP/1.1 101 Switching Protocols\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n"
            b"Sec-WebSocket-Accept: "
            + accept_key(headers["sec-websocket-key"]).encode()
            + b"\r\n\r\n"
        )
        return True

    def _serve(self, sock: Any, stream: Any) -> None:
        while (received := read_frame(stream)) is not None:
            opcode, payload = received
            if opcode == CLOSE:
                sock.sendall(frame(CLOSE, payload[:2]))
                return
            if opcode == PING:
                sock.sendall(frame(PONG, payload))
            elif opcode == BINARY:
                sock.sendall(frame(BINARY, payload))
            elif opcode == TEXT and not self._command(sock, payload.decode()):
                return

    def _command(self, sock: Any, text: str) -> bool:
        """Answer one text message; False when the connection is to end."""
        word, _, rest = text.partition(" ")
        action = _COMMANDS.get(word)
        if action is None:
            sock.sendall(frame(TEXT, text.encode()))
            return True
        return action(sock, rest)


def _drop(_sock: Any, _rest: str) -> bool:
    return False


def _close(sock: Any, _rest: str) -> bool:
    sock.sendall(frame(CLOSE, struct.pack("!H", 1000) + b"bye"))
    return False


def _quiet(_sock: Any, _rest: str) -> bool:
    return True


def _noisy(sock: Any, rest: str) -> bool:
    for message in ("noise 1", "noise 2", rest):
        sock.sendall(frame(TEXT, message.encode()))
    return True


_COMMANDS: dict[str, Callable[[Any, str], bool]] = {
    "drop": _drop,
    "close": _close,
    "quiet": _quiet,
    "noisy": _noisy,
}
