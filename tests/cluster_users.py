"""Users for the runner tests of masters, workers and relays: one known request, then a gate."""

from __future__ import annotations

from gevent.event import Event

from swarm.user import User, constant, task

#: A safety net for joins: a broken runner fails the test instead of hanging it.
LIMIT_S = 10
#: Users wait here after their request; tests open it when they are done.
gate = Event()


class Shopper(User):
    """Fires one request of a known duration, then waits at the gate."""

    wait_time = constant(0)
    weight = 3

    @task
    def shop(self) -> None:
        self.environment.events.request.fire(
            request_type="GET",
            name="/cart",
            response_time=self.response_time,
            response_length=10,
            exception=None,
            context={},
        )
        gate.wait()

    @property
    def response_time(self) -> float:
        return 10.0 + (id(self) % 97)


class Browser(Shopper):
    weight = 1
