"""Fixtures of the transport tests: servers and clients on 127.0.0.1, closed after each test."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator

import gevent.event
import pytest
import zmq
import zmq.green as zmq_green

from swarm.rpc.zmq import ZmqClient, ZmqServer


class LogWatch(logging.Handler):
    """Collects the log records of ``swarm.rpc`` and lets a test block until one appears."""

    def __init__(self) -> None:
        super().__init__(logging.DEBUG)
        self.records: list[logging.LogRecord] = []
        self._arrived = gevent.event.Event()

    def emit(self, record: logging.LogRecord) -> None:
        self.records.append(record)
        self._arrived.set()

    def messages(self, level: int = logging.DEBUG) -> list[str]:
        return [r.getMessage() for r in self.records if r.levelno >= level]

    def wait_for(self, text: str, level: int) -> str:
        """The first message at ``level`` or above holding ``text``; the caller bounds the wait."""
        while True:
            found = [m for m in self.messages(level) if text in m]
            if found:
                return found[0]
            self._arrived.clear()
            self._arrived.wait()


@pytest.fixture
def rpc_log() -> Iterator[LogWatch]:
    watch = LogWatch()
    logger = logging.getLogger("swarm.rpc")
    logger.addHandler(watch)
    try:
        yield watch
    finally:
        logger.removeHandler(watch)


@pytest.fixture
def closing() -> Iterator[Callable[..., object]]:
    """``closing(x)`` returns ``x`` and closes it when the test ends (last opened, first closed)."""
    opened: list[object] = []

    def register(thing: object) -> object:
        opened.append(thing)
        return thing

    yield register
    for thing in reversed(opened):
        thing.close()  # type: ignore[attr-defined]  # every registered object has close()


@pytest.fixture
def server(closing: Callable[..., object]) -> ZmqServer:
    return closing(ZmqServer("127.0.0.1", 0))  # type: ignore[return-value]  # closing is generic


@pytest.fixture
def connect(closing: Callable[..., object]) -> Callable[..., ZmqClient]:
    """``connect(server_or_port, node_id, secret=None, **kwargs)``: closed after the test."""

    def make(target: ZmqServer | int, node_id: str, secret: str | None = None, **kwargs: object):
        port = target if isinstance(target, int) else target.port
        return closing(ZmqClient("127.0.0.1", port, node_id, secret, **kwargs))

    return make


@pytest.fixture
def raw_context() -> Iterator[zmq.Context]:
    """A context for hand-made sockets that speak below the transport (garbage tests)."""
    context = zmq_green.Context()
    context.setsockopt(zmq.LINGER, 0)
    yield context
    context.destroy(linger=0)
