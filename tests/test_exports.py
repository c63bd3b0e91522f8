"""The public surface: what ``from swarm import ...`` and Locust's module paths offer."""

from __future__ import annotations

import importlib

import swarm


def test_top_level_exports_are_exactly_the_intended_ones() -> None:
    assert swarm.__all__ == sorted(swarm.__all__)
    assert set(swarm.__all__) == {
        "FastHttpUser",
        "HttpUser",
        "InterruptTaskSet",
        "LoadTestShape",
        "MarkovTaskSet",
        "RescheduleTask",
        "RescheduleTaskImmediately",
        "SequentialTaskSet",
        "StopTest",
        "StopUser",
        "TaskSet",
        "User",
        "__version__",
        "between",
        "constant",
        "constant_pacing",
        "constant_throughput",
        "events",
        "poisson",
        "run_single_user",
        "tag",
        "task",
        "transition",
        "transitions",
    }
    for name in swarm.__all__:
        assert getattr(swarm, name) is not None


def test_locust_module_paths_exist_under_swarm() -> None:
    expected = {
        "swarm.env": ["Environment"],
        "swarm.runners": [
            "Runner",
            "LocalRunner",
            "STATE_INIT",
            "STATE_SPAWNING",
            "STATE_RUNNING",
            "STATE_CLEANUP",
            "STATE_STOPPING",
            "STATE_STOPPED",
            "STATE_MISSING",
            "MasterRunner",
            "WorkerRunner",
        ],
        "swarm.stats": ["RequestStats", "StatsEntry", "stats_printer", "stats_history"],
        "swarm.exception": [
            "StopUser",
            "RescheduleTask",
            "RescheduleTaskImmediately",
            "InterruptTaskSet",
            "StopTest",
            "ResponseError",
            "CatchResponseError",
            "LocustError",
        ],
        "swarm.log": ["setup_logging"],
        "swarm.clients": ["HttpSession", "ResponseContextManager"],
        "swarm.user": ["task", "wait_time", "User", "TaskSet", "HttpUser"],
        "swarm.user.wait_time": ["between", "constant", "constant_pacing"],
        "swarm.event": ["EventHook", "Events"],
        "swarm.contrib.fasthttp": ["FastHttpUser", "FastHttpSession"],
    }
    for module_name, names in expected.items():
        module = importlib.import_module(module_name)
        for name in names:
            assert hasattr(module, name), f"{module_name}.{name}"


def test_errors_and_control_flow_signals_are_kept_apart() -> None:
    from swarm import exceptions

    for signal in exceptions.CONTROL_FLOW:
        assert not issubclass(signal, exceptions.SwarmError)
    for error in (
        exceptions.ConfigError,
        exceptions.UserfileError,
        exceptions.ProtocolError,
        exceptions.ResponseError,
        exceptions.CatchResponseError,
    ):
        assert issubclass(error, exceptions.SwarmError)
    assert exceptions.InterruptTaskSet(reschedule=False).reschedule is False


def test_module_level_events_are_one_events_object() -> None:
    from swarm.event import Events

    assert isinstance(swarm.events, Events)
    assert swarm.events.request is swarm.events.request


def test_distributed_runners_import_from_locusts_module_paths() -> None:
    from swarm.env import Environment
    from swarm.runners import LocalRunner, MasterRunner, WorkerRunner, distributed

    assert (distributed.MasterRunner, distributed.WorkerRunner) == (MasterRunner, WorkerRunner)
    env = Environment(user_classes=[])
    runner = env.create_local_runner()
    assert isinstance(runner, LocalRunner)
    assert not isinstance(runner, (MasterRunner, WorkerRunner))
    runner.quit()


def test_fast_http_user_is_an_abstract_user_under_locusts_names() -> None:
    from swarm.contrib.fasthttp import FastHttpSession, FastHttpUser, ResponseContextManager
    from swarm.protocols.fasthttp_response import FastResponse

    assert swarm.FastHttpUser is FastHttpUser
    assert issubclass(FastHttpUser, swarm.User)
    assert FastHttpUser.abstract is True
    assert FastHttpUser.__annotations__["client"] == "FastHttpSession"
    assert FastHttpSession.__name__ == "FastHttpSession"
    assert ResponseContextManager is FastResponse
