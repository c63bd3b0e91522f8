"""The dashboard's saturation banner: the generator's verdict, in /stats/requests."""

from __future__ import annotations

import time

from web.harness import Web


def generator_of(web: Web) -> dict[str, object]:
    verdict = web.client.get("/stats/requests").json["generator"]
    assert isinstance(verdict, dict)
    return verdict


def test_no_banner_when_nothing_was_saturated(web: Web) -> None:
    verdict = generator_of(web)
    assert verdict["saturated"] is False
    assert (verdict["headline"], verdict["detail"], verdict["master_note"]) == (None, None, None)


def test_a_saturated_generator_gives_the_banner_its_share_and_where(web: Web) -> None:
    assert web.env.runner is not None
    monitor = web.env.runner.saturation_monitor
    monitor.begin(0.0)
    monitor.observe("local", 10.0, cpu=97.0, loop_lag=0.0)  # saturated for these 10 s
    monitor.observe("local", 20.0, cpu=20.0, loop_lag=0.001)  # not for the next 10
    verdict = generator_of(web)
    assert verdict["saturated"] is True
    assert verdict["saturated_share"] == 0.5
    assert verdict["peak_cpu"] == 97.0
    headline, detail = str(verdict["headline"]), str(verdict["detail"])
    assert "saturated for 50% of the test" in headline
    assert "latencies may be inflated" in headline
    assert "local 50%" in detail and "peak CPU 97%" in detail
    assert verdict["master_note"] is None


def test_a_saturated_master_is_a_note_not_a_generator_verdict(web: Web) -> None:
    assert web.env.runner is not None
    monitor = web.env.runner.saturation_monitor
    monitor.begin(0.0)
    monitor.observe("master", 10.0, cpu=0.0, loop_lag=0.5, generates_load=False)
    verdict = generator_of(web)
    assert verdict["saturated"] is False and verdict["headline"] is None
    assert "The master was saturated for 100% of the test" in str(verdict["master_note"])


def test_the_verdict_stays_after_the_test_stops(web: Web) -> None:
    web.client.post("/swarm", data={"user_count": "0", "spawn_rate": "1"})
    assert web.env.runner is not None
    # The runner's own samples are on time.monotonic(): this one covers the next 10 s.
    web.env.runner.saturation_monitor.observe(
        "local", time.monotonic() + 10, cpu=100.0, loop_lag=0.0
    )
    web.client.post("/stop")
    assert generator_of(web)["saturated"] is True
