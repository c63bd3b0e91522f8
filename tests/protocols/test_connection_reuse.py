"""Kept-alive connections that the server closed are noticed before reuse, not failed on."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from gevent.event import Event
from gevent.server import StreamServer

from swarm.event import Events
from swarm.protocols.http import HttpSession


class ClosingServer:
    """Answers one request per connection, promising keep-alive, then hangs up."""

    def __init__(self) -> None:
        self.connections = 0
        self.closed = Event()
        self.server = StreamServer(("127.0.0.1", 0), self.handle)

    def handle(self, sock, _address) -> None:
        self.connections += 1
        data = b""
        while b"\r\n\r\n" not in data:
            chunk = sock.recv(4096)
            if not chunk:
                return
            data += chunk
        sock.sendall(b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\nConnection: keep-alive\r\n\r\nok")
        sock.close()
        self.closed.set()


@pytest.fixture
def closing_server() -> Iterator[ClosingServer]:
    server = ClosingServer()
    server.server.start()
    yield server
    server.server.stop()


def test_a_connection_closed_by_the_server_is_replaced(closing_server: ClosingServer) -> None:
    events = Events()
    failures: list[object] = []

    def record(exception: object) -> None:
        failures.append(exception)

    events.request.add_listener(record)
    port = closing_server.server.server_port
    session = HttpSession(f"http://127.0.0.1:{port}", events.request)
    assert session.get("/one").text == "ok"
    closing_server.closed.wait(timeout=10)
    closing_server.closed.clear()
    second = session.get("/two")
    assert second.status_code == 200 and second.text == "ok"
    assert failures == [None, None]
    assert closing_server.connections == 2
