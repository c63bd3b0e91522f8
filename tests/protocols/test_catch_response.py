"""catch_response=True: the request is judged, and reported once, when its with-block ends."""

from __future__ import annotations

from typing import Any

import pytest
from requests.exceptions import HTTPError

from swarm.demo import DemoTarget
from swarm.exceptions import CatchResponseError, ResponseError, SwarmError
from swarm.protocols.http import HttpSession


@pytest.fixture
def session(make_session: Any, target: DemoTarget) -> Any:
    """Both HTTP clients: every test here runs with HttpSession and with FastHttpSession."""
    return make_session(target.url)


def test_the_request_is_reported_when_the_block_ends(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.get("/products", catch_response=True) as response:
        assert fired == []
    [event] = fired
    assert event["exception"] is None
    assert event["response"] is response


def test_an_unmarked_error_status_is_a_failure(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.get("/product/99", catch_response=True):
        pass
    assert isinstance(fired[0]["exception"], HTTPError)


def test_success_overrides_an_error_status(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.get("/product/99", catch_response=True) as response:
        response.success()
    assert fired[0]["exception"] is None


def test_failure_with_a_text_becomes_a_catch_response_error(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with session.get("/products", catch_response=True) as response:
        response.failure("no hats")
    [event] = fired
    assert isinstance(event["exception"], CatchResponseError)
    assert str(event["exception"]) == "no hats"


def test_failure_with_an_exception_reports_that_exception(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    error = ValueError("bad price")
    with session.get("/products", catch_response=True) as response:
        response.failure(error)
    assert fired[0]["exception"] is error


def test_the_last_mark_wins(session: HttpSession, fired: list[dict[str, Any]]) -> None:
    with session.get("/products", catch_response=True) as response:
        response.failure("first")
        response.success()
    assert fired[0]["exception"] is None


def test_a_response_error_raised_in_the_block_is_the_failure_and_is_swallowed(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    error = ResponseError("wrong total")
    with session.get("/products", catch_response=True):
        raise error
    assert fired[0]["exception"] is error


def test_another_exception_propagates_and_the_request_is_not_reported(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with pytest.raises(KeyError), session.get("/products", catch_response=True):
        raise KeyError("x")
    assert fired == []


def test_a_marked_request_is_reported_before_an_exception_propagates(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    with pytest.raises(KeyError), session.get("/products", catch_response=True) as response:
        response.success()
        raise KeyError("x")
    assert fired[0]["exception"] is None


def test_a_refused_connection_can_be_judged_in_the_block(
    make_session: Any, fired: list[dict[str, Any]], closed_port: int
) -> None:
    session = make_session(f"http://127.0.0.1:{closed_port}")
    with session.get("/products", catch_response=True) as response:
        assert response.status_code == 0
    with session.get("/products", catch_response=True) as response:
        response.success()
    assert "Connection refused" in str(fired[0]["exception"])
    assert fired[1]["exception"] is None


def test_raise_for_status_follows_the_marks(session: HttpSession) -> None:
    with session.get("/product/99", catch_response=True) as response:
        response.success()
        response.raise_for_status()
    with session.get("/products", catch_response=True) as response:
        response.failure("no hats")
        with pytest.raises(CatchResponseError):
            response.raise_for_status()


def test_marking_outside_a_with_block_is_refused(
    session: HttpSession, fired: list[dict[str, Any]]
) -> None:
    response = session.get("/products")
    with pytest.raises(SwarmError, match="catch_response=True"):
        response.failure("too late")
    with pytest.raises(SwarmError, match="catch_response=True"):
        response.success()
    with pytest.raises(SwarmError, match="catch_response=True"), response:
        pass
    assert len(fired) == 1
