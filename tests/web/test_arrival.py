"""Arrival-rate runs (the open model) in the web UI: the form says what the rate does, the
live statistics carry the rates, drops and uncorrected service times, the downloads are the
open model's; a closed-model test's replies are as before."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from typing import Any

import gevent
import pytest
from gevent.event import Event
from web.harness import Orders, Web, make_web
from web.test_shape import page_of

from swarm import User, constant, task
from swarm.reports.csv import SERVICE_COLUMNS, STATS_COLUMNS
from swarm.runners.base import STATE_INIT, STATE_RUNNING, STATE_SPAWNING, STATE_STOPPED
from swarm.runners.schedule import ArrivalPlan, RateCurve
from swarm.web.snapshot import requests_snapshot

#: A bound on waiting for iterations to run: a broken run fails instead of hanging.
WAIT_LIMIT_S = 5
#: The service time (ms) every iteration of Reporter reports.
SERVICE_MS = 10.0
#: How late (ms) the test's own request claims its iteration started.
LATE_MS = 90.0


class Reporter(User):
    """One request of SERVICE_MS per iteration, reported as a client would."""

    wait_time = constant(60)  # the closed model's; a pooled user waits for its turn instead

    @task
    def item(self) -> None:
        self.environment.events.request.fire(
            request_type="GET",
            name="/item",
            response_time=SERVICE_MS,
            response_length=10,
            exception=None,
            context={},
        )


@pytest.fixture
def arrival() -> Iterator[Web]:
    """A web UI whose load shape is Orders (200/s, up to 4 users), run by Reporters."""
    for web in make_web(shape=Orders()):
        web.env.user_classes[:] = [Reporter]
        yield web


def requests_seen(web: Web, count: int) -> Event:
    """An event set once the request event has fired ``count`` times from now on."""
    seen = Event()
    fired = [0]

    def on_request(**_: Any) -> None:
        fired[0] += 1
        if fired[0] >= count:
            seen.set()

    web.env.events.request.add_listener(on_request)
    return seen


def start_and_run(web: Web, iterations: int = 3) -> None:
    """Start the arrival rate from the form, let ``iterations`` requests happen two (fake)
    seconds into the statistics, then one request of the test's own that started LATE_MS
    late; the test keeps running."""
    reply = web.client.post("/swarm", data={})
    assert reply.status_code == 200, reply.json
    web.clock.advance(2)
    assert requests_seen(web, iterations).wait(timeout=WAIT_LIMIT_S), "no iterations ran"
    runner = web.env.runner
    assert runner is not None and runner.arrival is not None
    runner.arrival.lateness[gevent.getcurrent()] = LATE_MS
    web.request("/late", SERVICE_MS)


def row(snapshot: dict[str, Any], name: str) -> dict[str, Any]:
    (found,) = [r for r in snapshot["stats"] if r["name"] == name]
    return dict(found)


# ---- the start form and starting ----------------------------------------------------------


def test_the_form_says_what_the_arrival_rate_does(arrival: Web) -> None:
    page = page_of(arrival)
    notice = " ".join(page.text["shape-notice"].split())
    assert "The arrival rate 200/s (Orders) starts the iterations" in notice
    assert "a pool of up to 4 users runs them" in notice
    assert "within 1s is dropped" in notice
    assert "runs until it is stopped" in notice
    assert "spawn rate" not in notice  # the closed-model wording is not used
    for field in ("user_count", "spawn_rate"):
        assert "disabled" in page.attrs[field], f"{field} would be sent with the form"


def test_start_runs_the_arrival_rate(arrival: Web) -> None:
    reply = arrival.client.post("/swarm", data={"user_count": "nonsense", "run_time": "1m"})
    assert reply.status_code == 200, reply.json
    assert reply.json["message"] == "Swarming started with the arrival rate 200/s (Orders)"
    assert reply.json["shape"] == "Orders"
    runner = arrival.env.runner
    assert runner is not None and runner.arrival_plan is not None
    assert runner.arrival_plan.max_users == 4
    snapshot = arrival.client.get("/stats/requests").json
    assert snapshot["state"] in (STATE_SPAWNING, STATE_RUNNING)
    assert snapshot["shape"] == "Orders"
    assert snapshot["arrival"]["requested"] == "200/s"


def test_a_dead_shape_greenlet_of_an_earlier_test_does_not_refuse_the_start(
    arrival: Web,
) -> None:
    runner = arrival.env.runner
    assert runner is not None
    earlier = gevent.spawn(lambda: None)
    earlier.join()
    runner.shape_greenlet = earlier  # as a closed-model shape's test would leave it
    reply = arrival.client.post("/swarm", data={})
    assert reply.status_code == 200, reply.json
    assert runner.state in (STATE_SPAWNING, STATE_RUNNING)


def test_an_arrival_rate_that_does_not_start_is_refused_with_its_reason(
    arrival: Web, monkeypatch: pytest.MonkeyPatch
) -> None:
    runner = arrival.env.runner
    assert runner is not None
    # What a master does when its workers have all gone: it logs and starts nothing.
    monkeypatch.setattr(runner, "start_arrival", lambda plan: None)
    reply = arrival.client.post("/swarm", data={})
    assert reply.status_code == 409
    assert reply.json["message"] == "the arrival rate 200/s (Orders) did not start (see the log)"
    assert arrival.client.get("/stats/requests").json["state"] == STATE_INIT


def test_a_running_arrival_rate_refuses_edits_and_stop_ends_it(arrival: Web) -> None:
    arrival.client.post("/swarm", data={})
    edit = arrival.client.post("/swarm", data={"user_count": "50", "spawn_rate": "5"})
    assert edit.status_code == 409
    assert "arrival rate 200/s (Orders)" in edit.json["message"]
    assert arrival.client.post("/stop").json["success"] is True
    assert arrival.client.get("/stats/requests").json["state"] == STATE_STOPPED
    again = arrival.client.post("/swarm", data={})  # a stopped run starts again
    assert again.status_code == 200, again.json


# ---- the live statistics ------------------------------------------------------------------


def test_stats_requests_has_the_rates_and_drops_of_the_run(arrival: Web) -> None:
    start_and_run(arrival)
    arrival.client.post("/stop")
    stats = arrival.env.stats
    snapshot = arrival.client.get("/stats/requests").json
    summary = snapshot["arrival"]
    assert summary["iterations"] == stats.iterations >= 3
    assert summary["duration_s"] == 2
    assert summary["achieved_rate"] == round(stats.iterations / 2, 3)
    assert (summary["requested"], summary["requested_peak_rate"]) == ("200/s", 200)
    assert (summary["max_users"], summary["max_lateness_s"]) == (4, 1)
    assert (summary["dropped_iterations"], summary["dropped_text"]) == (0, "0")
    assert summary["drop_warning"] is None


def test_rows_have_the_uncorrected_percentiles_beside_the_corrected(arrival: Web) -> None:
    start_and_run(arrival)
    arrival.client.post("/stop")
    snapshot = arrival.client.get("/stats/requests").json
    late = row(snapshot, "/late")
    assert late["ninety_ninth_response_time"] == pytest.approx(SERVICE_MS + LATE_MS, rel=0.01)
    assert late["service_time_percentiles"] == {"0.95": SERVICE_MS, "0.99": SERVICE_MS}
    on_time = row(snapshot, "/item")
    assert on_time["service_time_percentiles"]["0.99"] == SERVICE_MS
    total = row(snapshot, "Aggregated")
    assert total["service_time_percentiles"]["0.99"] == SERVICE_MS
    assert total["ninety_ninth_response_time"] >= SERVICE_MS


def test_dropped_iterations_are_counted_in_words_and_warned_of(web: Web) -> None:
    runner = web.env.runner
    assert runner is not None
    runner.arrival_plan = ArrivalPlan(RateCurve(100), max_users=2)
    stats = web.env.stats
    stats.iterations, stats.dropped_iterations = 990, 10
    summary = requests_snapshot(stats, runner, host=None, run_time_left=None)["arrival"]
    assert summary["dropped_iterations"] == 10
    assert summary["dropped_text"] == "10 (1.0% of those due)"
    assert "10 iterations (1.0% of those due) were dropped" in summary["drop_warning"]
    assert "all 2 users (--max-users)" in summary["drop_warning"]


def test_the_closed_model_has_no_arrival_and_its_rows_are_as_before(web: Web) -> None:
    web.client.post("/swarm", data={"user_count": "0", "spawn_rate": "1"})
    web.request("/a", 10)
    snapshot = web.client.get("/stats/requests").json
    assert snapshot["arrival"] is None
    assert all("service_time_percentiles" not in r for r in snapshot["stats"])
    assert all("arrival" not in item for item in web.client.get("/api/stats/json").json)
    assert read_csv(web.client.get("/stats/requests/csv").data)[0] == STATS_COLUMNS


# ---- downloads ----------------------------------------------------------------------------


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_the_csv_download_has_the_service_time_columns(arrival: Web) -> None:
    start_and_run(arrival)
    arrival.client.post("/stop")
    header, *rows = read_csv(arrival.client.get("/stats/requests/csv").data)
    assert header == [*STATS_COLUMNS, *SERVICE_COLUMNS]
    late = dict(zip(header, next(r for r in rows if r[1] == "/late"), strict=True))
    assert float(late["Service 99%"]) == SERVICE_MS
    assert float(late["99%"]) == pytest.approx(SERVICE_MS + LATE_MS, rel=0.01)


def test_the_json_download_has_the_arrival_and_the_service_times(arrival: Web) -> None:
    start_and_run(arrival)
    arrival.client.post("/stop")
    items = arrival.client.get("/api/stats/json").json
    assert {item["name"] for item in items} == {"/item", "/late"}
    for item in items:
        assert item["arrival"]["requested"] == "200/s"
        assert item["arrival"]["iterations"] == arrival.env.stats.iterations
        assert item["service_time_percentiles"]["0.99"] == SERVICE_MS
