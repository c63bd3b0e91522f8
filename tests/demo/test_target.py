"""The demo target over real sockets on 127.0.0.1: routes, errors, counting, seeding."""

from __future__ import annotations

import socket
import time
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
import requests

from swarm.demo import DemoTarget
from swarm.demo.shop import MAX_BODY


@pytest.fixture
def target() -> Iterator[DemoTarget]:
    with DemoTarget(latency_scale=0, error_rate=0) as demo:
        yield demo


@pytest.fixture
def client() -> Iterator[requests.Session]:
    session = requests.Session()
    session.trust_env = False
    yield session
    session.close()


def login(client: requests.Session, url: str) -> None:
    assert client.post(f"{url}/login", data={"username": "ann", "password": "pw"}).ok


def test_it_counts_exactly_what_it_received(target: DemoTarget, client: requests.Session) -> None:
    url = target.url
    for path in ("/", "/products", "/product/1", "/product/2", "/product/99", "/nowhere"):
        client.get(url + path)
    client.get(url + "/logout")  # and the redirect to /
    client.head(url + "/products")
    client.delete(url + "/cart")
    client.request("BREW", url + "/")
    client.post(url + "/login", json={"username": "ann", "password": "pw"})
    client.get(url + "/__stats")
    expected = {
        ("GET", "/"): 2,
        ("GET", "/products"): 1,
        ("GET", "/product/<id>"): 3,
        ("GET", "<other>"): 1,
        ("GET", "/logout"): 1,
        ("HEAD", "/products"): 1,
        ("DELETE", "/cart"): 1,
        ("OTHER", "/"): 1,
        ("POST", "/login"): 1,
    }
    assert target.counts == expected
    assert target.total_served == sum(expected.values()) == 12
    stats = client.get(url + "/__stats").json()
    assert stats == {
        "total": 12,
        "counts": {f"{method} {path}": n for (method, path), n in sorted(expected.items())},
    }
    assert client.post(url + "/__reset").json() == {"total": 0, "counts": {}}
    assert target.counts == {}
    assert target.total_served == 0


@pytest.mark.parametrize(
    ("request_line", "body", "status"),
    [
        ("GET /product/99", None, 404),
        ("GET /product/abc", None, 404),
        ("GET /nowhere", None, 404),
        ("DELETE /products", None, 405),
        ("GET /cart", None, 401),
        ("POST /cart", {"product_id": 1}, 401),
        ("POST /checkout", None, 401),
        ("POST /login", {"username": "ann"}, 400),
        ("GET /slow?ms=soon", None, 400),
    ],
)
def test_error_responses(
    target: DemoTarget,
    client: requests.Session,
    request_line: str,
    body: dict[str, Any] | None,
    status: int,
) -> None:
    method, path = request_line.split()
    response = client.request(method, target.url + path, data=body)
    assert response.status_code == status
    assert "error" in response.json()


@pytest.mark.parametrize(
    ("body", "status"),
    [
        ({"product_id": 999}, 404),
        ({"product_id": 1, "quantity": 0}, 400),
        ({"product_id": 1, "quantity": "many"}, 400),
        ({"product_id": 1, "quantity": 2}, 200),
        ({"product": 1}, 200),
    ],
)
def test_adding_to_the_cart(
    target: DemoTarget, client: requests.Session, body: dict[str, Any], status: int
) -> None:
    login(client, target.url)
    assert client.post(f"{target.url}/cart", json=body).status_code == status


def test_malformed_and_oversized_bodies(target: DemoTarget, client: requests.Session) -> None:
    headers = {"Content-Type": "application/json"}
    assert client.post(f"{target.url}/login", data="{", headers=headers).status_code == 400
    assert client.post(f"{target.url}/login", data="[1]", headers=headers).status_code == 400
    oversized = client.post(f"{target.url}/login", data=b"x" * (MAX_BODY + 1))
    assert oversized.status_code == 413


def test_a_shopping_session(target: DemoTarget, client: requests.Session) -> None:
    url = target.url
    assert client.post(f"{url}/checkout").status_code == 401
    login(client, url)
    assert client.post(f"{url}/checkout").json() == {"error": "cart is empty"}
    client.post(f"{url}/cart", data={"product_id": "3", "quantity": "2"})
    cart = client.post(f"{url}/cart", json={"product_id": 5}).json()
    assert [(i["product_id"], i["quantity"]) for i in cart["items"]] == [(3, 2), (5, 1)]
    assert cart == client.get(f"{url}/cart").json()
    order = client.post(f"{url}/checkout").json()
    assert order == {"order_id": 1, "total": cart["total"]}
    assert client.get(f"{url}/cart").json()["items"] == []
    assert client.get(f"{url}/logout").status_code == 200
    assert client.get(f"{url}/cart").status_code == 401


def test_the_catalogue_and_search(target: DemoTarget, client: requests.Session) -> None:
    products = client.get(f"{target.url}/products").json()
    assert len(products) >= 20
    assert client.get(f"{target.url}/product/1").json() == products[0]
    found = client.get(f"{target.url}/search", params={"q": "HAT"}).json()
    assert [p["name"] for p in found["results"]] == ["Sun hat"]
    home = client.get(f"{target.url}/")
    assert home.headers["Content-Type"].startswith("text/html")
    assert "Sun hat" in home.text


def test_head_sends_headers_only(target: DemoTarget, client: requests.Session) -> None:
    full = client.get(f"{target.url}/products")
    head = client.head(f"{target.url}/products")
    assert head.status_code == 200
    assert head.content == b""
    assert head.headers["Content-Length"] == str(len(full.content))


def checkouts(seed: int, error_rate: float, count: int) -> list[int]:
    with DemoTarget(seed=seed, latency_scale=0, error_rate=error_rate) as demo:
        client = requests.Session()
        login(client, demo.url)
        statuses = []
        for _ in range(count):
            client.post(f"{demo.url}/cart", data={"product_id": "1"})
            statuses.append(client.post(f"{demo.url}/checkout").status_code)
        return statuses


def test_checkout_failures_follow_the_rate_and_the_seed() -> None:
    assert set(checkouts(seed=1, error_rate=0, count=4)) == {200}
    assert set(checkouts(seed=1, error_rate=1, count=4)) == {500}
    mixed = checkouts(seed=5, error_rate=0.5, count=12)
    assert {200, 500} == set(mixed)
    assert checkouts(seed=5, error_rate=0.5, count=12) == mixed
    assert checkouts(seed=6, error_rate=0.5, count=12) != mixed


def slow_waits(seed: int, count: int) -> list[float]:
    with DemoTarget(seed=seed, latency_scale=0.001) as demo:
        return [requests.get(f"{demo.url}/slow").json()["waited_ms"] for _ in range(count)]


def test_latencies_are_random_and_repeatable_by_seed() -> None:
    waits = slow_waits(seed=3, count=10)
    assert len(set(waits)) == 10
    assert all(w > 0 for w in waits)
    assert slow_waits(seed=3, count=10) == waits
    assert slow_waits(seed=4, count=10) != waits


def test_latency_scale_zero_waits_nothing_and_ms_waits_as_asked(
    target: DemoTarget, client: requests.Session
) -> None:
    assert client.get(f"{target.url}/slow").json() == {"waited_ms": 0.0}
    assert client.get(f"{target.url}/slow?ms=2").json() == {"waited_ms": 2}


def test_lifecycle() -> None:
    demo = DemoTarget(latency_scale=0)
    with pytest.raises(RuntimeError):
        _ = demo.port
    demo.start()
    with pytest.raises(RuntimeError):
        demo.start()
    assert demo.host == "127.0.0.1"
    assert demo.url == f"http://127.0.0.1:{demo.port}"
    assert requests.get(f"{demo.url}/").ok
    port = demo.port
    demo.stop()
    demo.stop()
    with pytest.raises(ConnectionRefusedError), socket.create_connection(("127.0.0.1", port)):
        pass


def test_stop_ends_a_pending_wait_and_answers_it(target: DemoTarget) -> None:
    pending = gevent.spawn(requests.get, f"{target.url}/slow?ms=60000")
    for _ in range(1000):  # lets the hub run until it idles, until the request is in
        if target.total_served:
            break
        gevent.idle()
    assert target.total_served == 1
    with gevent.Timeout(20):  # a safety net only: without the fix stop() would cut it off
        target.stop()
        response = pending.get()
    assert response.status_code == 200


def test_a_stall_holds_the_requests_that_arrive_during_it(
    target: DemoTarget, client: requests.Session
) -> None:
    """Requests before the stall count are answered at once; from it on, for the stall's
    length, they wait until it is over (measured from where the stall began)."""
    armed = client.post(f"{target.url}/__stall?after=2&seconds=0.4").json()
    assert armed == {"stall_at_request": 2, "seconds": 0.4}
    assert client.get(f"{target.url}/products").ok  # the 1st: no stall yet
    started = time.monotonic()
    assert client.get(f"{target.url}/products").ok  # the 2nd starts the stall: held for it
    assert time.monotonic() - started >= 0.4
    assert target.total_served == 2


@pytest.mark.parametrize("query", ["after=0&seconds=1", "after=1&seconds=0", "seconds=nope"])
def test_a_wrong_stall_is_refused(target: DemoTarget, client: requests.Session, query: str) -> None:
    reply = client.post(f"{target.url}/__stall?{query}")
    assert reply.status_code == 400
    assert "after=N" in reply.json()["error"]
