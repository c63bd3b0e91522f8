"""How User and TaskSet classes turn their declarations into task lists, and class attributes."""

from __future__ import annotations

import logging
import random
from collections import Counter

import pytest

from swarm.exceptions import UserfileError
from swarm.user import TaskSet, User, constant, task
from swarm.user.task import pick


def a(user):
    pass


def b(user):
    pass


def c(user):
    pass


def test_tasks_as_a_plain_list_keep_their_order():
    class MyUser(User):
        tasks = [a, b]

    assert MyUser.tasks == [a, b]


def test_tasks_as_a_dict_repeat_each_task_by_its_weight():
    class MyUser(User):
        tasks = {a: 3, b: 1}

    assert Counter(MyUser.tasks) == {a: 3, b: 1}


def test_tasks_as_pairs_and_single_tasks_mixed():
    class MyUser(User):
        tasks = [(a, 2), b, (c, 0)]

    assert MyUser.tasks == [a, a, b]


def test_decorated_methods_are_collected_with_their_weights():
    class MyUser(User):
        @task
        def one(self):
            pass

        @task(4)
        def four(self):
            pass

        @task(0)
        def never(self):
            pass

        def helper(self):
            pass

    assert Counter(t.__name__ for t in MyUser.tasks) == {"one": 1, "four": 4}


def test_tasks_attribute_comes_before_decorated_methods():
    class MyUser(User):
        @task
        def method(self):
            pass

        tasks = [a]

    assert [t.__name__ for t in MyUser.tasks] == ["a", "method"]


def test_decorated_taskset_class_is_a_task():
    class MyUser(User):
        @task(2)
        class Browse(TaskSet):
            @task
            def look(self):
                pass

    assert MyUser.tasks == [MyUser.Browse, MyUser.Browse]
    assert [t.__name__ for t in MyUser.Browse.tasks] == ["look"]


def test_subclass_adds_to_the_tasks_of_its_base():
    class Base(User):
        abstract = True
        tasks = [a]

    class Child(Base):
        tasks = [b]

        @task
        def own(self):
            pass

    assert Base.tasks == [a]
    assert [t.__name__ for t in Child.tasks] == ["a", "b", "own"]


def test_subclass_of_a_decorated_taskset_is_not_itself_a_task():
    @task(3)
    class Decorated(TaskSet):
        tasks = [a]

    class MyUser(User):
        class Plain(Decorated):
            pass

    assert MyUser.tasks == []
    assert MyUser.Plain.tasks == [a]


def test_every_subclass_is_concrete_unless_it_says_abstract():
    class Base(User):
        abstract = True

    class Concrete(Base):
        pass

    class ConcreteAgain(Concrete):
        pass

    assert User.abstract is True
    assert Base.abstract is True
    assert Concrete.abstract is False
    assert ConcreteAgain.abstract is False


def test_class_attribute_defaults():
    class MyUser(User):
        pass

    assert (MyUser.host, MyUser.weight, MyUser.fixed_count) == (None, 1, 0)
    assert MyUser.wait_time(object()) == 0


@pytest.mark.parametrize("weight", [-1, 1.5, "2", True])
def test_a_bad_weight_is_refused_when_the_class_is_defined(weight):
    with pytest.raises(UserfileError, match=r"BadUser\.tasks"):

        class BadUser(User):
            tasks = {a: weight}


def test_a_bad_weight_in_the_decorator_is_refused():
    with pytest.raises(UserfileError, match="whole number"):
        task(-2)


@pytest.mark.parametrize("tasks", [a, "a", [(a, 1, 2)], [42]])
def test_a_malformed_tasks_attribute_names_the_class(tasks):
    with pytest.raises(UserfileError, match=r"Broken\.tasks"):
        type("Broken", (User,), {"tasks": tasks})


def test_run_cannot_be_a_task():
    with pytest.raises(UserfileError, match="run"):

        class MyUser(User):
            @task
            def run(self):
                pass


def test_on_start_as_a_task_is_warned_about(caplog):
    with caplog.at_level(logging.WARNING):

        class MyUser(User):
            @task
            def on_start(self):
                pass

    assert "on_start" in caplog.text
    assert len(MyUser.tasks) == 1


def test_fullname_leaves_out_locals():
    class MyUser(User):
        pass

    assert MyUser.fullname() == f"{__name__}.test_fullname_leaves_out_locals.MyUser"


def test_json_summarises_the_class():
    class MyUser(User):
        host = "http://127.0.0.1:8089"
        weight = 3
        tasks = [a, b]

    assert MyUser.json() == {
        "host": "http://127.0.0.1:8089",
        "weight": 3,
        "fixed_count": 0,
        "tasks": ["a", "b"],
    }


def test_context_is_empty_by_default(environment):
    class MyUser(User):
        wait_time = constant(0)

    assert MyUser(environment).context() == {}


def test_pick_follows_the_weights():
    class MyUser(User):
        tasks = {a: 3, b: 1}

    rng = random.Random(42)
    picks = Counter(pick(MyUser.tasks, rng) for _ in range(40_000))
    # 75% expected; the standard deviation of the share is about 0.2%.
    assert 0.73 < picks[a] / 40_000 < 0.77
    assert set(picks) == {a, b}


def test_pick_is_reproducible_with_a_seeded_rng():
    tasks = [a, b, c]
    first = [pick(tasks, random.Random(7)) for _ in range(5)]
    again = [pick(tasks, random.Random(7)) for _ in range(5)]
    assert first == again


def test_pick_from_nothing_is_an_error():
    with pytest.raises(IndexError):
        pick([], random.Random(1))
