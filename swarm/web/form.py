"""The start form (``POST /swarm``): text fields in, typed values or one message per field out.

Pure: no Flask, no runner. ``parse_swarm_form`` either returns a :class:`SwarmRequest` or
raises :class:`FormError` whose ``errors`` map each bad field to a sentence the page shows
beside that field. When a load shape sets the users, the user count and spawn rate are neither
required nor read.
"""

from __future__ import annotations

import dataclasses
import math
import re
from collections.abc import Callable, Collection, Mapping, Sequence
from dataclasses import dataclass
from typing import cast
from urllib.parse import urlsplit

from swarm.exceptions import ConfigError
from swarm.timespan import parse_timespan

Form = Mapping[str, Sequence[str]]

# Characters that have no business in a base URL and would be markup if echoed into a page.
_UNSAFE_IN_URL = re.compile(r"[\s<>\"'`]")


@dataclass(frozen=True)
class SwarmRequest:
    """What a valid start form asks for. ``None`` means "not given": keep what there is, and
    for ``user_count`` and ``spawn_rate``, let the load shape decide (they are always given
    without one)."""

    user_count: int | None
    spawn_rate: float | None
    host: str | None = None
    run_time: float | None = None
    user_classes: tuple[str, ...] = ()
    #: With the class picker: a new weight for some of the chosen classes.
    weights: dict[str, int] = dataclasses.field(default_factory=dict)


class FormError(ValueError):
    """The form is invalid: ``errors`` maps field names to messages."""

    def __init__(self, errors: dict[str, str]) -> None:
        super().__init__("; ".join(f"{field}: {message}" for field, message in errors.items()))
        self.errors = errors


def _user_count(text: str) -> int:
    try:
        value = int(text.strip())
    except ValueError:
        raise ValueError("must be a whole number ≥ 0") from None
    if value < 0:
        raise ValueError("must be a whole number ≥ 0")
    return value


def _spawn_rate(text: str) -> float:
    try:
        value = float(text.strip())
    except ValueError:
        raise ValueError("must be a number above 0") from None
    if not math.isfinite(value) or value <= 0:
        raise ValueError("must be a number above 0")
    return value


def _host(text: str) -> str | None:
    text = text.strip()
    if not text:
        return None
    parts = urlsplit(text)
    if parts.scheme not in ("http", "https") or not parts.netloc or _UNSAFE_IN_URL.search(text):
        raise ValueError("must be a base URL such as http://127.0.0.1:8080")
    return text


def _run_time(text: str) -> float | None:
    text = text.strip()
    if not text:
        return None
    try:
        value = parse_timespan(text)
    except ConfigError:
        raise ValueError("must be a time span such as 90, 30s, 20m or 1h30m") from None
    if value <= 0:
        raise ValueError("must be longer than 0 seconds (leave it empty to run until stopped)")
    return value


#: Each single-valued field: its parser and whether it must be present.
_FIELDS: dict[str, tuple[Callable[[str], object], bool]] = {
    "user_count": (_user_count, True),
    "spawn_rate": (_spawn_rate, True),
    "host": (_host, False),
    "run_time": (_run_time, False),
}
#: The fields a load shape answers instead of the form.
SHAPE_FIELDS = frozenset({"user_count", "spawn_rate"})


def parse_swarm_form(
    form: Form,
    *,
    available_classes: Collection[str] = (),
    class_picker: bool = False,
    shape: bool = False,
) -> SwarmRequest:
    """The typed request, or FormError naming every bad field at once.

    ``user_classes`` (repeated) is read only with ``class_picker``; each name must be one of
    ``available_classes``, and an empty choice means "as before". With ``shape`` (a load
    shape sets the users) ``user_count`` and ``spawn_rate`` are ignored, even when invalid,
    and come back as None.
    """
    values: dict[str, object] = dict.fromkeys(SHAPE_FIELDS)
    errors: dict[str, str] = {}
    for field, (parse, required) in _FIELDS.items():
        if shape and field in SHAPE_FIELDS:
            continue
        given = form.get(field) or [""]
        if not given[0].strip() and required:
            errors[field] = "is required"
            continue
        try:
            values[field] = parse(given[0])
        except ValueError as error:
            errors[field] = str(error)
    classes: tuple[str, ...] = ()
    weights: dict[str, int] = {}
    if class_picker:
        classes = tuple(dict.fromkeys(n for n in form.get("user_classes", ()) if n))
        unknown = [n for n in classes if n not in available_classes]
        if unknown:
            errors["user_classes"] = f"unknown user class: {', '.join(unknown)}"
        weights = _weights(form, classes, errors)
    if errors:
        raise FormError(errors)
    return SwarmRequest(
        user_count=cast("int | None", values["user_count"]),
        spawn_rate=cast("float | None", values["spawn_rate"]),
        host=cast("str | None", values["host"]),
        run_time=cast("float | None", values["run_time"]),
        user_classes=classes,
        weights=weights,
    )


def _weights(form: Form, classes: tuple[str, ...], errors: dict[str, str]) -> dict[str, int]:
    """``weight_<Class>`` fields of the chosen classes; a bad one becomes a field error."""
    weights = {}
    for name in classes:
        text = (form.get(f"weight_{name}") or [""])[0].strip()
        if not text:
            continue
        try:
            weights[name] = _user_count(text)
        except ValueError:
            errors[f"weight_{name}"] = "must be a whole number ≥ 0"
    if weights and classes and not any(weights.get(n, 1) for n in classes):
        errors["user_classes"] = "at least one chosen class needs a weight above 0"
    return weights
