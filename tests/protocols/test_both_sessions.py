"""What HttpSession and FastHttpSession both promise, tested once for each."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from requests.exceptions import HTTPError

from swarm.demo import DemoTarget


def test_head_reports_no_body(
    make_session: Any, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    response = make_session(target.url).head("/products")
    assert response.status_code == 200
    assert int(response.headers["Content-Length"]) > 0
    assert fired[0]["request_type"] == "HEAD"
    assert fired[0]["response_length"] == 0


@pytest.mark.parametrize("method", ["put", "patch", "delete", "options"])
def test_every_method_helper_reports_its_method(
    make_session: Any, target: DemoTarget, fired: list[dict[str, Any]], method: str
) -> None:
    response = getattr(make_session(target.url), method)("/cart")
    assert response.status_code == 405
    assert fired[0]["request_type"] == method.upper()
    assert isinstance(fired[0]["exception"], HTTPError)
    assert target.counts == {(method.upper(), "/cart"): 1}


def test_the_context_merges_the_users_context_and_the_argument(
    make_session: Any, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    user: Any = SimpleNamespace(context=lambda: {"tenant": "a", "shard": 1})
    session = make_session(target.url, user=user)
    session.get("/", context={"shard": 2, "trace": "x"})
    session.get("/")
    assert fired[0]["context"] == {"tenant": "a", "shard": 2, "trace": "x"}
    assert fired[1]["context"] == {"tenant": "a", "shard": 1}


def test_without_a_user_the_context_is_the_argument(
    make_session: Any, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    session = make_session(target.url)
    session.get("/", context={"trace": "x"})
    session.get("/", context=None)
    assert fired[0]["context"] == {"trace": "x"}
    assert fired[1]["context"] == {}


def test_cookies_persist_within_a_session_only(make_session: Any, target: DemoTarget) -> None:
    session = make_session(target.url)
    assert session.post("/login", data={"username": "ann", "password": "pw"}).ok
    assert session.get("/cart").json()["user"] == "ann"
    assert make_session(target.url).get("/cart").status_code == 401


def test_rename_request_names_the_requests_inside_its_block(
    make_session: Any, target: DemoTarget, fired: list[dict[str, Any]]
) -> None:
    session = make_session(target.url)
    with session.rename_request("product"):
        session.get("/product/1")
        session.get("/product/2", name="second")
    session.get("/products")
    assert [e["name"] for e in fired] == ["product", "second", "/products"]
