"""Locust's home of the distributed runners: ``from swarm.runners.distributed import ...``."""

from swarm.runners.master import MasterRunner
from swarm.runners.worker import WorkerRunner

__all__ = ["MasterRunner", "WorkerRunner"]
