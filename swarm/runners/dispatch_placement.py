"""Which worker runs each user: a placement that is balanced at every prefix of the spawn order.

Users are placed in spawn order, each of a known class, on W workers. At every prefix of that
order (so at every step of a ramp, up or down):

- for each class, the per-worker counts differ by at most one;
- the per-worker totals differ by at most one.

Why this is an edge colouring. Cut the spawn order into *laps* of W consecutive users, and
each class's own users into *class laps* of W. If the users of every lap sit on W different
workers, the totals never differ by more than one; if the users of every class lap do,
neither do that class's counts. So a user is an edge between its lap and its class lap, a
worker is a colour, and a placement that keeps both promises is a proper edge colouring of a
bipartite graph whose nodes have at most W edges. König's theorem says that W colours always
suffice, and its classic proof is the algorithm: give a new edge a colour that both its ends
lack; if there is none, first swap two colours along an alternating path (a Kempe chain).

A swap moves earlier users to other workers, which is why the dispatcher places all the users
of a ramp before it starts any of them; ``extend`` tells it how far back a placement reached.
"""

from __future__ import annotations

from collections.abc import Iterable


class _Node:
    """A lap or a class lap: which user (position) holds each colour, and which are free."""

    __slots__ = ("free", "holder")

    def __init__(self, colours: int) -> None:
        self.holder = [-1] * colours
        self.free = (1 << colours) - 1  # bit w set: no user of this node is on worker w

    def take(self, colour: int, position: int) -> None:
        self.holder[colour] = position
        self.free &= ~(1 << colour)

    def give_back(self, colour: int) -> None:
        self.holder[colour] = -1
        self.free |= 1 << colour


def _lowest(mask: int) -> int:
    """Index of the lowest set bit of a positive ``mask``."""
    return (mask & -mask).bit_length() - 1


class Placement:
    """Users in spawn order, each on one of ``workers`` workers (numbered 0 to workers - 1).

    ``extend(users)`` places the next users, given as ``(class_index, rank)`` pairs, where
    ``rank`` is how many users of the class come before that one in the spawn order.
    ``worker_of(p)`` and ``class_of(p)`` describe the user at position ``p``. Every choice
    takes the lowest-numbered worker that fits, so a placement depends only on the users
    given, in order.
    """

    def __init__(self, workers: int, classes: int) -> None:
        if workers < 1:
            raise ValueError(f"a placement needs at least one worker, not {workers}")
        self._workers = workers
        self._worker: list[int] = []  # by position in the spawn order
        self._class: list[int] = []
        self._rank: list[int] = []
        self._laps: list[_Node] = []
        self._class_laps: list[list[_Node]] = [[] for _ in range(classes)]
        self._earliest_move = 0  # reported by extend

    def __len__(self) -> int:
        return len(self._worker)

    def worker_of(self, position: int) -> int:
        return self._worker[position]

    def class_of(self, position: int) -> int:
        return self._class[position]

    def extend(self, users: Iterable[tuple[int, int]]) -> int:
        """Place ``users`` after the others; the lowest earlier position moved, or ``len``.

        Users placed before this call keep their workers unless a position below ``len(self)``
        (as it was) is returned.
        """
        self._earliest_move = len(self._worker)
        for class_index, rank in users:
            self._push(class_index, rank)
        return self._earliest_move

    def _push(self, class_index: int, rank: int) -> None:
        position = len(self._worker)
        lap = self._node(self._laps, position // self._workers)
        class_lap = self._node(self._class_laps[class_index], rank // self._workers)
        both = lap.free & class_lap.free
        if both:
            worker = _lowest(both)
        else:
            worker = _lowest(lap.free)
            self._swap_chain(class_lap, worker, _lowest(class_lap.free))
        self._worker.append(worker)
        self._class.append(class_index)
        self._rank.append(rank)
        self._attach(position, worker)

    def _node(self, nodes: list[_Node], index: int) -> _Node:
        # Users are placed in order, so a missing node is always the next one.
        if index == len(nodes):
            nodes.append(_Node(self._workers))
        return nodes[index]

    def _ends(self, position: int) -> tuple[_Node, _Node]:
        """The lap and the class lap of the user at ``position``."""
        lap = self._laps[position // self._workers]
        return lap, self._class_laps[self._class[position]][self._rank[position] // self._workers]

    def _attach(self, position: int, worker: int) -> None:
        self._worker[position] = worker
        for node in self._ends(position):
            node.take(worker, position)

    def _swap_chain(self, start: _Node, first: int, second: int) -> None:
        """Swap ``first`` and ``second`` along the path that leaves ``start`` by ``first``.

        ``start`` is the new user's class lap, which lacks ``second``; its lap lacks
        ``first``. The path enters laps by ``first`` edges, so it never reaches that lap, and
        afterwards both ends of the new user lack ``first``.
        """
        path: list[int] = []
        node, colour, in_class_lap = start, first, True
        while (position := node.holder[colour]) >= 0:
            path.append(position)
            lap, class_lap = self._ends(position)
            node = lap if in_class_lap else class_lap
            in_class_lap = not in_class_lap
            colour = first + second - colour
        # Free the whole path before taking the swapped colours: neighbours share nodes.
        for position in path:
            for node in self._ends(position):
                node.give_back(self._worker[position])
        for position in path:
            self._attach(position, first + second - self._worker[position])
        if path:
            self._earliest_move = min(self._earliest_move, *path)
