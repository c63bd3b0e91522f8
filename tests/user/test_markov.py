"""MarkovTaskSet: validation when the class is defined, and following the chain."""

from __future__ import annotations

import logging
import random
from collections import Counter

import pytest

from swarm.exceptions import StopUser, UserfileError
from swarm.user import MarkovTaskSet, TaskSet, User, tag, task, transition, transitions
from swarm.user.markov import (
    InvalidTransitionError,
    MarkovTaskTagError,
    NoMarkovTasksError,
    NonMarkovTaskTransitionError,
)


@pytest.fixture
def user(environment):
    class Host(User):
        tasks = [lambda user: None]

    return Host(environment)


def walk(taskset, steps):
    return [taskset.get_next_task().__name__ for _ in range(steps)]


def test_the_chain_starts_at_the_first_task_and_follows_transitions(user):
    class Shop(MarkovTaskSet):
        @transition("browse")
        def home(self):
            pass

        @transition("cart")
        def browse(self):
            pass

        @transitions(["home"])
        def cart(self):
            pass

    assert walk(Shop(user), 7) == ["home", "browse", "cart", "home", "browse", "cart", "home"]
    # A new instance (the set entered again) starts over.
    assert walk(Shop(user), 1) == ["home"]


def test_transitions_are_picked_by_weight(user, monkeypatch):
    class Branch(MarkovTaskSet):
        @transitions({"left": 1, "right": 3})
        def fork(self):
            pass

        @transition("fork")
        def left(self):
            pass

        @transitions([("fork", 1)])
        def right(self):
            pass

    rng = random.Random(3)
    monkeypatch.setattr("swarm.user.markov.pick", rng.choice)
    taskset = Branch(user)
    after_fork = Counter()
    for _ in range(8000):
        name = taskset.get_next_task().__name__
        if name != "fork":
            after_fork[name] += 1
    share = after_fork["right"] / after_fork.total()
    # 75% expected; the standard deviation of the share is about 0.7%.
    assert 0.70 < share < 0.80


def test_the_loop_runs_the_chain(environment, sleeps):
    log = []

    class Chain(MarkovTaskSet):
        @transition("second")
        def first(self):
            log.append("first")

        @transition("first")
        def second(self):
            log.append("second")
            if len(log) == 4:
                raise StopUser

    class MyUser(User):
        tasks = [Chain]

    MyUser(environment).run()
    assert log == ["first", "second", "first", "second"]


def test_a_nested_taskset_can_be_a_state(environment, sleeps):
    log = []

    class Chain(MarkovTaskSet):
        @transition("Detour")
        def start(self):
            log.append("start")
            if len(log) > 2:
                raise StopUser

        @transition("start")
        class Detour(TaskSet):
            @task
            def inside(self):
                log.append("detour")
                self.interrupt()

    class MyUser(User):
        tasks = [Chain]

    MyUser(environment).run()
    assert log == ["start", "detour", "start"]


def test_no_markov_tasks_is_an_error_naming_the_class():
    with pytest.raises(NoMarkovTasksError, match="Empty"):

        class Empty(MarkovTaskSet):
            def plain(self):
                pass


def test_a_transition_to_an_unknown_name_is_an_error():
    with pytest.raises(InvalidTransitionError, match=r"Chain\.home .*'nowhere'"):

        class Chain(MarkovTaskSet):
            @transition("nowhere")
            def home(self):
                pass


def test_a_transition_to_a_task_without_transitions_is_an_error():
    with pytest.raises(NonMarkovTaskTransitionError, match=r"Chain\.home .*'plain'"):

        class Chain(MarkovTaskSet):
            @transition("plain")
            def home(self):
                pass

            def plain(self):
                pass


def test_a_task_whose_transitions_weigh_nothing_is_an_error():
    with pytest.raises(NonMarkovTaskTransitionError, match=r"Chain\.home"):

        class Chain(MarkovTaskSet):
            @transitions({"home": 0})
            def home(self):
                pass


@pytest.mark.parametrize("weight", [-1, 0.5])
def test_a_bad_weight_is_an_error(weight):
    with pytest.raises(InvalidTransitionError, match="weight"):

        class Chain(MarkovTaskSet):
            @transition("home", weight=weight)
            def home(self):
                pass


def test_tags_on_a_markov_task_are_an_error():
    with pytest.raises(MarkovTaskTagError, match=r"Chain\.home"):

        class Chain(MarkovTaskSet):
            @tag("x")
            @transition("home")
            def home(self):
                pass


def test_markov_errors_are_userfile_errors():
    assert issubclass(NoMarkovTasksError, UserfileError)
    assert issubclass(InvalidTransitionError, UserfileError)


def test_unreachable_tasks_are_warned_about(caplog):
    with caplog.at_level(logging.WARNING):

        class Chain(MarkovTaskSet):
            @transition("home")
            def home(self):
                pass

            @transition("home")
            def orphan(self):
                pass

    assert "Chain" in caplog.text
    assert "orphan" in caplog.text


def test_an_abstract_chain_is_checked_only_when_completed(user):
    class Partial(MarkovTaskSet):
        abstract = True

        @transition("checkout")
        def home(self):
            pass

    class Complete(Partial):
        @transition("home")
        def checkout(self):
            pass

    assert Partial.abstract is True
    assert Complete.abstract is False
    assert walk(Complete(user), 3) == ["home", "checkout", "home"]

    with pytest.raises(InvalidTransitionError, match="StillPartial"):

        class StillPartial(Partial):
            pass


def test_on_start_cannot_be_a_markov_task():
    with pytest.raises(UserfileError, match="on_start"):

        class Chain(MarkovTaskSet):
            @transition("on_start")
            def on_start(self):
                pass
