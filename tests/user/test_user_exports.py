"""The names swarm.user exports, and the lazy HttpUser."""

from __future__ import annotations

import sys
from types import ModuleType

import pytest

import swarm.user


def test_exports_are_exactly_the_user_api():
    assert swarm.user.__all__ == [
        "HttpUser",
        "MarkovTaskSet",
        "SequentialTaskSet",
        "TaskSet",
        "User",
        "between",
        "constant",
        "constant_pacing",
        "constant_throughput",
        "poisson",
        "tag",
        "task",
        "transition",
        "transitions",
        "wait_time",
    ]
    for name in swarm.user.__all__:
        if name != "HttpUser":
            assert getattr(swarm.user, name) is not None


def test_http_user_is_loaded_from_the_transport_layer_on_first_use(monkeypatch):
    fake = ModuleType("swarm.protocols.http")

    class HttpUser(swarm.user.User):
        abstract = True

    fake.HttpUser = HttpUser
    monkeypatch.setitem(sys.modules, "swarm.protocols.http", fake)
    assert swarm.user.HttpUser is HttpUser


def test_unknown_names_are_attribute_errors():
    with pytest.raises(AttributeError, match="NoSuchUser"):
        swarm.user.NoSuchUser  # noqa: B018 -- the lookup is the test
