"""The task ratio behind --show-task-ratio and --show-task-ratio-json."""

from __future__ import annotations

import io
import json

import pytest

from swarm.user import MarkovTaskSet, TaskSet, User, task, transition
from swarm.user.inspect import (
    get_ratio,
    print_task_ratio,
    print_task_ratio_json,
    user_distribution,
)


def make_classes():
    class Forum(TaskSet):
        @task(3)
        def read(self):
            pass

        @task(1)
        def write(self):
            pass

    class Reader(User):
        weight = 3

        @task(1)
        def index(self):
            pass

        tasks = {Forum: 1}

    class Admin(User):
        weight = 1

        @task
        def dashboard(self):
            pass

    return [Reader, Admin]


def test_ratio_per_class():
    ratios = get_ratio(make_classes(), {"Reader": 3, "Admin": 1}, total=False)
    assert ratios == {
        "Reader": {
            "ratio": 0.75,
            "tasks": {
                "Forum": {
                    "ratio": 0.5,
                    "tasks": {"read": {"ratio": 0.75}, "write": {"ratio": 0.25}},
                },
                "index": {"ratio": 0.5},
            },
        },
        "Admin": {"ratio": 0.25, "tasks": {"dashboard": {"ratio": 1.0}}},
    }


def test_total_ratio_multiplies_along_the_path():
    ratios = get_ratio(make_classes(), {"Reader": 3, "Admin": 1}, total=True)
    forum = ratios["Reader"]["tasks"]["Forum"]
    assert forum["ratio"] == pytest.approx(0.375)
    assert forum["tasks"]["read"]["ratio"] == pytest.approx(0.28125)
    assert ratios["Admin"]["tasks"]["dashboard"]["ratio"] == pytest.approx(0.25)


def test_a_class_without_users_has_ratio_zero():
    ratios = get_ratio(make_classes(), {"Reader": 2}, total=True)
    assert ratios["Admin"]["ratio"] == 0
    assert ratios["Admin"]["tasks"]["dashboard"]["ratio"] == 0


def test_a_markov_taskset_is_one_task():
    class Chain(MarkovTaskSet):
        @transition("step")
        def step(self):
            pass

    class MyUser(User):
        tasks = [Chain]

    assert get_ratio([MyUser], {"MyUser": 1}, total=False)["MyUser"]["tasks"] == {
        "Chain": {"ratio": 1.0}
    }


def test_user_distribution_by_weight_and_fixed_count():
    reader, admin = make_classes()
    assert user_distribution([reader, admin], 8) == {"Reader": 6, "Admin": 2}
    assert user_distribution([reader, admin], None) == {"Reader": 3, "Admin": 1}
    admin.fixed_count = 1
    assert user_distribution([reader, admin], 10) == {"Reader": 9, "Admin": 1}


def test_print_task_ratio_indents_nested_tasks():
    out = io.StringIO()
    print_task_ratio(make_classes(), 4, False, file=out)
    assert out.getvalue().splitlines() == [
        line.ljust(62)
        for line in [
            " 75.0       Reader",
            "   50.0       Forum",
            "     75.0       read",
            "     25.0       write",
            "   50.0       index",
            " 25.0       Admin",
            "   100.0      dashboard",
        ]
    ]


def test_print_task_ratio_json_has_both_views():
    out = io.StringIO()
    print_task_ratio_json(make_classes(), 4, file=out)
    report = json.loads(out.getvalue())
    assert set(report) == {"per_class", "total"}
    assert report["per_class"]["Reader"]["tasks"]["Forum"]["tasks"]["read"]["ratio"] == 0.75
    assert report["total"]["Reader"]["tasks"]["index"]["ratio"] == 0.375
