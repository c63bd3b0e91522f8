"""FastHttpUser: a FastHttpSession per user, configured by the class, in a real local run."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import gevent
import pytest

from swarm.demo import DemoTarget
from swarm.env import Environment
from swarm.event import Events
from swarm.exceptions import StopUser, SwarmError
from swarm.protocols.fasthttp import FastHttpSession, FastHttpUser
from swarm.protocols.http import NO_HOST_MESSAGE
from swarm.user import constant, task

LIMIT_S = 10  # a safety net for joins: a broken runner fails the test instead of hanging it


def environment(events: Events) -> Any:
    return SimpleNamespace(events=events)


@pytest.mark.parametrize("host", [None, ""])
def test_a_user_without_a_host_is_refused_with_locusts_message(
    events: Events, host: str | None
) -> None:
    class Hostless(FastHttpUser):
        pass

    Hostless.host = host
    with pytest.raises(SwarmError) as refused:
        Hostless(environment(events))
    assert str(refused.value) == NO_HOST_MESSAGE


def test_the_class_attributes_configure_the_client(
    target: DemoTarget, events: Events, fired: list[dict[str, Any]]
) -> None:
    class Tuned(FastHttpUser):
        host = target.url
        network_timeout = 0.05
        max_redirects = 0
        default_headers = {"X-Suite": "nightly"}

        def context(self) -> dict[str, Any]:
            return {"user_id": id(self)}

    user = Tuned(environment(events))
    assert isinstance(user.client, FastHttpSession)
    assert user.client.headers["X-Suite"] == "nightly"
    assert user.client.get("/products").request.headers["x-suite"] == "nightly"
    assert user.client.get("/slow?ms=10000").status_code == 0  # network_timeout
    assert user.client.get("/logout").status_code == 0  # a redirect is one too many
    assert fired[0]["context"] == {"user_id": id(user)}
    user.client.close()


def test_rest_on_the_user_uses_its_client(
    target: DemoTarget, events: Events, fired: list[dict[str, Any]]
) -> None:
    class Shopper(FastHttpUser):
        host = target.url

    user = Shopper(environment(events))
    with user.rest("GET", "/product/2") as response:
        assert response.js["name"] == "Rain jacket"
    with user.rest_("GET", "/products") as response:
        assert len(response.js) > 1
    assert [e["name"] for e in fired] == ["/product/2", "/products?_=..."]
    assert all(e["exception"] is None for e in fired)
    user.client.close()


def test_users_in_a_run_log_in_shop_and_are_counted_like_the_target_counts(
    target: DemoTarget,
) -> None:
    class Shopper(FastHttpUser):
        host = target.url
        wait_time = constant(0)

        def on_start(self) -> None:
            self.client.post("/login", data={"username": f"u{id(self)}", "password": "pw"})

        @task
        def shop(self) -> None:
            self.client.post("/cart", data={"product_id": 1})
            with self.client.get("/cart", catch_response=True) as response:
                if response.json()["items"] == []:
                    response.failure("empty cart")
            raise StopUser()

    env = Environment(user_classes=[Shopper])
    runner = env.create_local_runner()
    runner.start(5, spawn_rate=100)
    runner.spawning_greenlet.join(timeout=LIMIT_S)
    gevent.joinall(list(runner.user_greenlets), timeout=LIMIT_S)
    runner.quit()
    total = env.stats.total
    assert total.num_requests == target.total_served == 15
    assert total.num_failures == 0
    assert env.stats.get("/cart", "GET").num_requests == 5
