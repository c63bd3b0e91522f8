"""``SequentialTaskSet``: tasks run one after another, in the order they are declared."""

from __future__ import annotations

from itertools import cycle
from typing import TYPE_CHECKING

from swarm.user.task import Task, TaskSet, collect_tasks

if TYPE_CHECKING:
    from swarm.user.users import User


class SequentialTaskSet(TaskSet):
    """A TaskSet that runs its tasks in declaration order, then starts over.

    The order is the order of the class body, where the ``tasks`` attribute (a list, list of
    pairs or dict) and ``@task`` methods may be mixed; a base class's tasks come first. A weight
    repeats its task that many times in a row. Interrupt it (``self.interrupt()``) to go back to
    the parent; the next time it is entered it starts again from the first task.
    """

    @classmethod
    def _collect_tasks(cls) -> list[Task]:
        return collect_tasks(cls, in_declaration_order=True)

    def __init__(self, parent: User | TaskSet) -> None:
        super().__init__(parent)
        self._sequence = cycle(self.tasks)

    def get_next_task(self) -> Task:
        """The task after the previous one, wrapping around at the end."""
        return next(self._sequence)
