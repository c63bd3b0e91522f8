"""How tasks are declared: ``@task``, ``@tag`` and the weighted task list of a class.

A task is a callable taking the User (or TaskSet) it runs on, or a TaskSet class, which then
runs as a nested loop until it is interrupted. A class's ``tasks`` is always a flat list in
which a task of weight ``w`` appears ``w`` times; ``collect_tasks`` builds it when the class is
defined from the base classes' tasks, the class's own ``tasks`` (a list, a list of
``(task, weight)`` pairs or a ``{task: weight}`` dict) and its ``@task``-decorated members.
Picking the next task is then a uniform choice from that list (``pick``).

The decorators store what they know on the decorated object under Locust's attribute names
(``locust_task_weight``, ``locust_tag_set``) so that tools written for Locust can read them.

Nothing here runs tasks (that is ``swarm.user.task``), so this module needs no gevent.
"""

from __future__ import annotations

import logging
import random
from collections.abc import Callable, Iterable, Sequence
from typing import Any, TypeVar, overload

from swarm.exceptions import UserfileError

logger = logging.getLogger(__name__)

#: A task: a callable taking the User or TaskSet it runs on, or a TaskSet class.
Task = Callable[..., Any]
F = TypeVar("F", bound=Callable[..., Any])
T = TypeVar("T")

WEIGHT_ATTR = "locust_task_weight"
TAGS_ATTR = "locust_tag_set"


@overload
def task(weight: F) -> F: ...


@overload
def task(weight: int = 1) -> Callable[[F], F]: ...


def task(weight: F | int = 1) -> F | Callable[[F], F]:
    """Declare a method, function or TaskSet class a task: ``@task`` or ``@task(weight)``.

    A task of weight ``w`` is picked ``w`` times as often as one of weight 1; weight 0 declares
    it but never runs it. A UserfileError for a weight that is not a non-negative int and for a
    method named ``run`` (the task loop's own name).
    """
    if callable(weight):
        return _mark_task(weight, 1)
    _check_weight(weight, f"@task({weight!r})")
    count = weight
    return lambda decorated: _mark_task(decorated, count)


def _mark_task(decorated: F, weight: int) -> F:
    name = getattr(decorated, "__name__", repr(decorated))
    _check_weight(weight, f"@task on {name}")
    if name == "run":
        raise UserfileError("run() is the task loop of users and task sets; it cannot be a task")
    if name in ("on_start", "on_stop"):
        logger.warning("%s is decorated with @task: it runs as a task and on its own", name)
    setattr(decorated, WEIGHT_ATTR, weight)
    return decorated


def _check_weight(weight: object, where: str) -> None:
    if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
        raise UserfileError(f"{where}: a task weight is a whole number >= 0, not {weight!r}")


def tag(*tags: str) -> Callable[[F], F]:
    """Tag a task, or every task of a TaskSet class, so ``--tags``/``--exclude-tags`` select it.

    ``@tag("a", "b")``; a ValueError without a tag name (``@tag`` used bare).
    """
    if not tags or callable(tags[0]):
        raise ValueError("@tag needs at least one tag name, as in @tag('checkout')")

    def decorate(decorated: F) -> F:
        _add_tags(decorated, set(tags))
        return decorated

    return decorate


def _add_tags(target: Any, tags: set[str]) -> None:
    # Only the target's own set is extended, never one it inherits from a base class.
    own = vars(target).get(TAGS_ATTR, set())
    setattr(target, TAGS_ATTR, own | tags)
    if isinstance(target, type):
        for member in set(getattr(target, "tasks", ())):
            _add_tags(member, tags)


def collect_tasks(cls: type, *, in_declaration_order: bool = False) -> list[Task]:
    """The flat weighted task list of ``cls``: its bases' tasks, then its own.

    By default the class's ``tasks`` attribute comes before its ``@task`` members (Locust's
    order); ``in_declaration_order`` keeps the order in which they appear in the class body
    (what SequentialTaskSet runs). A UserfileError names the class for a malformed declaration.
    """
    tasks: list[Task] = []
    for base in cls.__bases__:
        inherited = getattr(base, "tasks", None)
        if isinstance(inherited, list):
            tasks += inherited
    declared: list[list[Task]] = []
    for name, value in vars(cls).items():
        weight = _declared_weight(value)
        if name == "tasks":
            # Locust's order puts the tasks attribute before the decorated members.
            declared.insert(len(declared) if in_declaration_order else 0, _expand(cls, value))
        elif weight is not None:
            declared.append([value] * weight)
    for group in declared:
        tasks += group
    return tasks


def _declared_weight(value: object) -> int | None:
    # vars(), not getattr(): a subclass of a decorated TaskSet is not itself a task, and objects
    # answering every attribute (mocks) are not tasks either.
    try:
        return vars(value).get(WEIGHT_ATTR)
    except TypeError:  # no __dict__: a number, a string, ...
        return None


def _expand(cls: type, declared: object) -> list[Task]:
    if declared is None:
        return []
    where = f"{cls.__name__}.tasks"
    if isinstance(declared, dict):
        pairs: Iterable[Any] = declared.items()
    elif isinstance(declared, (list, tuple)):
        pairs = (item if isinstance(item, tuple) else (item, 1) for item in declared)
    else:
        raise UserfileError(
            f"{where} must be a list, a list of (task, weight) pairs or a {{task: weight}} "
            f"dict, not {type(declared).__name__}"
        )
    tasks: list[Task] = []
    for pair in pairs:
        if len(pair) != 2 or not callable(pair[0]):
            raise UserfileError(f"{where}: {pair!r} is neither a task nor a (task, weight) pair")
        _check_weight(pair[1], where)
        tasks += [pair[0]] * pair[1]
    return tasks


def pick(tasks: Sequence[T], rng: random.Random | None = None) -> T:
    """One entry of ``tasks``, uniformly: a task listed ``w`` times is ``w`` times as likely.

    O(1). ``rng`` draws the choice (the ``random`` module by default). An IndexError when
    ``tasks`` is empty.
    """
    if len(tasks) == 1:  # the common single-task user draws nothing
        return tasks[0]
    if rng is None:
        return random.choice(tasks)
    return rng.choice(tasks)
