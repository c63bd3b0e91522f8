"""swarm: distributed load testing in plain Python, a drop-in successor to Locust.

The names a userfile imports live here (``from swarm import HttpUser, task, between``);
everything else is in submodules.
"""

from gevent import monkey

if not monkey.is_module_patched("socket"):
    # Every socket must be cooperative before requests (and urllib3) are imported.
    monkey.patch_all()

# The imports below come after the monkey patch on purpose.
from swarm.__version__ import __version__
from swarm.event import Events

#: The hooks userfiles listen to (``@events.test_start.add_listener``).
events = Events()

from swarm.contrib.fasthttp import FastHttpUser  # noqa: E402
from swarm.debug import run_single_user  # noqa: E402
from swarm.exceptions import (  # noqa: E402
    InterruptTaskSet,
    RescheduleTask,
    RescheduleTaskImmediately,
    StopTest,
    StopUser,
)
from swarm.protocols.http import HttpUser  # noqa: E402
from swarm.user import (  # noqa: E402
    MarkovTaskSet,
    SequentialTaskSet,
    TaskSet,
    User,
    between,
    constant,
    constant_pacing,
    constant_throughput,
    poisson,
    tag,
    task,
    transition,
    transitions,
)
from swarm.user.shape import LoadTestShape  # noqa: E402

__all__ = [
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
]
