"""run_single_user: one user in the foreground, every request printed."""

from __future__ import annotations

import io

import pytest

from swarm import StopUser, User, constant, run_single_user, task


class Scripted(User):
    wait_time = constant(0)
    calls = 0

    @task
    def step(self) -> None:
        type(self).calls += 1
        if self.calls > 3:
            raise StopUser()
        self.environment.events.request.fire(
            request_type="GET",
            name=f"/step/{self.calls}",
            response_time=12.5,
            response_length=100,
            response=None,
            context={"user": "scripted"},
            exception=None,
            start_time=1.0,
            url=None,
        )


def test_prints_every_request_and_returns_when_the_user_stops() -> None:
    out = io.StringIO()
    env = run_single_user(
        Scripted, include_length=True, include_context=True, loglevel=None, stream=out
    )
    lines = out.getvalue().splitlines()
    assert lines[0].split(" | ")[0].strip() == "type"
    assert [line.split(" | ")[1].strip() for line in lines[1:]] == [
        "/step/1",
        "/step/2",
        "/step/3",
    ]
    assert "100" in lines[1] and "scripted" in lines[1]
    assert env.stats.total.num_requests == 3


def test_exceptions_are_raised_for_the_debugger() -> None:
    class Broken(User):
        wait_time = constant(0)

        @task
        def fail(self) -> None:
            raise LookupError("stop here")

    with pytest.raises(LookupError):
        run_single_user(Broken, loglevel=None, stream=io.StringIO())
