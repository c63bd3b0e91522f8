"""HttpUser: one HttpSession per user on its host, reporting to its environment's events."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any, ClassVar

import pytest
from urllib3 import PoolManager

from swarm.demo import DemoTarget
from swarm.event import Events
from swarm.exceptions import SwarmError
from swarm.protocols.http import NO_HOST_MESSAGE, HttpSession, HttpUser


def environment(events: Events) -> Any:
    return SimpleNamespace(events=events)


def shopper_on(host: str | None) -> type[HttpUser]:
    class Shopper(HttpUser):
        def context(self) -> dict[str, Any]:
            return {"user_id": id(self)}

    Shopper.host = host
    return Shopper


@pytest.mark.parametrize("host", [None, ""])
def test_a_user_without_a_host_is_refused_with_locusts_message(
    events: Events, host: str | None
) -> None:
    with pytest.raises(SwarmError) as refused:
        shopper_on(host)(environment(events))
    assert str(refused.value) == NO_HOST_MESSAGE
    assert "--host" in NO_HOST_MESSAGE


def test_the_client_is_a_session_on_the_host_reporting_to_the_environment(
    target: DemoTarget, events: Events, fired: list[dict[str, Any]]
) -> None:
    user = shopper_on(target.url)(environment(events))
    assert isinstance(user.client, HttpSession)
    assert user.client.base_url == target.url
    assert user.client.trust_env is False
    user.client.get("/products")
    assert fired[0]["context"] == {"user_id": id(user)}
    assert fired[0]["name"] == "/products"


def test_each_user_has_its_own_cookies(target: DemoTarget, events: Events) -> None:
    shopper = shopper_on(target.url)
    ann, bob = shopper(environment(events)), shopper(environment(events))
    ann.client.post("/login", data={"username": "ann", "password": "pw"})
    assert ann.client.get("/cart").status_code == 200
    assert bob.client.get("/cart").status_code == 401


def test_a_class_pool_manager_is_shared_by_its_users(events: Events) -> None:
    class Pooled(HttpUser):
        host = "http://shop.test"
        pool_manager: ClassVar[PoolManager | None] = PoolManager()

    for user in (Pooled(environment(events)), Pooled(environment(events))):
        adapter: Any = user.client.get_adapter("http://shop.test/")
        assert adapter.poolmanager is Pooled.pool_manager


def test_http_user_is_abstract_and_its_subclasses_are_not() -> None:
    assert HttpUser.abstract is True
    assert shopper_on("http://shop.test").abstract is False


def test_rest_on_the_user_uses_its_client(
    target: DemoTarget, events: Events, fired: list[dict[str, Any]]
) -> None:
    user = shopper_on(target.url)(environment(events))
    with user.rest("GET", "/product/2") as response:
        assert response.js["name"] == "Rain jacket"
    with user.rest_("GET", "/products") as response:
        assert len(response.js) > 1
    assert [e["name"] for e in fired] == ["/product/2", "/products?_=..."]
    assert all(e["exception"] is None for e in fired)


def test_locusts_module_names_work() -> None:
    from swarm import clients
    from swarm.protocols import http_response

    assert clients.HttpSession is HttpSession
    assert clients.ResponseContextManager is http_response.ResponseContextManager
    assert clients.RestResponseContextManager is http_response.RestResponseContextManager
    assert clients.LocustHttpAdapter is clients.SwarmHttpAdapter
    assert sorted(clients.__all__) == clients.__all__
