"""The task ratio (``--show-task-ratio``, ``--show-task-ratio-json``): how often each task runs.

``get_ratio`` returns, per user class, the share of users of that class and, nested, the share
of each task (and of the tasks inside each nested TaskSet)::

    {"MyUser": {"ratio": 1.0, "tasks": {"index": {"ratio": 0.75}, "Forum": {"ratio": 0.25,
        "tasks": {"read": {"ratio": 1.0}}}}}}

With ``total`` false each task's ratio is its share among its siblings; with ``total`` true it
is its share of all the tasks run by all users (the product of the ratios on its path,
the class's share included). A MarkovTaskSet is shown as one task.
"""

from __future__ import annotations

import json
import sys
from collections import Counter
from collections.abc import Sequence
from typing import Any, TextIO

from swarm.user.task import Task, taskset_class
from swarm.user.users import User

Ratios = dict[str, dict[str, Any]]


def get_ratio(
    user_classes: Sequence[type[User]], user_spawned: dict[str, int], total: bool
) -> Ratios:
    """The nested ratios of ``user_classes``, given how many users of each (by class name) run.

    A class's ratio is its share of ``user_spawned`` (0 for a class not in it).
    """
    user_count = sum(user_spawned.values()) or 1
    ratios: Ratios = {}
    for user_class in user_classes:
        share = user_spawned.get(user_class.__name__, 0) / user_count
        ratios[user_class.__name__] = {
            "ratio": share,
            "tasks": _task_ratios(user_class.tasks, share if total else 1.0, total),
        }
    return ratios


def _task_ratios(tasks: Sequence[Task], scale: float, total: bool) -> Ratios:
    counts = Counter(tasks)
    ratios: Ratios = {}
    for task, count in counts.items():
        share = scale * count / len(tasks)
        entry: dict[str, Any] = {"ratio": share}
        nested = taskset_class(task)
        if nested is not None and nested._has_task_list:
            entry["tasks"] = _task_ratios(nested.tasks, share if total else 1.0, total)
        ratios[task.__name__] = entry
    return ratios


def user_distribution(user_classes: Sequence[type[User]], num_users: int | None) -> dict[str, int]:
    """How many users of each class ``num_users`` users make: fixed counts first, the rest by
    weight, rounded. Without ``num_users``: the sum of the weights (one user per fixed class
    when any class has a fixed count)."""
    fixed = sum(u.fixed_count for u in user_classes if u.fixed_count)
    total_weight = sum(u.weight for u in user_classes if not u.fixed_count)
    weighted_users = max(0, (num_users or (1 if fixed else total_weight)) - fixed)
    per_weight = weighted_users / total_weight if total_weight else 0.0
    return {u.__name__: round(u.fixed_count or u.weight * per_weight) for u in user_classes}


def print_task_ratio(
    user_classes: Sequence[type[User]],
    num_users: int | None,
    total: bool,
    file: TextIO | None = None,
) -> None:
    """Print the task ratio as an indented table: percentage, then name (``--show-task-ratio``)."""
    ratios = get_ratio(user_classes, user_distribution(user_classes, num_users), total)
    _print_rows(ratios, 0, file or sys.stdout)


def _print_rows(ratios: Ratios, level: int, out: TextIO) -> None:
    padding = "  " * level
    for name, entry in ratios.items():
        percent = f"{padding}{entry['ratio'] * 100:<6.1f}"
        print(f" {percent:<10} {padding + name:<50}", file=out)
        if "tasks" in entry:
            _print_rows(entry["tasks"], level + 1, out)


def print_task_ratio_json(
    user_classes: Sequence[type[User]], num_users: int | None, file: TextIO | None = None
) -> None:
    """Print ``{"per_class": ..., "total": ...}`` as indented JSON (``--show-task-ratio-json``)."""
    spawned = user_distribution(user_classes, num_users)
    report = {
        "per_class": get_ratio(user_classes, spawned, False),
        "total": get_ratio(user_classes, spawned, True),
    }
    print(json.dumps(report, indent=4), file=file or sys.stdout)
