"""Running one user in the foreground, for stepping through a userfile in a debugger.

::

    if __name__ == "__main__":
        run_single_user(MyUser)

Every request is printed as it completes; exceptions in tasks are raised, not swallowed, so
the debugger stops where they happen.
"""

from __future__ import annotations

import sys
from typing import Any, TextIO

import swarm
from swarm.env import Environment
from swarm.log import setup_logging
from swarm.user import User


class _RequestPrinter:
    """Prints one line per request: type, name, time, and optionally more."""

    def __init__(
        self,
        stream: TextIO,
        include_length: bool,
        include_time: bool,
        include_context: bool,
    ) -> None:
        self.stream = stream
        self.include_length = include_length
        self.include_time = include_time
        self.include_context = include_context
        columns = ["type", "name", "resp_ms", "exception"]
        if include_length:
            columns.insert(3, "resp_len")
        if include_time:
            columns.insert(0, "time")
        if include_context:
            columns.append("context")
        print(self._row(columns), file=stream)

    @staticmethod
    def _row(values: list[Any]) -> str:
        widths = (8, 40, 8, 8, 30)
        return " | ".join(f"{v!s:<{widths[min(i, len(widths) - 1)]}}" for i, v in enumerate(values))

    def __call__(
        self,
        request_type: str,
        name: str,
        response_time: float,
        response_length: int,
        exception: BaseException | None = None,
        context: dict[str, Any] | None = None,
        start_time: float | None = None,
    ) -> None:
        values: list[Any] = [request_type, name[:40], f"{response_time:.0f}", exception or ""]
        if self.include_length:
            values.insert(3, response_length)
        if self.include_time:
            values.insert(0, f"{start_time or 0:.3f}")
        if self.include_context:
            values.append(context or {})
        print(self._row(values), file=self.stream)


def run_single_user(
    user_class: type[User],
    include_length: bool = False,
    include_time: bool = False,
    include_context: bool = False,
    loglevel: str | None = "WARNING",
    stream: TextIO | None = None,
) -> Environment:
    """Run one ``user_class`` in this greenlet until it stops (``StopUser``) or Ctrl-C."""
    if loglevel:
        setup_logging(loglevel)
    environment = Environment(
        user_classes=[user_class], events=swarm.events, catch_exceptions=False
    )
    printer = _RequestPrinter(stream or sys.stdout, include_length, include_time, include_context)
    environment.events.request.add_listener(printer)
    environment.events.init.fire(environment=environment, runner=None, web_ui=None)
    environment.events.test_start.fire(environment=environment)
    user = user_class(environment)
    try:
        user.run()
    except KeyboardInterrupt:
        pass
    finally:
        environment.events.request.remove_listener(printer)
        environment.events.test_stop.fire(environment=environment)
    return environment
