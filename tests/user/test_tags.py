"""@tag and filter_tasks_by_tags, including nested TaskSets and users left without tasks."""

from __future__ import annotations

import logging

import pytest

from swarm.user import MarkovTaskSet, TaskSet, User, tag, task, transition
from swarm.user.task import filter_tasks_by_tags


def names(holder):
    return [getattr(t, "__name__", t) for t in holder.tasks]


def make_user():
    class Forum(TaskSet):
        @tag("read")
        @task
        def thread(self):
            pass

        @tag("write")
        @task
        def post(self):
            pass

    class MyUser(User):
        tasks = [Forum]

        @tag("read", "fast")
        @task(2)
        def index(self):
            pass

        @task
        def untagged(self):
            pass

    return MyUser, Forum


def test_tag_records_the_names_on_the_task():
    @tag("a")
    @tag("b", "c")
    def work(user):
        pass

    assert work.locust_tag_set == {"a", "b", "c"}


@pytest.mark.parametrize("bad", [(), (lambda user: None,)])
def test_tag_needs_a_name(bad):
    with pytest.raises(ValueError, match="tag name"):
        tag(*bad)


def test_include_keeps_only_tagged_tasks_and_recurses():
    MyUser, Forum = make_user()
    assert filter_tasks_by_tags(MyUser, tags={"read"}) is True
    assert names(MyUser) == ["Forum", "index", "index"]
    assert names(Forum) == ["thread"]


def test_exclude_drops_tagged_tasks_and_keeps_untagged_ones():
    MyUser, Forum = make_user()
    filter_tasks_by_tags(MyUser, exclude_tags={"read"})
    assert names(MyUser) == ["Forum", "untagged"]
    assert names(Forum) == ["post"]


def test_include_and_exclude_together_given_as_lists():
    MyUser, Forum = make_user()
    filter_tasks_by_tags(MyUser, tags=["read"], exclude_tags=["fast"])
    assert names(MyUser) == ["Forum"]
    assert names(Forum) == ["thread"]


def test_a_nested_taskset_left_empty_is_dropped():
    MyUser, _ = make_user()
    filter_tasks_by_tags(MyUser, tags={"fast"})
    assert names(MyUser) == ["index", "index"]


def test_tagging_a_taskset_tags_all_its_tasks():
    @tag("forum")
    class Forum(TaskSet):
        @task
        def thread(self):
            pass

    class MyUser(User):
        tasks = [Forum]

        @task
        def index(self):
            pass

    filter_tasks_by_tags(MyUser, tags={"forum"})
    assert names(MyUser) == ["Forum"]
    assert names(Forum) == ["thread"]


def test_a_user_left_without_tasks_is_reported(caplog):
    MyUser, _ = make_user()
    with caplog.at_level(logging.WARNING):
        assert filter_tasks_by_tags(MyUser, tags={"nothing-has-this"}) is False
    assert MyUser.tasks == []
    assert "MyUser has no tasks left" in caplog.text


def test_a_markov_taskset_is_kept_or_dropped_as_a_whole():
    @tag("chain")
    class Chain(MarkovTaskSet):
        @transition("step")
        def step(self):
            pass

    class Untagged(MarkovTaskSet):
        @transition("step")
        def step(self):
            pass

    class MyUser(User):
        tasks = [Chain, Untagged]

    filter_tasks_by_tags(MyUser, tags={"chain"})
    assert MyUser.tasks == [Chain]


def test_a_taskset_shared_by_two_users_is_filtered_once():
    MyUser, Forum = make_user()

    class Other(User):
        tasks = [Forum]

    checked = {}
    filter_tasks_by_tags(MyUser, tags={"write"}, checked=checked)
    filter_tasks_by_tags(Other, tags={"write"}, checked=checked)
    assert names(Forum) == ["post"]
    assert names(Other) == ["Forum"]
