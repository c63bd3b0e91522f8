"""What the fast client hands back: the response's headers and the response itself.

Both are plain values built by the parser; nothing here does I/O, so the requests-like API of a
later layer can wrap them without copying.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field


class Headers:
    """Response headers in arrival order, looked up without regard to case.

    ``headers["content-type"]`` and ``headers.get(...)`` give a header's values joined with
    ``", "`` (as RFC 9110 allows for repeated fields); ``get_all`` gives them apart, which
    ``Set-Cookie`` needs. Names keep the spelling the server used in ``items()``.
    """

    __slots__ = ("_index", "_raw")

    def __init__(self, raw: list[tuple[str, str]] | None = None) -> None:
        self._raw: list[tuple[str, str]] = []
        self._index: dict[str, list[str]] = {}
        for name, value in raw or ():
            self.add(name, value)

    def add(self, name: str, value: str) -> None:
        """Append one field (a repeated name keeps every value)."""
        self._raw.append((name, value))
        self._index.setdefault(name.lower(), []).append(value)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The field's values joined with ``", "``, or ``default`` when it is absent."""
        values = self._index.get(name.lower())
        return default if values is None else ", ".join(values)

    def get_all(self, name: str) -> list[str]:
        """Every value of the field, in arrival order (empty when absent)."""
        return list(self._index.get(name.lower(), ()))

    def items(self) -> list[tuple[str, str]]:
        """Every field as received, repeated names included."""
        return list(self._raw)

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and name.lower() in self._index

    def __iter__(self) -> Iterator[str]:
        return iter(dict.fromkeys(name for name, _ in self._raw))

    def __len__(self) -> int:
        return len(self._index)

    def __repr__(self) -> str:
        return f"Headers({self._raw!r})"


@dataclass(slots=True)
class Response:
    """One complete HTTP response.

    ``body`` is already decoded from gzip/deflate when the connection was asked to decode (the
    default); ``raw_size`` is the number of body bytes that crossed the wire, which is what the
    stats count as the response's length when the body was compressed.
    """

    status: int
    reason: str
    http_version: str
    headers: Headers = field(default_factory=Headers)
    body: bytes = b""
    raw_size: int = 0
    keep_alive: bool = True
