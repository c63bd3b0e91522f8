"""An Environment with a local runner and its WebUI, driven through Flask's test client.

Imported as ``web.harness`` (``tests`` is on the path) by the conftest and the tests."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from fake_clock import FakeClock
from flask.testing import FlaskClient

from swarm import LoadTestShape, User, constant, task
from swarm.env import Environment
from swarm.event import Events
from swarm.shapes import ArrivalRateShape
from swarm.web import WebUI


class Idle(User):
    """A user that never makes a request: tests fire the request events themselves."""

    wait_time = constant(60)

    @task
    def nothing(self) -> None:
        pass


class Other(User):
    wait_time = constant(60)
    weight = 3

    @task
    def nothing(self) -> None:
        pass


class Script(LoadTestShape):
    """A load shape answering ``plan`` one tick after another (the last answer from then on),
    from its first answer again whenever the runner resets its time."""

    def __init__(self, *plan: tuple[int, float] | None) -> None:
        super().__init__()
        self.plan = plan
        self.ticks = 0

    def reset_time(self) -> None:
        super().reset_time()
        self.ticks = 0

    def tick(self) -> tuple[int, float] | None:
        answer = self.plan[min(self.ticks, len(self.plan) - 1)]
        self.ticks += 1
        return answer


class Orders(ArrivalRateShape):
    """The open model: 200 iterations/s, until stopped, by a pool of up to 4 users."""

    start_rate = 200
    max_users = 4


@dataclass
class Web:
    env: Environment
    ui: WebUI
    client: FlaskClient
    clock: FakeClock

    def request(self, name: str, ms: float, method: str = "GET", error: str | None = None) -> None:
        """One request, as a user would report it."""
        self.env.events.request.fire(
            request_type=method,
            name=name,
            response_time=ms,
            response_length=100,
            exception=error,
            context={},
        )


def make_web(shape: LoadTestShape | None = None, **ui_options: object) -> Iterator[Web]:
    """A fresh environment (with ``shape`` as its load shape) and its web UI, not serving."""
    clock = FakeClock()
    env = Environment(user_classes=[Idle], events=Events(), clock=clock, shape_class=shape)
    env.available_user_classes = {"Idle": Idle, "Other": Other}
    env.create_local_runner()
    ui = env.create_web_ui(port=0, delayed_start=True, **ui_options)  # type: ignore[arg-type]
    yield Web(env, ui, ui.app.test_client(), clock)
    assert env.runner is not None
    env.runner.quit()
