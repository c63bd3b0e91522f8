"""``LoadTestShape``: a test's user count and spawn rate as a function of time (Locust's API).

Subclass it in a userfile and write ``tick()``; swarm finds the class and, instead of a fixed
``-u``/``-r``, asks ``tick()`` every second what the test should be doing now::

    class Stages(LoadTestShape):
        def tick(self):
            run_time = self.get_run_time()
            if run_time < 60:
                return (10, 10)        # 10 users, spawned at 10/s
            if run_time < 120:
                return (50, 5)
            return None                # the test ends

A tick's answer takes effect at once, even in the middle of a ramp: the ramp in progress is
redirected toward the new target (Locust waits for the ramp to end first).
"""

from __future__ import annotations

import time
from typing import Any, ClassVar


class LoadTestShape:
    """Base class of load shapes. ``runner`` is set when the test starts.

    ``tick()`` returns ``(user_count, spawn_rate)``, ``(user_count, spawn_rate, user_classes)``
    or None to end the test. ``abstract = True`` marks a base meant to be subclassed.
    """

    abstract: ClassVar[bool] = True
    runner: Any = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if not vars(cls).get("abstract"):
            cls.abstract = False

    def __init__(self) -> None:
        self.start_time = time.monotonic()

    def reset_time(self) -> None:
        """Count ``get_run_time()`` from now (the runner calls it when the shape starts)."""
        self.start_time = time.monotonic()

    def get_run_time(self) -> float:
        """Seconds since the shape started."""
        return time.monotonic() - self.start_time

    def get_current_user_count(self) -> int:
        """How many users run now."""
        return int(self.runner.user_count) if self.runner is not None else 0

    def tick(self) -> tuple[Any, ...] | None:
        """What the test should be doing now; None ends it."""
        raise NotImplementedError(f"{type(self).__name__} must define tick()")
