"""How an option's text becomes its value, and why a value is refused.

Two levels, one rule for every source (command line, config file, environment):

- The ``type`` of a built-in option checks one value: :func:`whole_number`,
  :func:`zero_or_more`, :func:`one_or_more`, :func:`port`, :func:`above_zero`,
  :func:`timespan`, :func:`log_level`. Each returns the typed value or raises
  ``argparse.ArgumentTypeError`` with a reason a person can act on; argparse prefixes it with
  the flag, :func:`convert` with the file and line or the environment variable.
- :func:`convert` turns a raw value from a config file or an environment variable (text, or a
  TOML value) into what argparse would store for the option: a truth value for a flag, a list
  for an option with several values, else one value, each through the option's ``type`` and
  ``choices``.

Flags take true/false, yes/no, on/off or 1/0 in any case; an option with several values takes
a TOML array, or text split at commas if it has any, else at spaces (``[...]`` around the text
and quotes around an item are dropped).
"""

from __future__ import annotations

import argparse
import math
from collections.abc import Callable
from typing import Any

from swarm.exceptions import ConfigError
from swarm.runners.schedule import RateStage, parse_rate, parse_rate_stages
from swarm.shapes import Stage, parse_stages
from swarm.timespan import parse_timespan

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})


def whole_number(text: str) -> int:
    """``text`` as an int, surrounding spaces allowed."""
    try:
        return int(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def zero_or_more(text: str) -> int:
    """A whole number that is not negative."""
    value = whole_number(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def one_or_more(text: str) -> int:
    """A whole number of at least 1."""
    value = whole_number(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def port(text: str) -> int:
    """A TCP port number, 0 (any free port) to 65535."""
    value = whole_number(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {value}")
    return value


def above_zero(text: str) -> float:
    """A finite number above 0, as a float."""
    try:
        value = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
    return value


def timespan(text: str) -> float:
    """A time span in seconds, as :func:`swarm.timespan.parse_timespan` reads it."""
    try:
        return parse_timespan(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def rate(text: str) -> float:
    """``--arrival-rate``: iterations per second, as :func:`swarm.runners.schedule.parse_rate`
    reads them (``200/s``, ``90/m``)."""
    try:
        return parse_rate(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def rate_stages(text: str) -> list[RateStage]:
    """``--arrival-stages``: stages of DURATION:RATE (``30s:100/s,1m:100/s``)."""
    try:
        return parse_rate_stages(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def stages(text: str) -> list[Stage]:
    """``--stages``: a load shape's stages, as :func:`swarm.shapes.parse_stages` reads them."""
    try:
        return parse_stages(text)
    except ValueError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def log_level(text: str) -> str:
    """One of :data:`LOG_LEVELS`, given in any case; returned in upper case."""
    level = str(text).strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"unknown log level {text!r}; choose {', '.join(LOG_LEVELS)}"
        )
    return level


def convert(action: argparse.Action, raw: object, where: str) -> Any:
    """``raw`` (text, or a TOML value) as argparse would store it for ``action``.

    A flag takes a truth value; an option with ``nargs``, ``append`` or ``is_multiple`` takes
    a list (or text split at commas, else at spaces); each value goes through the option's
    ``type`` and ``choices``. Raises ConfigError that begins with ``where``.
    """
    try:
        if isinstance(raw, dict):
            raise argparse.ArgumentTypeError("expected a value, got a table")
        return _CONVERTERS[_kind(action)](action, raw)
    except (argparse.ArgumentTypeError, ConfigError) as e:
        raise ConfigError(f"{where}: {e}") from None
    except (TypeError, ValueError):
        kind = getattr(action.type, "__name__", "value")
        raise ConfigError(f"{where}: invalid {kind} value {raw!r}") from None


def unquote(text: str) -> str:
    """``text`` without one pair of matching single or double quotes around it."""
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _kind(action: argparse.Action) -> str:
    if isinstance(action, argparse._CountAction):
        return "count"
    if action.nargs == 0:
        return "flag"
    many = action.nargs in ("*", "+") or (isinstance(action.nargs, int) and action.nargs >= 1)
    if many or isinstance(action, argparse._AppendAction) or getattr(action, "is_multiple", False):
        return "list"
    return "value"


def _flag(action: argparse.Action, raw: object) -> Any:
    on = _truth(raw)
    if isinstance(action, argparse.BooleanOptionalAction):
        return on
    if isinstance(action.const, bool):
        return action.const if on else not action.const
    return action.const if on else action.default


def _count(action: argparse.Action, raw: object) -> int:
    return int(_text(raw))


def _list(action: argparse.Action, raw: object) -> list[Any]:
    items = raw if isinstance(raw, list) else _split(_text(raw))
    values = [_typed(action, _text(item)) for item in items]
    if action.nargs == "+" and not values:
        raise argparse.ArgumentTypeError("needs at least one value")
    if isinstance(action.nargs, int) and len(values) != action.nargs:
        raise argparse.ArgumentTypeError(f"needs {action.nargs} values, got {len(values)}")
    return values


def _value(action: argparse.Action, raw: object) -> Any:
    if isinstance(raw, list):
        raise argparse.ArgumentTypeError(f"expected one value, got the list {raw!r}")
    text = _text(raw)
    if action.nargs == "?" and not text:
        return action.const
    return _typed(action, text)


_CONVERTERS: dict[str, Callable[[argparse.Action, object], Any]] = {
    "count": _count,
    "flag": _flag,
    "list": _list,
    "value": _value,
}


def _typed(action: argparse.Action, text: str) -> Any:
    value = action.type(text) if callable(action.type) else text
    if action.choices is not None and value not in action.choices:
        choices = ", ".join(map(str, action.choices))
        raise argparse.ArgumentTypeError(f"invalid choice {value!r}; choose from {choices}")
    return value


def _truth(raw: object) -> bool:
    if isinstance(raw, bool):
        return raw
    text = str(raw).strip().lower()
    if text in _TRUE or text in _FALSE:
        return text in _TRUE
    raise argparse.ArgumentTypeError(f"expected true or false, got {raw!r}")


def _text(raw: object) -> str:
    if isinstance(raw, bool):
        return "true" if raw else "false"
    return str(raw)


def _split(text: str) -> list[str]:
    body = text.strip()
    if body.startswith("[") and body.endswith("]"):
        body = body[1:-1]
    parts = body.split(",") if "," in body else body.split()
    return [unquote(part.strip()) for part in parts if part.strip()]
