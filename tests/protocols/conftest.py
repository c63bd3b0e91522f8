"""A demo target on 127.0.0.1 (no latency, no random errors), an event bus whose request
fires are recorded, and an ``HttpSession`` on the target reporting to that bus.
"""

from __future__ import annotations

import socket
from collections.abc import Iterator
from typing import Any

import pytest

from swarm.demo import DemoTarget
from swarm.event import Events
from swarm.protocols.fasthttp import FastHttpSession
from swarm.protocols.http import HttpSession


@pytest.fixture
def target() -> Iterator[DemoTarget]:
    with DemoTarget(latency_scale=0, error_rate=0) as demo:
        yield demo


@pytest.fixture
def events() -> Events:
    return Events()


@pytest.fixture
def fired(events: Events) -> list[dict[str, Any]]:
    """Every request fire, in order, with all its arguments."""
    calls: list[dict[str, Any]] = []

    def record(**kwargs: Any) -> None:
        calls.append(kwargs)

    events.request.add_listener(record)
    return calls


@pytest.fixture
def session(target: DemoTarget, events: Events) -> Iterator[HttpSession]:
    client = HttpSession(target.url, events.request)
    yield client
    client.close()


@pytest.fixture
def closed_port() -> int:
    """A port on 127.0.0.1 that was free a moment ago and has no listener now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@pytest.fixture(params=["HttpSession", "FastHttpSession"])
def make_session(request: pytest.FixtureRequest, events: Events) -> Iterator[Any]:
    """Makes sessions of both HTTP clients on a base URL: tests using it run once for each,
    since both promise the same behaviour."""
    made: list[Any] = []

    def make(base_url: str, **kwargs: Any) -> Any:
        kind = HttpSession if request.param == "HttpSession" else FastHttpSession
        client = kind(base_url, events.request, **kwargs)
        made.append(client)
        return client

    yield make
    for client in made:
        client.close()
