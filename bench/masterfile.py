"""The userfile of the master under test in ``bench_master.py``, for swarm and Locust alike.

It is a locustfile that also runs after replacing ``locust`` with ``swarm``: the import below
takes whichever the interpreter has, so the same file drives both masters. On a master it
registers the custom message ``bench_stats``: its handler builds what the web UI's stats
request builds (every entry and the total serialized with percentiles, the errors, the
current percentiles of the total, one row per worker), turns it into JSON as the UI would,
and replies ``bench_stats_reply`` to the sender with the request's ``n``, the JSON's size and
the number of requests merged so far.
A simulated worker times that round trip: the master's "stats API latency".
"""

from __future__ import annotations

import json
from typing import Any

try:
    from swarm import User, constant, events
    from swarm.runners import MasterRunner
except ImportError:  # Locust's virtual environment: the same file, Locust's names
    from locust import User, constant, events  # type: ignore[no-redef]  # the Locust twin
    from locust.runners import MasterRunner  # type: ignore[no-redef]  # the Locust twin

STATS_REQUEST = "bench_stats"
STATS_REPLY = "bench_stats_reply"
# the charts' percentiles, as the UI's stats request reports them for the total
_CHART_PERCENTILES = (0.5, 0.95)


class MasterBenchUser(User):
    """Never started: the master only needs a user class to exist."""

    wait_time = constant(1)

    def noop(self) -> None:
        """The one task (the benchmark never runs users)."""

    tasks = [noop]  # noqa: RUF012 -- a userfile declares tasks exactly like this


def _workers(runner: Any) -> list[dict[str, Any]]:
    # Locust keeps its workers in a mapping, swarm in an iterable of nodes
    nodes = runner.clients.values() if hasattr(runner.clients, "values") else runner.clients
    return [
        {
            "id": node.id,
            "state": node.state,
            "user_count": node.user_count,
            "cpu_usage": node.cpu_usage,
            "memory_usage": node.memory_usage,
        }
        for node in nodes
    ]


def ui_stats(environment: Any) -> dict[str, Any]:
    """What the web UI's stats request returns, built with the implementation's own calls."""
    runner = environment.runner
    stats = runner.stats
    rows = [stats.entries[key].to_dict() for key in sorted(stats.entries)]
    rows.append(stats.total.to_dict())
    return {
        "stats": rows,
        "errors": [error.serialize() for error in stats.errors.values()],
        "current_rps": rows[-1]["current_rps"],
        "fail_ratio": stats.total.fail_ratio,
        "current_response_time_percentiles": {
            f"response_time_percentile_{q}": stats.total.get_current_response_time_percentile(q)
            for q in _CHART_PERCENTILES
        },
        "workers": _workers(runner),
        "worker_count": runner.worker_count,
        "state": runner.state,
        "user_count": runner.user_count,
    }


def on_stats_request(environment: Any, msg: Any, **_kwargs: Any) -> None:
    """Answer a ``bench_stats`` request as the UI would answer a browser."""
    text = json.dumps(ui_stats(environment))
    reply = {
        "n": msg.data["n"],
        "bytes": len(text),
        "requests": environment.runner.stats.num_requests,
    }
    environment.runner.send_message(STATS_REPLY, reply, client_id=msg.node_id)


@events.init.add_listener
def on_init(environment: Any, **_kwargs: Any) -> None:
    """On a master, register the stats request."""
    if isinstance(environment.runner, MasterRunner):
        environment.runner.register_message(STATS_REQUEST, on_stats_request)
