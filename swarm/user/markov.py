"""``MarkovTaskSet``: tasks chained by weighted transitions (a Markov chain).

Each task names the tasks that may follow it::

    class Shop(MarkovTaskSet):
        @transition("browse")
        def home(self): ...

        @transitions({"home": 1, "cart": 2})
        def browse(self): ...

        @transitions(["browse", ("home", 3)])
        def cart(self): ...

The chain starts at the first task declared (a base class's tasks come first) and, after each
task and its wait, moves to one of its transitions' targets, picked by weight. The chain is
checked when the class is defined: no tasks, a transition to a name that is not a member, a
target without transitions of its own, a task whose transitions all have weight 0, tags on a
task, a weight that is not a whole number >= 0, or a task named ``run``, ``on_start`` or
``on_stop`` raise a UserfileError (or a subclass) naming the class and the task. Tasks that
the start cannot reach are logged as a warning. A subclass that sets ``abstract = True`` is
not checked (it is meant to be completed by its own subclasses).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, ClassVar, TypeVar

from swarm.exceptions import UserfileError
from swarm.user.task import TAGS_ATTR, Task, TaskSet, collect_tasks, pick

if TYPE_CHECKING:
    from swarm.user.users import User

logger = logging.getLogger(__name__)

F = TypeVar("F", bound=Callable[..., Any])

TRANSITIONS_ATTR = "transitions"


class NoMarkovTasksError(UserfileError):
    """A MarkovTaskSet without any task decorated with @transition or @transitions."""


class InvalidTransitionError(UserfileError):
    """A transition to a name that is not a member of the MarkovTaskSet, or a bad weight."""


class NonMarkovTaskTransitionError(UserfileError):
    """A transition to a member that has no transitions of its own (the chain would stop)."""


class MarkovTaskTagError(UserfileError):
    """A tag on a task of a MarkovTaskSet: filtering by tags could break the chain."""


def transition(func_name: str, weight: int = 1) -> Callable[[F], F]:
    """Let the chain go from the decorated task to ``func_name``, with ``weight``."""
    return transitions({func_name: weight})


def transitions(weights: Mapping[str, int] | Sequence[str | tuple[str, int]]) -> Callable[[F], F]:
    """Add several transitions at once: ``{name: weight}``, or names and ``(name, weight)``."""
    if isinstance(weights, Mapping):
        pairs = list(weights.items())
    else:
        pairs = [(item, 1) if isinstance(item, str) else item for item in weights]

    def decorate(decorated: F) -> F:
        own = dict(_transitions_of(decorated) or {})
        own.update(pairs)
        setattr(decorated, TRANSITIONS_ATTR, own)
        return decorated

    return decorate


def _transitions_of(member: object) -> dict[str, int] | None:
    try:
        found = vars(member).get(TRANSITIONS_ATTR)
    except TypeError:  # no __dict__: a number, a string, ...
        return None
    return found if isinstance(found, dict) else None


class MarkovTaskSet(TaskSet):
    """A TaskSet whose next task follows the current one's transitions (see the module doc).

    Its ``tasks`` list is empty: the chain replaces it. Interrupt it (``self.interrupt()``) to
    go back to the parent; the next time it is entered it starts again from the start task.
    """

    abstract: ClassVar[bool] = True
    _has_task_list: ClassVar[bool] = False
    # task name -> the names that may follow it, each repeated by its weight
    _chain: ClassVar[dict[str, list[str]]] = {}
    _start: ClassVar[str | None] = None

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if vars(cls).get("abstract"):
            return
        cls.abstract = False
        cls._chain = _build_chain(cls)
        cls._start = next(iter(cls._chain))

    @classmethod
    def _collect_tasks(cls) -> list[Task]:
        if collect_tasks(cls):
            logger.warning("%s: @task and tasks are ignored in a MarkovTaskSet", cls.__name__)
        return []

    def __init__(self, parent: User | TaskSet) -> None:
        super().__init__(parent)
        self._current = self._start

    def _check_runnable(self) -> None:
        if self._current is None:
            raise NoMarkovTasksError(f"{type(self).__name__} is abstract: it has no chain to run")

    def get_next_task(self) -> Task:
        """The current task; the chain moves on to one of its targets, picked by weight."""
        name = self._current
        assert name is not None  # _check_runnable ran first
        self._current = pick(self._chain[name])
        return getattr(self, name)


def _build_chain(cls: type) -> dict[str, list[str]]:
    members: dict[str, object] = {}
    for klass in reversed(cls.__mro__):
        members.update(vars(klass))
    states = {name: t for name, m in members.items() if (t := _transitions_of(m)) is not None}
    if not states:
        raise NoMarkovTasksError(
            f"{cls.__name__} has no Markov tasks: decorate its methods with @transition or "
            "@transitions"
        )
    chain = {name: _weighted_targets(cls, name, members, t) for name, t in states.items()}
    _warn_unreachable(cls, chain)
    return chain


def _weighted_targets(
    cls: type, name: str, members: dict[str, object], targets: dict[str, int]
) -> list[str]:
    where = f"{cls.__name__}.{name}"
    if name in ("run", "on_start", "on_stop"):
        raise UserfileError(f"{where}: {name}() cannot be a Markov task")
    if getattr(members[name], TAGS_ATTR, None):
        raise MarkovTaskTagError(f"{where} has tags; tags are not supported in a MarkovTaskSet")
    weighted: list[str] = []
    for target, weight in targets.items():
        if target not in members:
            raise InvalidTransitionError(
                f"{where} has a transition to {target!r}, which is not a member of {cls.__name__}"
            )
        if _transitions_of(members[target]) is None:
            raise NonMarkovTaskTransitionError(
                f"{where} has a transition to {target!r}, which has no transitions of its own; "
                "decorate it with @transition or @transitions"
            )
        if isinstance(weight, bool) or not isinstance(weight, int) or weight < 0:
            raise InvalidTransitionError(
                f"{where}: the weight of the transition to {target!r} is {weight!r}, "
                "not a whole number >= 0"
            )
        weighted += [target] * weight
    if not weighted:
        raise NonMarkovTaskTransitionError(
            f"{where} has no transition of positive weight, so the chain would stop there"
        )
    return weighted


def _warn_unreachable(cls: type, chain: dict[str, list[str]]) -> None:
    start = next(iter(chain))
    reached = {start}
    frontier = [start]
    while frontier:
        for target in set(chain[frontier.pop()]) - reached:
            reached.add(target)
            frontier.append(target)
    unreachable = [name for name in chain if name not in reached]
    if unreachable:
        logger.warning(
            "%s: the Markov chain never reaches %s from its start, %s",
            cls.__name__,
            ", ".join(unreachable),
            start,
        )
