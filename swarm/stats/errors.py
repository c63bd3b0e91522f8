"""Failures grouped by (method, name, error): one ``StatsError`` per distinct error.

Two failures are the same error when their method, name and error text match once memory
addresses are masked: ``<Foo object at 0x7f3a...>`` from two requests reads the same, so the
errors group instead of growing one row per object. The grouping key (``create_key``) is a
digest of that text, identical on every node, so workers and the master agree on it.
"""

from __future__ import annotations

import ast
import hashlib
import re
from collections.abc import Mapping
from typing import Any

from swarm.exceptions import CatchResponseError

_ADDRESS = re.compile(r"(?<= at )0x[0-9a-fA-F]+")
_CATCH_RESPONSE_PREFIX = "CatchResponseError("


def _unquote(text: str) -> str:
    """The string a repr such as ``'Got 500'`` stands for; other text as it is."""
    try:
        value = ast.literal_eval(text)
    except (ValueError, SyntaxError, TypeError, MemoryError, RecursionError):
        return text
    return value if isinstance(value, str) else text


class StatsError:
    """How often one distinct error happened, and when first and last (epoch seconds)."""

    def __init__(
        self,
        method: str,
        name: str,
        error: BaseException | str | None,
        occurrences: int = 0,
        *,
        first_seen: float | None = None,
        last_seen: float | None = None,
    ) -> None:
        self.method = method
        self.name = name
        self.error = error
        self.occurrences = occurrences
        self.first_seen = first_seen
        self.last_seen = last_seen

    @classmethod
    def parse_error(cls, error: BaseException | str | None) -> str:
        """The error as text (a string as is, anything else as its repr), addresses masked."""
        text = error if isinstance(error, str) else repr(error)
        return _ADDRESS.sub("0x....", text)

    @classmethod
    def create_key(cls, method: str, name: str, error: BaseException | str | None) -> str:
        """The grouping key: equal for errors that read the same once addresses are masked."""
        text = f"{method}.{name}.{cls.parse_error(error)!r}"
        return hashlib.sha256(text.encode("utf-8")).hexdigest()

    def occurred(self, now: float) -> None:
        """Count one more occurrence at time ``now``."""
        self.occurrences += 1
        if self.first_seen is None or now < self.first_seen:
            self.first_seen = now
        if self.last_seen is None or now > self.last_seen:
            self.last_seen = now

    def merge(self, other: StatsError) -> None:
        """Add the occurrences of the same error counted elsewhere (another node)."""
        self.occurrences += other.occurrences
        seen = [t for t in (self.first_seen, other.first_seen) if t is not None]
        self.first_seen = min(seen) if seen else None
        seen = [t for t in (self.last_seen, other.last_seen) if t is not None]
        self.last_seen = max(seen) if seen else None

    def to_name(self) -> str:
        """A one-line description for the console: ``"GET /path: error"``.

        A ``CatchResponseError`` shows its own message only, whether it is still an exception
        (local run) or already text (received from a worker).
        """
        error = self.error
        if isinstance(error, CatchResponseError) and error.args:
            text = str(error.args[0])
        elif isinstance(error, str):
            text = error
            if text.startswith(_CATCH_RESPONSE_PREFIX) and text.endswith(")"):
                text = _unquote(text[len(_CATCH_RESPONSE_PREFIX) : -1])
        else:
            text = repr(error)
        where = " ".join(part for part in (self.method, self.name) if part)
        return f"{where}: {text}"

    def to_dict(self) -> dict[str, Any]:
        """Locust's fields: ``method, name, error`` (as masked text), ``occurrences``, times."""
        return {
            "method": self.method,
            "name": self.name,
            "error": self.parse_error(self.error),
            "occurrences": self.occurrences,
            "first_seen": self.first_seen,
            "last_seen": self.last_seen,
        }

    serialize = to_dict

    @classmethod
    def unserialize(cls, data: Mapping[str, Any]) -> StatsError:
        """The error that ``serialize`` described (its error is text from now on)."""
        return cls(
            data["method"],
            data["name"],
            data["error"],
            int(data["occurrences"]),
            first_seen=data.get("first_seen"),
            last_seen=data.get("last_seen"),
        )

    def __repr__(self) -> str:
        return f"<StatsError {self.to_name()!r} x{self.occurrences}>"
