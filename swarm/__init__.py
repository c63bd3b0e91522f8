"""swarm: distributed load testing in plain Python, a drop-in successor to Locust."""

from gevent import monkey

if not monkey.is_module_patched("socket"):
    # Every socket must be cooperative before requests (and urllib3) are imported.
    monkey.patch_all()

from swarm.__version__ import __version__  # noqa: E402 -- after the monkey patch
from swarm.event import Events  # noqa: E402 -- after the monkey patch

#: The hooks userfiles listen to (``@events.test_start.add_listener``).
events = Events()

__all__ = ["__version__", "events"]
