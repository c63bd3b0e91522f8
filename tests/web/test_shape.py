"""Load shapes in the web UI: the shape, not the form, sets the users of a test."""

from __future__ import annotations

from collections.abc import Iterator
from html.parser import HTMLParser

import gevent.event
import pytest
from web.harness import Script, Web, make_web

from swarm.runners.base import STATE_SPAWNING, STATE_STOPPED

#: A bound on waiting for the shape to end a test: a broken stop fails instead of hanging.
WAIT_LIMIT_S = 5


#: Elements with nothing inside and no end tag.
VOID_TAGS = frozenset({"br", "img", "input", "link", "meta"})


class Elements(HTMLParser):
    """Every element of a page that has an id: its tag's attributes, and the text inside
    (its children's included)."""

    def __init__(self, page: str) -> None:
        super().__init__()
        self.attrs: dict[str, dict[str, str | None]] = {}
        self.text: dict[str, str] = {}
        self._open: list[str | None] = []  # the id of each open element, None without one
        self.feed(page)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        named = dict(attrs)
        element_id = str(named["id"]) if named.get("id") else None
        if element_id is not None:
            self.attrs[element_id] = named
            self.text[element_id] = ""
        if tag not in VOID_TAGS:
            self._open.append(element_id)

    def handle_endtag(self, tag: str) -> None:
        if self._open and tag not in VOID_TAGS:
            self._open.pop()

    def handle_data(self, data: str) -> None:
        for element_id in self._open:
            if element_id is not None:
                self.text[element_id] += data


def page_of(web: Web) -> Elements:
    reply = web.client.get("/")
    assert reply.status_code == 200
    return Elements(reply.get_data(as_text=True))


@pytest.fixture
def shaped() -> Iterator[Web]:
    """A web UI whose load shape asks for 3 users at 100/s, then 5 at 100/s, and so on."""
    yield from make_web(shape=Script((3, 100.0), (5, 100.0)))


def test_the_form_names_the_shape_and_asks_for_no_users_nor_rate(shaped: Web) -> None:
    page = page_of(shaped)
    assert "Script" in page.text["shape-notice"]
    for field in ("user_count", "spawn_rate"):
        assert "disabled" in page.attrs[field], f"{field} would be sent with the form"
    assert page.attrs["host"].get("disabled") is None
    assert page.attrs["run_time"].get("disabled") is None
    assert page.text["shape-name"].strip() == "Script"
    assert "hidden" not in page.attrs["shape-status"]


def test_without_a_shape_the_form_asks_for_users_and_rate(web: Web) -> None:
    page = page_of(web)
    assert "shape-notice" not in page.attrs
    assert "disabled" not in page.attrs["user_count"]
    assert "hidden" in page.attrs["shape-status"]
    assert web.client.get("/stats/requests").json["shape"] is None


def test_start_runs_the_shape_and_ignores_users_and_rate(shaped: Web) -> None:
    reply = shaped.client.post(
        "/swarm", data={"user_count": "nonsense", "host": "http://127.0.0.1:9", "run_time": "1m"}
    )
    assert reply.status_code == 200, reply.json
    assert reply.json["message"] == "Swarming started with the load shape Script"
    assert reply.json["shape"] == "Script"
    assert shaped.env.host == "http://127.0.0.1:9"
    snapshot = shaped.client.get("/stats/requests").json
    assert snapshot["shape"] == "Script"
    assert snapshot["state"] == STATE_SPAWNING
    assert snapshot["target_user_count"] == 3  # the shape's first answer
    assert 0 < snapshot["run_time_left"] <= 60


def test_a_running_shape_refuses_edits_of_the_user_count(shaped: Web) -> None:
    shaped.client.post("/swarm", data={})
    reply = shaped.client.post("/swarm", data={"user_count": "50", "spawn_rate": "5"})
    assert reply.status_code == 409
    assert reply.json["success"] is False
    assert "load shape Script" in reply.json["message"]
    assert "stop" in reply.json["message"]
    assert shaped.client.get("/stats/requests").json["target_user_count"] == 3


def test_stop_ends_the_shape_too(shaped: Web) -> None:
    shaped.client.post("/swarm", data={})
    runner = shaped.env.runner
    assert runner is not None and runner.shape_greenlet is not None
    assert shaped.client.post("/stop").json["success"] is True
    # Left running, its next answer (5 users) would start the stopped test again.
    assert runner.shape_greenlet.dead
    assert shaped.client.get("/stats/requests").json["state"] == STATE_STOPPED


def test_the_shape_ends_the_test_and_a_new_start_runs_it_from_its_beginning() -> None:
    for web in make_web(shape=Script((2, 100.0), None)):
        runner = web.env.runner
        assert runner is not None
        runner.shape_tick_interval = 0  # the next tick at the next turn of the event loop
        stopped = gevent.event.Event()
        web.env.events.test_stop.add_listener(stopped.set)
        assert web.client.post("/swarm", data={}).status_code == 200
        assert stopped.wait(timeout=WAIT_LIMIT_S), "the shape's None did not stop the test"
        assert web.client.get("/stats/requests").json["state"] == STATE_STOPPED

        again = web.client.post("/swarm", data={})
        assert again.status_code == 200, again.json
        snapshot = web.client.get("/stats/requests").json
        assert (snapshot["state"], snapshot["target_user_count"]) == (STATE_SPAWNING, 2)


def test_a_shape_that_ends_at_once_is_refused_with_its_reason() -> None:
    for web in make_web(shape=Script(None)):
        reply = web.client.post("/swarm", data={})
        assert reply.status_code == 409
        assert "Script ended at once" in reply.json["message"]
        assert web.client.get("/stats/requests").json["state"] == "ready"
