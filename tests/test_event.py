"""The event bus: listener checks, fire semantics, measure(), and the docs kept in step."""

from __future__ import annotations

import logging
import re
from pathlib import Path

import pytest

from swarm.event import SPECS, EventHook, Events, HookSpec, ListenerError
from swarm.exceptions import StopUser


def test_every_locust_event_exists_with_its_arguments() -> None:
    events = Events()
    expected = {
        "init": {"environment", "runner", "web_ui"},
        "init_command_line_parser": {"parser"},
        "test_start": {"environment"},
        "test_stopping": {"environment"},
        "test_stop": {"environment"},
        "request": {
            "request_type",
            "name",
            "response_time",
            "response_length",
            "response",
            "context",
            "exception",
            "start_time",
            "url",
        },
        "user_error": {"user_instance", "exception", "tb"},
        "spawning_complete": {"user_count"},
        "quitting": {"environment"},
        "quit": {"exit_code"},
        "reset_stats": set(),
        "report_to_master": {"client_id", "data"},
        "worker_report": {"client_id", "data"},
        "worker_connect": {"client_id"},
        "heartbeat_sent": {"client_id", "timestamp"},
        "heartbeat_received": {"client_id", "timestamp"},
        "usage_monitor": {"environment", "cpu_usage", "memory_usage"},
        "cpu_warning": {"environment", "cpu_usage", "message", "timestamp"},
    }
    for name, names in expected.items():
        hook = getattr(events, name)
        assert isinstance(hook, EventHook)
        assert hook.spec is not None and hook.spec.names == names, name


def test_listener_receives_only_the_arguments_it_names() -> None:
    hook = EventHook("x", HookSpec(("a", "b"), ("c",)))
    seen: list[tuple[object, ...]] = []

    @hook.add_listener
    def only_b(b: int) -> None:
        seen.append((b,))

    hook.add_listener(lambda **kw: seen.append(tuple(sorted(kw))))
    hook.fire(a=1, b=2, c=3)
    assert seen == [(2,), ("a", "b", "c")]


def test_add_listener_returns_the_handler_so_it_decorates() -> None:
    hook = EventHook("x", HookSpec(("a",)))

    def handler(a: int) -> None:
        pass

    assert hook.add_listener(handler) is handler


def test_listener_needing_an_unknown_argument_is_refused_when_added() -> None:
    hook = EventHook("test_start", HookSpec(("environment",)))
    with pytest.raises(ListenerError, match=r"'enviroment'.*never passes"):
        hook.add_listener(lambda enviroment: None)


def test_listener_argument_with_a_default_is_allowed() -> None:
    hook = EventHook("x", HookSpec(("a",)))
    got = []
    hook.add_listener(lambda a, extra=5: got.append((a, extra)))
    hook.fire(a=1)
    assert got == [(1, 5)]


def test_remove_listener() -> None:
    hook = EventHook("x", HookSpec(("a",)))
    got = []

    def handler(a: int) -> None:
        got.append(a)

    hook.add_listener(handler)
    hook.remove_listener(handler)
    hook.fire(a=1)
    assert got == []
    with pytest.raises(ValueError, match="not a listener"):
        hook.remove_listener(handler)


def test_listener_exception_is_logged_and_counted_not_raised(
    caplog: pytest.LogCaptureFixture,
) -> None:
    events = Events()
    later = []

    def broken(environment: object) -> None:
        raise RuntimeError("boom")

    events.test_start.add_listener(broken)

    def record(environment: object) -> None:
        later.append(environment)

    events.test_start.add_listener(record)
    with caplog.at_level(logging.ERROR):
        events.test_start.fire(environment="env")
    assert later == ["env"]  # the next listener still ran
    assert events.listener_errors == 1
    assert "boom" in caplog.text and "test_start" in caplog.text


def test_control_flow_signals_pass_through_listeners() -> None:
    hook = EventHook("request", SPECS["request"][0])

    def stop(**kwargs: object) -> None:
        raise StopUser()

    hook.add_listener(stop)
    with pytest.raises(StopUser):
        hook.fire(request_type="GET", name="/", response_time=1.0, response_length=0)
    assert hook.errors == 0


def test_reraise_raises_a_listener_exception_at_once_after_logging_it() -> None:
    hook = EventHook("x", HookSpec(("a",)), strict=True)
    got: list[dict[str, object]] = []

    def broken(a: int) -> None:
        raise RuntimeError("boom")

    hook.add_listener(broken)
    hook.add_listener(lambda **kw: got.append(kw))
    with pytest.raises(RuntimeError, match="boom"):
        hook.fire(a=1, reraise=True)
    assert got == [] and hook.errors == 1
    hook.fire(a=2)  # without reraise, logged and counted only
    assert got == [{"a": 2}] and hook.errors == 2


def test_strict_fire_refuses_missing_or_unknown_arguments() -> None:
    hook = EventHook("x", HookSpec(("a",), ("b",)), strict=True)
    with pytest.raises(ListenerError, match=r"missing \['a'\]"):
        hook.fire(b=1)
    with pytest.raises(ListenerError, match=r"unknown \['z'\]"):
        hook.fire(a=1, z=2)
    hook.fire(a=1)


def test_hook_without_spec_accepts_anything() -> None:
    hook = EventHook()
    got = []
    hook.add_listener(lambda anything, **kw: got.append(anything))
    hook.fire(anything=1, more=2)
    assert got == [1]


def test_measure_fires_a_request_with_timing_and_failure() -> None:
    events = Events()
    fired: list[dict[str, object]] = []
    events.request.add_listener(lambda **kw: fired.append(kw))
    with events.request.measure("grpc", "GetUser") as meta:
        meta["response_length"] = 42
    with events.request.measure("grpc", "Broken"):
        raise ValueError("nope")
    ok, failed = fired
    assert ok["request_type"] == "grpc" and ok["name"] == "GetUser"
    assert ok["response_length"] == 42 and ok["exception"] is None
    assert isinstance(ok["response_time"], float) and ok["response_time"] >= 0
    assert isinstance(failed["exception"], ValueError)


def test_events_reference_lists_every_event() -> None:
    doc = (Path(__file__).parents[1] / "docs" / "events.md").read_text()
    documented = set(re.findall(r"^\| `(\w+)` \|", doc, flags=re.M))
    assert documented == set(SPECS)
