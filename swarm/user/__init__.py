"""What userfiles import to describe users: ``User``, task sets, ``@task``, ``@tag``, wait times.

``HttpUser`` is also importable from here (as in Locust), loaded on first use from
``swarm.protocols.http`` so that this layer does not import the transport layer.
"""

from __future__ import annotations

from typing import Any

from swarm.user import wait_time
from swarm.user.markov import MarkovTaskSet, transition, transitions
from swarm.user.sequential import SequentialTaskSet
from swarm.user.task import TaskSet, tag, task
from swarm.user.users import User
from swarm.user.wait_time import between, constant, constant_pacing, constant_throughput, poisson

__all__ = [
    "HttpUser",
    "MarkovTaskSet",
    "SequentialTaskSet",
    "TaskSet",
    "User",
    "between",
    "constant",
    "constant_pacing",
    "constant_throughput",
    "poisson",
    "tag",
    "task",
    "transition",
    "transitions",
    "wait_time",
]


def __getattr__(name: str) -> Any:
    if name == "HttpUser":
        # Imported late: the user API sits below the transport layer that defines HttpUser.
        from swarm.protocols.http import HttpUser  # noqa: PLC0415 -- deliberately lazy

        return HttpUser
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
