"""SequentialTaskSet: declaration order, weights as repeats, looping, restart on re-entry."""

from __future__ import annotations

import pytest

from swarm.exceptions import StopUser, UserfileError
from swarm.user import SequentialTaskSet, User, task


def test_tasks_run_in_declaration_order_and_loop(environment, sleeps):
    log = []

    def listed(taskset):
        log.append("listed")

    class Checkout(SequentialTaskSet):
        @task
        def cart(self):
            log.append("cart")

        tasks = [listed]

        @task(2)
        def pay(self):
            log.append("pay")

        @task
        def done(self):
            log.append("done")
            if log.count("done") == 2:
                raise StopUser

    class Buyer(User):
        tasks = [Checkout]

    Buyer(environment).run()
    once = ["cart", "listed", "pay", "pay", "done"]
    assert log == once + once


def test_a_subclass_runs_its_bases_tasks_first(environment, sleeps):
    log = []

    class Base(SequentialTaskSet):
        @task
        def first(self):
            log.append("first")

    class Child(Base):
        @task
        def second(self):
            log.append("second")
            raise StopUser

    class MyUser(User):
        tasks = [Child]

    MyUser(environment).run()
    assert log == ["first", "second"]


def test_dict_and_pairs_keep_their_order(environment):
    def a(ts):
        pass

    def b(ts):
        pass

    class FromDict(SequentialTaskSet):
        tasks = {b: 2, a: 1}

    class FromPairs(SequentialTaskSet):
        tasks = [(a, 1), (b, 2)]

    assert FromDict.tasks == [b, b, a]
    assert FromPairs.tasks == [a, b, b]


def test_re_entering_starts_from_the_first_task(environment, sleeps):
    log = []

    class Steps(SequentialTaskSet):
        @task
        def one(self):
            log.append("one")
            if log.count("one") == 2:
                raise StopUser

        @task
        def two(self):
            log.append("two")
            self.interrupt()

        @task
        def three(self):
            log.append("three")

    class MyUser(User):
        tasks = [Steps]

    MyUser(environment).run()
    assert log == ["one", "two", "one"]


def test_an_empty_sequence_is_reported(environment, user_errors, sleeps):
    class Nothing(SequentialTaskSet):
        pass

    calls = []

    def stop_second_time(user):
        calls.append(1)
        if len(calls) == 2:
            raise StopUser

    class MyUser(User):
        tasks = [stop_second_time, Nothing]

    order = iter([Nothing, stop_second_time, stop_second_time])

    class Steered(MyUser):
        def on_start(self):
            self._taskset_instance.get_next_task = lambda: next(order)

    Steered(environment).run()
    [error] = user_errors
    assert isinstance(error["exception"], UserfileError)
    assert "Nothing has no tasks" in str(error["exception"])


def test_a_malformed_tasks_attribute_is_refused():
    with pytest.raises(UserfileError, match=r"Bad\.tasks"):
        type("Bad", (SequentialTaskSet,), {"tasks": 3})
