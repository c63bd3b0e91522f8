"""WebSocketClient and WebSocketUser against a real WebSocket server on 127.0.0.1.

Every operation must land in the statistics as one request of type WS, the target's
misbehaviour (refusals, drops, closes, silence) as failures, never as exceptions in the user.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from websocket_server import WebSocketServer

from swarm.env import Environment
from swarm.event import Events
from swarm.protocols.websocket import WebSocketClient, WebSocketUser, websocket_url


class Recorder:
    """The request events fired, as (name, length, error or None)."""

    def __init__(self) -> None:
        self.events = Events()
        self.seen: list[tuple[str, int, str | None]] = []
        self.events.request.add_listener(self._record)

    def _record(
        self, request_type: str, name: str, response_length: int, exception: Any, **_: Any
    ) -> None:
        assert request_type == "WS"
        self.seen.append((name, response_length, None if exception is None else str(exception)))


@pytest.fixture
def server() -> Iterator[WebSocketServer]:
    with WebSocketServer() as running:
        yield running


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


def client(server: WebSocketServer, recorder: Recorder, **options: Any) -> WebSocketClient:
    return WebSocketClient(server.url, recorder.events.request, timeout=5, **options)


def test_connect_send_and_receive_are_each_one_request(
    server: WebSocketServer, recorder: Recorder
) -> None:
    ws = client(server, recorder)
    assert ws.connect("/chat", headers={"X-Team": "blue"})
    assert ws.send("hello")
    assert ws.receive() == "hello"
    assert ws.send(b"\x00\x01", name="blob")
    assert ws.receive(name="blob") == b"\x00\x01"
    ws.close()
    assert recorder.seen == [
        ("connect /chat", 0, None),
        ("send /chat", 5, None),
        ("recv /chat", 5, None),
        ("send blob", 2, None),
        ("recv blob", 2, None),
    ]
    assert server.handshakes[0][0] == "/chat"
    assert server.handshakes[0][1]["x-team"] == "blue"


def test_request_waits_for_the_matching_reply_and_skips_the_rest(
    server: WebSocketServer, recorder: Recorder
) -> None:
    ws = client(server, recorder)
    ws.connect("/")
    reply = ws.request("noisy answer 42", match=lambda m: str(m).startswith("answer"), name="q")
    assert reply == "answer 42"
    ws.close()
    assert [name for name, _, _ in recorder.seen] == ["connect /", "send q", "recv q"]


def test_silence_is_a_failed_receive_not_an_exception(
    server: WebSocketServer, recorder: Recorder
) -> None:
    ws = client(server, recorder)
    ws.connect("/")
    ws.send("quiet")
    assert ws.receive(timeout=0.05) is None
    name, _, error = recorder.seen[-1]
    assert name == "recv /" and error is not None
    assert ws.connected  # a timeout does not drop the connection
    ws.close()


def test_a_close_from_the_server_is_a_failure_naming_its_code(
    server: WebSocketServer, recorder: Recorder
) -> None:
    ws = client(server, recorder)
    ws.connect("/")
    ws.send("close")
    assert ws.receive() is None
    assert recorder.seen[-1][2] is not None and "code 1000: bye" in recorder.seen[-1][2]
    assert not ws.connected
    assert ws.send("again") is False  # no reconnect unless asked for
    assert recorder.seen[-1][0] == "send /" and recorder.seen[-1][2] is not None


def test_a_refused_handshake_is_a_failed_connect(
    server: WebSocketServer, recorder: Recorder
) -> None:
    ws = client(server, recorder)
    assert ws.connect("/forbidden") is False
    assert recorder.seen[0][0] == "connect /forbidden" and "403" in str(recorder.seen[0][2])


def test_reconnect_opens_a_new_connection_after_a_drop(
    server: WebSocketServer, recorder: Recorder
) -> None:
    ws = client(server, recorder, reconnect=True)
    ws.connect("/live")
    ws.send("drop")
    assert ws.receive() is None  # the server vanished
    assert ws.send("back")
    assert ws.receive() == "back"
    ws.close()
    names = [name for name, _, _ in recorder.seen]
    assert names == ["connect /live", "send /live", "recv /live", "connect /live", "send /live",
                     "recv /live"]  # fmt: skip
    assert len(server.handshakes) == 2


def test_a_websocket_user_reports_into_the_environments_statistics(
    server: WebSocketServer,
) -> None:
    class Chatter(WebSocketUser):
        host = server.url.replace("ws://", "http://")

    env = Environment(user_classes=[Chatter])
    user = Chatter(env)
    assert user.ws.connect("/room")
    assert user.ws.request("hi", match=lambda m: m == "hi") == "hi"
    user.on_stop()
    assert not user.ws.connected
    assert env.stats.get("send /room", "WS").num_requests == 1
    assert env.stats.get("recv /room", "WS").num_requests == 1
    assert env.stats.total.num_failures == 0


@pytest.mark.parametrize(
    ("base", "path", "url"),
    [
        ("http://h:1", "/a?b=1", "ws://h:1/a?b=1"),
        ("https://h", "/x", "wss://h/x"),
        ("ws://h:2/base", "/x", "ws://h:2/base/x"),
        (None, "wss://other/y", "wss://other/y"),
    ],
)
def test_urls_are_made_from_the_host_and_the_path(base: str | None, path: str, url: str) -> None:
    assert websocket_url(base, path) == url


def test_mistakes_in_the_userfile_raise() -> None:
    with pytest.raises(ValueError, match="scheme"):
        websocket_url("ftp://h", "/x")
    with pytest.raises(ValueError):
        websocket_url(None, "/x")


def test_the_chat_example_runs_against_the_server(server: WebSocketServer) -> None:
    from pathlib import Path

    from swarm.userfile import load_userfiles

    example = Path(__file__).parents[2] / "examples" / "websocket_chat.py"
    chatter = load_userfiles([example]).user_classes["Chatter"]
    chatter.host = server.url
    env = Environment(user_classes=[chatter])
    user = chatter(env)
    user.on_start()
    user.say_hello()
    user.on_stop()
    assert env.stats.get("recv hello", "WS").num_requests == 1
    assert env.stats.total.num_failures == 0
