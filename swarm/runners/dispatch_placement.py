"""Which worker runs each user: a placement that stays balanced after every single user.

Users arrive in spawn order, each of a known class. The placement keeps two promises after
every ``push`` and ``pop``, at every prefix of the spawn order:

- for each class, the per-worker counts differ by at most one;
- the per-worker totals differ by at most one.

Why this is an edge colouring. Cut the spawn order into *laps* of W consecutive users (W is
the number of workers), and each class's own users into *class laps* of W. If the users of a
lap sit on W different workers, the totals never differ by more than one; if the users of a
class lap do, neither do that class's counts. So a user is an edge between its lap and its
class lap, a worker is a colour, and a placement that keeps both promises is a proper edge
colouring of a bipartite graph whose nodes have at most W edges. König's theorem says W
colours always suffice; the classic constructive proof is the one used here: give a new edge a
colour that both its ends still lack, and if there is none, swap two colours along an
alternating path first (a Kempe chain). The swap never changes the counts of the classes
inside the path; the class at the far end, if any, gets one user moved between two workers.
So each push adds one user and, now and then, moves one earlier user (see the benchmark);
``pop`` removes the newest user and never moves anything.
"""

from __future__ import annotations


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

    def is_empty(self) -> bool:
        return self.free == (1 << len(self.holder)) - 1


def _lowest(mask: int) -> int:
    """Index of the lowest set bit of a positive ``mask``."""
    return (mask & -mask).bit_length() - 1


class Placement:
    """Users in spawn order, each on one of ``workers`` workers (numbered 0 to workers - 1).

    ``push(class_index, rank)`` adds the next user: ``rank`` is how many users of its class
    come before it in the spawn order. ``pop()`` removes the newest user. ``counts[w][c]`` is
    the number of users of class ``c`` on worker ``w``; ``len()`` the number of users. Among
    the workers that keep both promises a new user goes to the lowest-numbered one, so the
    result depends only on the calls made.
    """

    def __init__(self, workers: int, classes: int) -> None:
        if workers < 1:
            raise ValueError(f"a placement needs at least one worker, not {workers}")
        self._workers = workers
        self.counts = [[0] * classes for _ in range(workers)]
        self._colour: list[int] = []  # worker of each user, by position in the spawn order
        self._class: list[int] = []
        self._rank: list[int] = []
        self._laps: list[_Node] = []
        self._class_laps: list[list[_Node]] = [[] for _ in range(classes)]

    def __len__(self) -> int:
        return len(self._colour)

    def push(self, class_index: int, rank: int) -> None:
        """Place the next user (of ``class_index``, the ``rank``-th of its class)."""
        position = len(self._colour)
        lap = self._node(self._laps, position // self._workers)
        class_lap = self._node(self._class_laps[class_index], rank // self._workers)
        both = lap.free & class_lap.free
        if both:
            colour = _lowest(both)
        else:
            colour = _lowest(lap.free)
            self._swap_chain(class_lap, colour, _lowest(class_lap.free))
        self._colour.append(colour)
        self._class.append(class_index)
        self._rank.append(rank)
        self._attach(position, colour)

    def pop(self) -> None:
        """Remove the newest user."""
        position = len(self._colour) - 1
        self._detach(position)
        class_laps = self._class_laps[self._class[position]]
        for nodes in (self._laps, class_laps):
            if nodes[-1].is_empty():
                nodes.pop()
        del self._colour[-1], self._class[-1], self._rank[-1]

    def _node(self, nodes: list[_Node], index: int) -> _Node:
        # Users are added in order, so a missing node is always the next one.
        if index == len(nodes):
            nodes.append(_Node(self._workers))
        return nodes[index]

    def _ends(self, position: int) -> tuple[_Node, _Node]:
        """The lap and the class lap of the user at ``position``."""
        class_laps = self._class_laps[self._class[position]]
        return self._laps[position // self._workers], class_laps[
            self._rank[position] // self._workers
        ]

    def _attach(self, position: int, colour: int) -> None:
        self._colour[position] = colour
        for node in self._ends(position):
            node.take(colour, position)
        self.counts[colour][self._class[position]] += 1

    def _detach(self, position: int) -> None:
        colour = self._colour[position]
        for node in self._ends(position):
            node.give_back(colour)
        self.counts[colour][self._class[position]] -= 1

    def _swap_chain(self, start: _Node, first: int, second: int) -> None:
        """Swap ``first`` and ``second`` along the path that leaves ``start`` by ``first``.

        ``start`` (a class lap) lacks ``second``; the new user's lap lacks ``first``, and
        the path cannot reach that lap (laps on the path are entered by ``first``), so after
        the swap both ends of the new user lack ``first``.
        """
        path: list[int] = []
        node, colour, in_class_lap = start, first, True
        while (position := node.holder[colour]) >= 0:
            path.append(position)
            lap, class_lap = self._ends(position)
            node = lap if in_class_lap else class_lap
            in_class_lap = not in_class_lap
            colour = first + second - colour
        # Detach the whole path before attaching it again: swapped users share nodes.
        for position in path:
            self._detach(position)
        for position in path:
            self._attach(position, first + second - self._colour[position])
