"""HttpSession against a real demo target: names, URLs, classification, lengths, context."""

from __future__ import annotations

import time
from typing import Any

import pytest
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import HTTPError, InvalidURL, MissingSchema, ReadTimeout

from swarm.demo import DemoTarget
from swarm.event import Events
from swarm.protocols.http import HttpSession
from swarm.protocols.http_response import ResponseContextManager

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


def test_a_request_fires_once_with_every_argument(
    session: HttpSession, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    before = time.time()
    response = session.get("/product/3")
    after = time.time()

    assert response.status_code == 200
    assert isinstance(response, ResponseContextManager)
    [event] = fired
    assert set(event) == ALL_ARGUMENTS
    assert event["request_type"] == "GET"
    assert event["name"] == "/product/3"
    assert event["url"] == f"{target.url}/product/3"
    assert event["exception"] is None
    assert event["response"] is response
    assert event["response_length"] == len(response.content) > 0
    assert event["context"] == {}
    assert before <= event["start_time"] <= after
    assert isinstance(event["response_time"], float)
    assert 0 < event["response_time"] <= (after - before) * 1000


@pytest.mark.parametrize(
    ("path", "kwargs", "name"),
    [
        ("/search?q=sock", {}, "/search?q=sock"),
        ("/search", {"params": {"q": "hat"}}, "/search?q=hat"),
        ("/product/4", {"name": "/product/[id]"}, "/product/[id]"),
    ],
)
def test_the_name_is_the_requested_path_and_query_unless_given(
    session: HttpSession,
    fired: list[dict[str, Any]],
    path: str,
    kwargs: dict[str, Any],
    name: str,
) -> None:
    session.get(path, **kwargs)
    assert fired[0]["name"] == name


def test_an_absolute_url_is_used_as_it_is(
    target: DemoTarget, events: Events, fired: list[dict[str, Any]], closed_port: int
) -> None:
    session = HttpSession(f"http://127.0.0.1:{closed_port}", events.request)
    response = session.get(f"{target.url}/products")
    assert response.status_code == 200
    assert fired[0]["name"] == "/products"
    assert fired[0]["url"] == f"{target.url}/products"


def test_a_redirect_is_one_request_named_by_the_path_asked_for(
    session: HttpSession, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    response = session.get("/logout")
    assert response.status_code == 200
    assert response.url == f"{target.url}/"
    [event] = fired
    assert event["name"] == "/logout"
    assert event["url"] == f"{target.url}/logout"
    assert event["response_length"] == len(response.content)
    assert target.counts == {("GET", "/logout"): 1, ("GET", "/"): 1}


def test_an_error_status_is_a_failure_named_in_its_message(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    response = session.get("/product/99", name="/product/[id]")
    assert response.status_code == 404
    error = fired[0]["exception"]
    assert isinstance(error, HTTPError)
    assert str(error) == "404 Client Error: Not Found for url: /product/[id]"
    assert response.url.endswith("/product/99")


def test_a_server_error_is_a_failure(events: Events, fired: list[dict[str, Any]]) -> None:
    with DemoTarget(latency_scale=0, error_rate=1.0) as failing:
        session = HttpSession(failing.url, events.request)
        session.post("/login", data={"username": "ann", "password": "pw"})
        session.post("/cart", data={"product_id": "1"})
        response = session.post("/checkout")
    assert response.status_code == 500
    assert str(fired[-1]["exception"]).startswith("500 Server Error: Internal Server Error")
    assert [e["exception"] for e in fired[:2]] == [None, None]


def test_a_refused_connection_returns_status_0_and_reports_the_cause(
    events: Events, fired: list[dict[str, Any]], closed_port: int
) -> None:
    session = HttpSession(f"http://127.0.0.1:{closed_port}", events.request)
    response = session.get("/products")
    assert response.status_code == 0
    assert isinstance(response.error, RequestsConnectionError)
    assert response.content is None
    [event] = fired
    assert isinstance(event["exception"], ConnectionRefusedError)
    assert event["name"] == "/products"
    assert event["url"] == f"http://127.0.0.1:{closed_port}/products"
    assert event["response_length"] == 0
    with pytest.raises(RequestsConnectionError):
        response.raise_for_status()


def test_a_timeout_returns_status_0(session: HttpSession, fired: list[dict[str, Any]]) -> None:
    response = session.get("/slow?ms=10000", timeout=0.05)
    assert response.status_code == 0
    assert isinstance(response.error, ReadTimeout)
    assert isinstance(fired[0]["exception"], ReadTimeout)
    assert fired[0]["name"] == "/slow?ms=10000"


@pytest.mark.parametrize(
    ("base_url", "url", "error"),
    [("", "/products", MissingSchema), ("", "http://", InvalidURL)],
)
def test_a_malformed_url_is_raised_not_reported(
    events: Events, fired: list[dict[str, Any]], base_url: str, url: str, error: type
) -> None:
    session = HttpSession(base_url, events.request)
    with pytest.raises(error):
        session.get(url)
    assert fired == []


def test_streaming_reports_the_announced_length_and_leaves_the_body_unread(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    response = session.get("/products", stream=True)
    announced = int(response.headers["Content-Length"])
    assert fired[0]["response_length"] == announced
    assert len(response.content) == announced


def test_credentials_in_the_base_url_become_basic_auth(
    target: DemoTarget, events: Events, fired: list[dict[str, Any]]
) -> None:
    with_credentials = target.url.replace("http://", "http://ann%40shop:p%3Ass@")
    session = HttpSession(with_credentials, events.request)
    assert session.base_url == target.url
    auth: Any = session.auth
    assert (auth.username, auth.password) == ("ann@shop", "p:ss")
    response = session.get("/products")
    assert response.request.headers["Authorization"].startswith("Basic ")
    assert fired[0]["url"] == f"{target.url}/products"
