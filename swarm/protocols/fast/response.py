"""What the fast client hands back: the response's headers and the response itself.

Both are plain values built by the parser; nothing here does I/O, so the requests-like API of a
later layer can wrap them without copying. (A streamed response's body is read through its
``stream``, from ``swarm.protocols.fast.stream``.)
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from swarm.protocols.fast.stream import StreamingBody


class Headers:
    """Response headers in arrival order, looked up without regard to case.

    ``headers["content-type"]`` and ``headers.get(...)`` give a header's values joined with
    ``", "`` (as RFC 9110 allows for repeated fields); ``get_all`` gives them apart, which
    ``Set-Cookie`` needs. Names keep the spelling the server used in ``items()``.

    The parser hands over the fields as the bytes it read (``from_wire``); they are decoded
    (Latin-1, as HTTP/1.1 says) only when looked at, and looked up through an index of
    lower-case names made at the first lookup (or by the parser on its way).
    """

    __slots__ = ("_fields", "_index")

    def __init__(self, raw: list[tuple[str, str]] | None = None) -> None:
        self._fields: list[tuple[bytes, bytes]] = [
            (name.encode("latin-1"), value.encode("latin-1")) for name, value in raw or ()
        ]
        self._index: dict[bytes, list[bytes]] | None = None

    @classmethod
    def from_wire(
        cls, fields: list[tuple[bytes, bytes]], index: dict[bytes, list[bytes]] | None = None
    ) -> Headers:
        """Headers over ``fields`` as parsed (the list is kept, not copied); ``index``, when the
        parser made one on its way, maps lower-case names to their values."""
        headers = cls.__new__(cls)
        headers._fields = fields
        headers._index = index
        return headers

    def _values(self, name: str) -> list[bytes]:
        index = self._index
        if index is None:
            index = self._index = self._make_index()
        return index.get(name.lower().encode("latin-1"), [])

    def _make_index(self) -> dict[bytes, list[bytes]]:
        fields = self._fields
        index = {name.lower(): [value] for name, value in fields}
        if len(index) != len(fields):  # a repeated name: collect all of its values
            index = {}
            for name, value in fields:
                index.setdefault(name.lower(), []).append(value)
        return index

    def add(self, name: str, value: str) -> None:
        """Append one field (a repeated name keeps every value)."""
        self._fields.append((name.encode("latin-1"), value.encode("latin-1")))
        self._index = None

    def get(self, name: str, default: str | None = None) -> str | None:
        """The field's values joined with ``", "``, or ``default`` when it is absent."""
        values = self._values(name)
        if not values:
            return default
        return b", ".join(values).decode("latin-1")

    def get_all(self, name: str) -> list[str]:
        """Every value of the field, in arrival order (empty when absent)."""
        return [value.decode("latin-1") for value in self._values(name)]

    def items(self) -> list[tuple[str, str]]:
        """Every field as received, repeated names included."""
        return [(n.decode("latin-1"), v.decode("latin-1")) for n, v in self._fields]

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and bool(self._values(name))

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(n.decode("latin-1") for n, _ in self._fields))

    def __len__(self) -> int:
        return len({n.lower() for n, _ in self._fields})

    def __repr__(self) -> str:
        return f"Headers({self.items()!r})"


@dataclass(slots=True)
class Response:
    """One HTTP response: complete, or with its body still to come through ``stream``.

    ``body`` is already decoded from gzip/deflate when the connection was asked to decode (the
    default); ``raw_size`` is the number of body bytes that crossed the wire, which is what the
    stats count as the response's length when the body was compressed. A response asked for with
    ``stream=True`` has an empty ``body`` and a ``stream`` to read the body from; its ``raw_size``
    grows as the stream is read and is final once ``stream.complete``.
    """

    status: int
    reason: str
    http_version: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    raw_size: int = 0
    keep_alive: bool = True
    stream: StreamingBody | None = None
