"""FastHttpSession against real servers on 127.0.0.1: what it sends, what it reports."""

from __future__ import annotations

import time
from collections.abc import Iterator
from typing import Any

import pytest
from protocols.echo_app import EchoServer
from protocols.fast.raw_server import RawServer
from requests.exceptions import HTTPError

from swarm.demo import DemoTarget
from swarm.event import Events
from swarm.exceptions import SwarmError
from swarm.protocols.fast.errors import ConnectError, ConnectionClosed, ReadTimeout
from swarm.protocols.fasthttp import FastHttpSession, TooManyRedirects
from swarm.protocols.fasthttp_response import FastResponse

ALL_ARGUMENTS = {
    "request_type",
    "name",
    "response_time",
    "response_length",
    "response",
    "context",
    "exception",
    "start_time",
    "url",
}


@pytest.fixture
def echo() -> Iterator[EchoServer]:
    with EchoServer() as server:
        yield server


@pytest.fixture
def fast(target: DemoTarget, events: Events) -> Iterator[FastHttpSession]:
    client = FastHttpSession(target.url, events.request)
    yield client
    client.close()


@pytest.fixture
def on_echo(echo: EchoServer, events: Events) -> Iterator[FastHttpSession]:
    client = FastHttpSession(echo.url, events.request)
    yield client
    client.close()


def sent(response: FastResponse) -> dict[str, Any]:
    """What the echo server received."""
    received: dict[str, Any] = response.json()
    return received


def test_a_request_fires_once_with_every_argument(
    fast: FastHttpSession, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    before = time.time()
    response = fast.get("/product/3")
    assert response.status_code == 200
    assert response.ok
    [event] = fired
    assert set(event) == ALL_ARGUMENTS
    assert event["request_type"] == "GET"
    assert event["name"] == "/product/3"
    assert event["url"] == f"{target.url}/product/3"
    assert event["response"] is response
    assert event["exception"] is None
    assert event["response_length"] == len(response.content or b"") > 0
    assert before <= event["start_time"] <= time.time()
    assert event["response_time"] >= 0
    assert response.json()["id"] == 3
    assert target.counts == {("GET", "/product/<id>"): 1}


def test_the_name_is_the_url_as_given_or_the_name_argument(
    fast: FastHttpSession, fired: list[dict[str, Any]]
) -> None:
    fast.get("/search", params={"q": "hat"})
    fast.get("/search?q=hat", name="search")
    with fast.rename_request("renamed"):
        fast.get("/products")
    assert [e["name"] for e in fired] == ["/search", "search", "renamed"]
    assert fired[0]["url"].endswith("/search?q=hat")


def test_one_keep_alive_connection_carries_a_users_requests(
    fast: FastHttpSession, target: DemoTarget
) -> None:
    for _ in range(5):
        assert fast.get("/products").ok
    assert len(fast.pool) == 1
    assert target.total_served == 5


def test_an_error_status_is_a_failure_named_in_its_message(
    fast: FastHttpSession, fired: list[dict[str, Any]]
) -> None:
    response = fast.get("/product/99")
    assert response.status_code == 404
    assert not response.ok
    error = fired[0]["exception"]
    assert isinstance(error, HTTPError)
    assert str(error) == "404 Client Error: Not Found for url: /product/99"
    with pytest.raises(HTTPError):
        response.raise_for_status()


def test_a_refused_connection_returns_status_0_and_reports_why(
    events: Events, fired: list[dict[str, Any]], closed_port: int
) -> None:
    session = FastHttpSession(f"http://127.0.0.1:{closed_port}", events.request)
    response = session.get("/x")
    assert response.status_code == 0
    assert response.content is None
    assert isinstance(response.error, ConnectError)
    assert fired[0]["exception"] is response.error
    assert f"127.0.0.1:{closed_port}" in str(response.error)
    assert fired[0]["response_length"] == 0


def test_a_timeout_returns_status_0(fast: FastHttpSession, fired: list[dict[str, Any]]) -> None:
    response = fast.get("/slow?ms=10000", timeout=0.05)
    assert response.status_code == 0
    assert isinstance(fired[0]["exception"], ReadTimeout)


@pytest.mark.parametrize("url", ["ftp://example/x", "http://"])
def test_a_url_it_cannot_request_is_raised_not_reported(
    fast: FastHttpSession, fired: list[dict[str, Any]], url: str
) -> None:
    with pytest.raises(SwarmError, match="only http:// and https://"):
        fast.get(url)
    assert fired == []


def test_without_a_host_a_path_is_refused(events: Events) -> None:
    with pytest.raises(SwarmError, match="base host"):
        FastHttpSession(None, events.request).get("/x")


def test_an_absolute_url_goes_where_it_says(
    echo: EchoServer, events: Events, fired: list[dict[str, Any]], closed_port: int
) -> None:
    session = FastHttpSession(f"http://127.0.0.1:{closed_port}", events.request)
    response = session.get(f"{echo.url}/echo?a=1")
    assert sent(response)["query"] == "a=1"
    assert fired[0]["url"] == f"{echo.url}/echo?a=1"


def test_a_base_url_with_a_path_prefixes_every_path(echo: EchoServer, events: Events) -> None:
    session = FastHttpSession(f"{echo.url}/redirect", events.request)
    response = session.get("/302", allow_redirects=False)
    assert response.status_code == 302


def test_params_data_and_json_are_sent_as_requests_sends_them(
    on_echo: FastHttpSession,
) -> None:
    got = sent(on_echo.get("/echo?x=0", params={"q": "a b", "tag": ["1", "2"], "none": None}))
    assert got["query"] == "x=0&q=a+b&tag=1&tag=2"
    got = sent(on_echo.post("/echo", data={"user": "ann", "n": 2}))
    assert got["body"] == "user=ann&n=2"
    assert got["headers"]["content-type"] == "application/x-www-form-urlencoded"
    got = sent(on_echo.post("/echo", json={"a": [1, 2]}))
    assert got["body"] == '{"a": [1, 2]}'
    assert got["headers"]["content-type"] == "application/json"
    got = sent(on_echo.put("/echo", data="é"))
    assert got["body"].encode("latin-1") == "é".encode()


def test_headers_merge_over_the_sessions_without_regard_to_case(
    on_echo: FastHttpSession,
) -> None:
    on_echo.headers["X-Team"] = "blue"
    got = sent(on_echo.get("/echo", headers={"user-agent": "probe/1", "X-Trace": "t"}))
    headers = got["headers"]
    assert headers["user-agent"] == "probe/1"
    assert headers["x-team"] == "blue"
    assert headers["x-trace"] == "t"
    assert headers["accept-encoding"] == "gzip, deflate"


def test_auth_and_base_url_credentials_are_basic_auth(echo: EchoServer, events: Events) -> None:
    with_credentials = echo.url.replace("http://", "http://ann%40shop:p%3Ass@")
    session = FastHttpSession(with_credentials, events.request)
    assert session.base_url == echo.url
    got = sent(session.get("/echo"))
    assert got["headers"]["authorization"] == "Basic YW5uQHNob3A6cDpzcw=="
    got = sent(session.get("/echo", auth=("bob", "x")))
    assert got["headers"]["authorization"] == "Basic Ym9iOng="


def test_a_redirect_is_one_request_named_by_the_url_asked_for(
    fast: FastHttpSession, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    response = fast.get("/logout")
    assert response.status_code == 200
    assert response.url == f"{target.url}/"
    assert [r.status_code for r in response.history] == [302]
    [event] = fired
    assert event["name"] == "/logout"
    assert event["response_length"] == len(response.content or b"")
    assert target.counts == {("GET", "/logout"): 1, ("GET", "/"): 1}


@pytest.mark.parametrize(
    ("code", "method", "body"),
    [
        (301, "GET", ""),
        (302, "GET", ""),
        (303, "GET", ""),
        (307, "POST", "x=1"),
        (308, "POST", "x=1"),
    ],
)
def test_redirects_keep_or_drop_the_method_and_body_as_browsers_do(
    on_echo: FastHttpSession, code: int, method: str, body: str
) -> None:
    got = sent(on_echo.post(f"/redirect/{code}", data={"x": "1"}))
    assert (got["method"], got["body"]) == (method, body)


def test_redirects_are_not_followed_when_told_not_to(on_echo: FastHttpSession) -> None:
    response = on_echo.get("/redirect/302", allow_redirects=False)
    assert response.status_code == 302
    assert response.is_redirect
    assert response.headers["Location"] == "/echo"


def test_a_redirect_to_another_host_drops_the_credentials(
    echo: EchoServer, target: DemoTarget, events: Events
) -> None:
    other = echo.url.replace("127.0.0.1", "localhost")
    session = FastHttpSession(echo.url, events.request)
    got = sent(session.get(f"/redirect/302?to={other}/echo", auth=("ann", "pw")))
    assert "authorization" not in got["headers"]
    got = sent(session.get("/redirect/302?to=/echo", auth=("ann", "pw")))
    assert "authorization" in got["headers"]


def test_an_endless_redirect_is_a_failure(
    on_echo: FastHttpSession, fired: list[dict[str, Any]]
) -> None:
    on_echo.max_redirects = 3
    response = on_echo.get("/loop")
    assert response.status_code == 0
    assert isinstance(fired[0]["exception"], TooManyRedirects)


def test_cookies_are_set_by_responses_by_user_code_and_per_request(
    on_echo: FastHttpSession,
) -> None:
    response = on_echo.get("/set?a=1&b=2")
    assert response.cookies == {"a": "1", "b": "2"}
    assert on_echo.cookies["a"] == "1"
    on_echo.cookies["c"] = "3"
    got = sent(on_echo.get("/echo", cookies={"d": "4"}))
    cookie = got["headers"]["cookie"]
    assert sorted(cookie.split("; ")) == ["a=1", "b=2", "c=3", "d=4"]


def test_gzip_bodies_are_decoded(on_echo: FastHttpSession, fired: list[dict[str, Any]]) -> None:
    response = on_echo.get("/gzip")
    assert response.text == "squeezed " * 50
    assert fired[0]["response_length"] == len("squeezed " * 50)


def test_max_retries_tries_again_after_a_transport_error(
    events: Events, fired: list[dict[str, Any]]
) -> None:
    server = RawServer()  # /silent-close: every connection is closed without an answer
    server.start()
    try:
        session = FastHttpSession(f"http://127.0.0.1:{server.port}", events.request, max_retries=2)
        assert session.get("/silent-close").status_code == 0
        assert server.connections == 3
        assert isinstance(fired[0]["exception"], ConnectionClosed)
    finally:
        server.stop()


def test_a_timeout_for_one_request_applies_on_a_kept_connection_and_only_there(
    fast: FastHttpSession, fired: list[dict[str, Any]]
) -> None:
    assert fast.get("/products").ok  # the connection is open and kept
    assert fast.get("/slow?ms=10000", timeout=0.05).status_code == 0
    assert isinstance(fired[1]["exception"], ReadTimeout)
    assert "0.05 s" in str(fired[1]["exception"])
    assert fast.get("/slow?ms=1").ok  # the session's own timeout again


def test_a_streamed_body_is_read_when_asked_for_and_counted_by_its_announced_length(
    fast: FastHttpSession, fired: list[dict[str, Any]]
) -> None:
    response = fast.get("/products", stream=True)
    announced = int(response.headers["Content-Length"])
    assert fired[0]["response_length"] == announced
    assert len(response.content or b"") == announced
    assert response.json()[0]["id"] == 1
    pieces = list(fast.get("/products", stream=True).iter_content(100))
    assert len(b"".join(pieces)) == announced
    assert all(len(piece) <= 100 for piece in pieces)
    assert fast.get("/products").ok  # the streams were read to their end: one connection
    assert len(fast.pool) == 1


def test_an_unread_stream_does_not_spoil_the_next_request(fast: FastHttpSession) -> None:
    fast.get("/products", stream=True)
    assert fast.get("/product/2").json()["id"] == 2
