"""rest(): JSON requests judged in a with-block."""

from __future__ import annotations

import re
from typing import Any

import pytest
from requests.exceptions import HTTPError

from swarm.demo import DemoTarget
from swarm.exceptions import CatchResponseError, StopUser
from swarm.protocols.http import HttpSession


@pytest.fixture
def session(make_session: Any, target: DemoTarget) -> Any:
    """Both HTTP clients: every test here runs with HttpSession and with FastHttpSession."""
    return make_session(target.url)


def test_json_is_parsed_and_asked_for(session: HttpSession, fired: list[dict[str, Any]]) -> None:
    with session.rest("GET", "/products") as response:
        assert isinstance(response.js, list)
        assert response.js[0]["id"] == 1
    sent = response.request.headers
    assert sent["Accept"] == "application/json"
    assert sent["Content-Type"] == "application/json"
    assert fired[0]["exception"] is None


def test_own_headers_are_kept(session: HttpSession) -> None:
    with session.rest("GET", "/products", headers={"accept": "text/plain"}) as response:
        pass
    assert response.request.headers["Accept"] == "text/plain"


def test_a_json_body_is_sent(session: HttpSession) -> None:
    with session.rest("POST", "/login", json={"username": "ann", "password": "pw"}) as r:
        assert r.js == {"user": "ann"}
    assert session.get("/cart").status_code == 200


def test_a_body_that_is_not_json_is_a_failure(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.rest("GET", "/") as response:
        assert response.js is None
    error = fired[0]["exception"]
    assert isinstance(error, CatchResponseError)
    assert str(error).startswith("Could not parse response as JSON. <!doctype html>")
    assert "response code 200" in str(error)


def test_an_error_status_with_a_json_body_is_parsed_and_fails(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.rest("GET", "/product/99") as response:
        assert response.js == {"error": "no such product"}
    assert isinstance(fired[0]["exception"], HTTPError)


def test_an_assertion_in_the_block_is_the_failure(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    # Raised by hand: pytest rewrites the message of a plain `assert` in test modules.
    with session.rest("GET", "/products"):
        raise AssertionError("unexpected products")
    with session.rest("GET", "/products"):
        raise AssertionError("unexpected products,")
    with session.rest("GET", "/products"):
        raise AssertionError
    messages = [str(e["exception"]) for e in fired]
    assert messages[0] == "unexpected products"
    assert messages[1].startswith('unexpected products, response was [{"id": 1')
    assert messages[2] == "Assertion failed"


def test_another_exception_in_the_block_says_what_and_where(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.rest("GET", "/products") as response:
        response.js[0]["colour"]
    message = str(fired[0]["exception"])
    assert re.match(
        r"KeyError: 'colour' at \S*test_rest\.py:\d+ in "
        r"test_another_exception_in_the_block_says_what_and_where\. Response was \[\{",
        message,
    ), message


def test_control_flow_signals_pass_through(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with pytest.raises(StopUser), session.rest("GET", "/products"):
        raise StopUser()
    assert fired == []


def test_a_refused_connection_is_a_failure_with_its_error(
    make_session: Any, fired: list[dict[str, Any]], closed_port: int
) -> None:
    session = make_session(f"http://127.0.0.1:{closed_port}")
    with session.rest("GET", "/products") as response:
        assert response.js is None
    assert "Connection refused" in str(fired[0]["exception"])


def test_rest_underscore_adds_a_timestamp_and_names_it_generically(
    session: HttpSession, target: Any, fired: list[dict[str, Any]]
) -> None:
    with session.rest_("GET", "/search?q=hat") as response:
        assert response.js["results"][0]["name"] == "Sun hat"
    assert fired[0]["name"] == "/search?q=hat&_=..."
    assert re.fullmatch(rf"{re.escape(target.url)}/search\?q=hat&_=\d{{13}}", fired[0]["url"])
