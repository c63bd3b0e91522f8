"""The JSON API through Flask's test client: Locust's routes keep their meaning."""

from __future__ import annotations

import csv
import io
import logging

import pytest
from web.harness import Web, make_web

from swarm.reports.csv import EXCEPTIONS_COLUMNS, FAILURES_COLUMNS, STATS_COLUMNS
from swarm.runners.base import STATE_SPAWNING, STATE_STOPPED


def test_post_swarm_starts_a_test_and_stop_ends_it(web: Web) -> None:
    reply = web.client.post("/swarm", data={"user_count": "3", "spawn_rate": "100"})
    assert reply.status_code == 200
    assert reply.json == {
        "success": True,
        "message": "Swarming started: 3 users at 100/s",
        "host": None,
    }
    assert web.client.get("/stats/requests").json["state"] == STATE_SPAWNING
    assert web.client.get("/stats/requests").json["target_user_count"] == 3
    assert web.client.post("/stop").json == {"success": True, "message": "Test stopped"}
    assert web.client.get("/stats/requests").json["state"] == STATE_STOPPED


def test_post_swarm_while_running_changes_the_users(web: Web) -> None:
    web.client.post("/swarm", data={"user_count": "3", "spawn_rate": "100"})
    reply = web.client.post("/swarm", data={"user_count": "7", "spawn_rate": "50"})
    assert reply.json["message"] == "Test changed: 7 users at 50/s"
    snapshot = web.client.get("/stats/requests").json
    assert (snapshot["target_user_count"], snapshot["spawn_rate"]) == (7, 50)


def test_invalid_input_is_a_400_with_a_message_per_field(web: Web) -> None:
    reply = web.client.post("/swarm", data={"user_count": "-2", "spawn_rate": "x"})
    assert reply.status_code == 400
    assert reply.json["success"] is False
    assert set(reply.json["errors"]) == {"user_count", "spawn_rate"}
    assert web.env.runner is not None and web.env.runner.state == "ready"


def test_a_host_given_in_the_form_becomes_the_environments(web: Web) -> None:
    reply = web.client.post(
        "/swarm", data={"user_count": "0", "spawn_rate": "1", "host": "http://127.0.0.1:9"}
    )
    assert reply.json["host"] == web.env.host == "http://127.0.0.1:9"


def test_an_http_user_without_any_host_is_a_field_error() -> None:
    from swarm import HttpUser, task

    class Site(HttpUser):
        @task
        def page(self) -> None:
            pass

    for web in make_web():
        web.env.user_classes[:] = [Site]
        reply = web.client.post("/swarm", data={"user_count": "1", "spawn_rate": "1"})
        assert reply.status_code == 400
        assert "Site is an HttpUser" in reply.json["errors"]["host"]


def test_a_run_time_stops_the_test_by_itself(web: Web) -> None:
    reply = web.client.post(
        "/swarm", data={"user_count": "1", "spawn_rate": "1", "run_time": "30s"}
    )
    assert reply.json["run_time"] == 30
    left = web.client.get("/stats/requests").json["run_time_left"]
    assert 0 < left <= 30
    web.client.post("/stop")
    assert web.client.get("/stats/requests").json["run_time_left"] is None


def test_editing_users_keeps_the_run_time_a_new_run_time_replaces_it(web: Web) -> None:
    web.client.post("/swarm", data={"user_count": "1", "spawn_rate": "1", "run_time": "30s"})
    web.client.post("/swarm", data={"user_count": "4", "spawn_rate": "2"})
    assert 0 < web.client.get("/stats/requests").json["run_time_left"] <= 30
    web.client.post("/swarm", data={"user_count": "4", "spawn_rate": "2", "run_time": "2h"})
    assert web.client.get("/stats/requests").json["run_time_left"] > 30


def test_stats_requests_has_locusts_shape_with_aggregated_last(web: Web) -> None:
    web.request("/b", 10)
    web.request("/a", 30)
    web.request("/a", 50, error="boom")
    data = web.client.get("/stats/requests").json
    assert [(r["name"], r["method"]) for r in data["stats"]] == [
        ("/a", "GET"),
        ("/b", "GET"),
        ("Aggregated", ""),
    ]
    a, total = data["stats"][0], data["stats"][-1]
    assert (a["num_requests"], a["num_failures"]) == (2, 1)
    assert total["num_requests"] == 3
    assert a["min_response_time"] == 30 and a["max_response_time"] == 50
    assert a["response_time_percentile_0.95"] == pytest.approx(50, rel=0.01)
    assert data["errors"] == [
        {
            "method": "GET",
            "name": "/a",
            "error": "boom",
            "occurrences": 1,
            "first_seen": web.clock(),
            "last_seen": web.clock(),
        }
    ]
    assert data["fail_ratio"] == pytest.approx(1 / 3)
    assert data["workers"] == [] and data["is_distributed"] is False


def test_names_are_escaped_in_safe_name(web: Web) -> None:
    web.request("/<b>", 1)
    assert web.client.get("/stats/requests").json["stats"][0]["safe_name"] == "/&lt;b&gt;"


def read_csv(body: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(body.decode())))


def test_csv_downloads_are_the_files_csv_writes(web: Web) -> None:
    web.request("/a", 10, error="boom")
    web.env.stats.log_exception("ValueError()", "Traceback...", node="local")
    stats = web.client.get("/stats/requests/csv")
    assert stats.mimetype == "text/csv"
    assert "attachment" in stats.headers["Content-Disposition"]
    rows = read_csv(stats.data)
    assert rows[0] == STATS_COLUMNS
    assert [r[1] for r in rows[1:]] == ["/a", "Aggregated"]
    failures = read_csv(web.client.get("/stats/failures/csv").data)
    assert failures == [FAILURES_COLUMNS, ["GET", "/a", "boom", "1"]]
    exceptions = read_csv(web.client.get("/exceptions/csv").data)
    assert exceptions == [EXCEPTIONS_COLUMNS, ["1", "ValueError()", "Traceback...", "local"]]


def test_full_history_csv_is_404_unless_the_run_writes_one(web: Web) -> None:
    reply = web.client.get("/stats/requests_full_history/csv")
    assert reply.status_code == 404
    assert "--csv-full-history" in reply.json["message"]


def test_exceptions_json(web: Web) -> None:
    web.env.stats.log_exception("KeyError('x')", "tb", node="w1")
    web.env.stats.log_exception("KeyError('x')", "tb", node="w2")
    assert web.client.get("/exceptions").json == {
        "exceptions": [{"count": 2, "msg": "KeyError('x')", "traceback": "tb", "nodes": "w1, w2"}]
    }


def test_reset_zeroes_the_statistics_and_fires_reset_stats(web: Web) -> None:
    fired = []
    web.env.events.reset_stats.add_listener(lambda: fired.append(True))
    web.request("/a", 10, error="boom")
    web.env.stats.log_exception("E()", "tb")
    assert web.client.post("/stats/reset").json["success"] is True
    data = web.client.get("/stats/requests").json
    assert data["stats"][-1]["num_requests"] == 0 and data["errors"] == []
    assert web.client.get("/exceptions").json == {"exceptions": []}
    assert fired == [True]


def test_json_report_download(web: Web) -> None:
    web.request("/a", 10)
    reply = web.client.get("/api/stats/json")
    assert "attachment" in reply.headers["Content-Disposition"]
    assert [e["name"] for e in reply.json] == ["/a"]


def test_history_of_the_totals_and_of_one_endpoint(web: Web) -> None:
    web.client.post("/swarm", data={"user_count": "0", "spawn_rate": "1"})
    web.request("/a", 10)
    web.env.stats.record_history(web.clock(), 2)
    web.ui.record_history(web.clock())
    totals = web.client.get("/api/history").json["points"]
    assert [p["user_count"] for p in totals] == [2]
    mine = web.client.get("/api/history", query_string={"name": "/a", "method": "GET"})
    assert len(mine.json["points"]) == 1
    assert web.client.get("/api/history?name=/zzz&method=GET").json == {"points": []}


def test_a_new_test_clears_the_endpoint_history(web: Web) -> None:
    web.client.post("/swarm", data={"user_count": "0", "spawn_rate": "1"})
    web.request("/a", 10)
    web.ui.record_history(web.clock())
    assert web.client.get("/api/history?name=/a&method=GET").json["points"]
    web.client.post("/stop")
    web.client.post("/swarm", data={"user_count": "0", "spawn_rate": "1"})
    assert web.client.get("/api/history?name=/a&method=GET").json == {"points": []}


def test_logs_keep_this_processs_last_lines(web: Web) -> None:
    web.ui.logs.attach()
    try:
        logging.getLogger("swarm.test").warning("hello from the test")
    finally:
        web.ui.logs.detach()
    data = web.client.get("/logs").json
    assert data["workers"] == {}
    assert data["master"][-1].endswith("WARNING/swarm.test: hello from the test")


def test_user_classes_and_task_ratios(web: Web) -> None:
    data = web.client.get("/user_classes").json
    assert data == {
        "available": [
            {"name": "Idle", "weight": 1, "fixed_count": 0},
            {"name": "Other", "weight": 3, "fixed_count": 0},
        ],
        "selected": ["Idle"],
        "class_picker": False,
    }
    tasks = web.client.get("/tasks").json
    assert tasks["total"]["Idle"]["tasks"]["nothing"]["ratio"] == 1.0


def test_the_class_picker_selects_the_classes_to_run() -> None:
    for web in make_web(userclass_picker_is_active=True):
        reply = web.client.post(
            "/swarm", data={"user_count": "2", "spawn_rate": "10", "user_classes": ["Other"]}
        )
        assert reply.json["user_classes"] == ["Other"]
        assert [c.__name__ for c in web.env.user_classes] == ["Other"]


def test_the_class_picker_sets_the_weights_of_the_chosen_classes() -> None:
    from web.harness import Idle, Other

    saved = Idle.weight, Other.weight
    try:
        for web in make_web(userclass_picker_is_active=True):
            reply = web.client.post(
                "/swarm",
                data={
                    "user_count": "5",
                    "spawn_rate": "100",
                    "user_classes": ["Idle", "Other"],
                    "weight_Idle": "4",
                    "weight_Other": "1",
                },
            )
            assert reply.status_code == 200, reply.json
            assert (Idle.weight, Other.weight) == (4, 1)
            assert web.client.get("/").status_code == 200  # the form shows the new weights
    finally:
        Idle.weight, Other.weight = saved


def test_an_error_in_a_route_is_a_json_500_and_logged(
    web: Web, caplog: pytest.LogCaptureFixture
) -> None:
    def broken() -> str:
        raise RuntimeError("kaput")

    web.ui.app.add_url_rule("/broken", view_func=broken)
    with caplog.at_level(logging.ERROR, logger="swarm.web.app"):
        reply = web.client.get("/broken")
    assert reply.status_code == 500
    assert reply.json == {"success": False, "message": "internal error: RuntimeError: kaput"}
    assert "kaput" in caplog.text


def test_unknown_routes_and_methods_answer_json(web: Web) -> None:
    assert web.client.get("/nothing").status_code == 404
    assert web.client.get("/nothing").json["success"] is False
    assert web.client.get("/swarm").status_code == 405


def test_no_cors_headers_and_cross_site_posts_refused(web: Web) -> None:
    reply = web.client.get("/stats/requests", headers={"Origin": "http://evil.example"})
    assert not any(h.lower().startswith("access-control-") for h, _ in reply.headers)
    refused = web.client.post("/stop", headers={"Sec-Fetch-Site": "cross-site"})
    assert refused.status_code == 403
    assert web.client.post("/stop", headers={"Sec-Fetch-Site": "same-origin"}).status_code == 200
