"""StatsError: grouping of failures, their names and their dicts."""

from __future__ import annotations

import json

from swarm.exceptions import CatchResponseError
from swarm.stats import StatsError


class Widget:
    pass


def test_parse_error_masks_memory_addresses() -> None:
    text = StatsError.parse_error(ValueError(f"bad {Widget()!r}"))
    assert "object at 0x....>" in text
    assert text.startswith("ValueError(")


def test_parse_error_keeps_strings_and_other_hex_numbers() -> None:
    assert StatsError.parse_error("status 0x1F") == "status 0x1F"
    assert StatsError.parse_error(None) == "None"


def test_create_key_groups_errors_that_differ_only_by_address() -> None:
    one = StatsError.create_key("GET", "/a", ValueError(repr(Widget())))
    two = StatsError.create_key("GET", "/a", ValueError(repr(Widget())))
    assert one == two
    assert one != StatsError.create_key("POST", "/a", ValueError(repr(Widget())))
    assert one != StatsError.create_key("GET", "/a", KeyError(repr(Widget())))


def test_to_name_shows_method_name_and_error() -> None:
    assert StatsError("GET", "/a", ValueError("x")).to_name() == "GET /a: ValueError('x')"
    assert StatsError("GET", "/a", "text error").to_name() == "GET /a: text error"


def test_to_name_unwraps_catch_response_errors_local_and_shipped() -> None:
    local = StatsError("GET", "/a", CatchResponseError("Got 500"))
    shipped = StatsError.unserialize(json.loads(json.dumps(local.serialize())))
    assert local.to_name() == "GET /a: Got 500"
    assert shipped.to_name() == "GET /a: Got 500"


def test_occurred_counts_and_tracks_first_and_last_seen() -> None:
    error = StatsError("GET", "/a", "x")
    for now in (5.0, 3.0, 9.0):
        error.occurred(now)
    assert (error.occurrences, error.first_seen, error.last_seen) == (3, 3.0, 9.0)


def test_merge_adds_occurrences_and_widens_the_seen_times() -> None:
    here = StatsError("GET", "/a", "x", 2, first_seen=10.0, last_seen=20.0)
    there = StatsError("GET", "/a", "x", 3, first_seen=5.0, last_seen=15.0)
    here.merge(there)
    assert (here.occurrences, here.first_seen, here.last_seen) == (5, 5.0, 20.0)


def test_to_dict_has_locust_fields_and_round_trips() -> None:
    error = StatsError("GET", "/a", ValueError(repr(Widget())), 4, first_seen=1.0, last_seen=2.0)
    data = error.to_dict()
    assert list(data)[:4] == ["method", "name", "error", "occurrences"]
    assert "0x....>" in data["error"]
    assert StatsError.unserialize(data).to_dict() == data
