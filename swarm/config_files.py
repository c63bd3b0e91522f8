"""Reading config files: Locust's conf format, and [tool.locust] / [tool.swarm] tables in TOML.

A reader turns one file into :class:`Entry` values, in the file's order, each naming where it
was written; it knows nothing of the options, so :mod:`swarm.config` matches keys to options
and converts the values.

The conf format: ``key = value`` (or ``key: value``, or a bare ``key`` for a flag that is on,
read as ``"true"``), ``#`` and ``;`` comments at the start of a line or after whitespace (so a
URL such as ``http://h/a;b`` keeps its ``;``), ``[section]`` headers ignored, one pair of quotes
around a value dropped. Files are UTF-8, with or without a byte-order mark.

Every problem is a ConfigError that names the file, and the line in a conf file.
"""

from __future__ import annotations

import re
import tomllib
from dataclasses import dataclass
from pathlib import Path

from swarm.exceptions import ConfigError
from swarm.option_values import unquote

_ENTRY = re.compile(r"(?P<key>[A-Za-z0-9][\w.-]*)\s*(?:[=:]\s*(?P<value>.*))?")
# A # or ; starts a comment only after whitespace, so URLs such as http://h/a;b survive.
_COMMENT = re.compile(r"\s[#;]")


@dataclass(frozen=True)
class Entry:
    """One value for one option, as a file or the environment wrote it."""

    key: str  # as the source spells it: run-time, run_time, SWARM_RUN_TIME
    raw: object  # text, or a TOML value
    origin: str  # the file and line, or TOML table; "environment" for variables
    where: str  # origin and key, as messages and source_of name them


def read_conf(path: Path) -> list[Entry]:
    """The entries of a conf file, in order. Raises ConfigError naming the file and line of a
    line that is no entry, comment, blank or ``[section]`` header."""
    entries = []
    for number, line in enumerate(_read_text(path).splitlines(), start=1):
        text = _COMMENT.split(line, maxsplit=1)[0].strip()
        if not text or text[0] in "#;" or (text[0] == "[" and text[-1] == "]"):
            continue
        match = _ENTRY.fullmatch(text)
        if match is None:
            raise ConfigError(f"{path}:{number}: cannot read {text!r}; expected key = value")
        key, value = match["key"], match["value"]
        raw = "true" if value is None else unquote(value.strip())
        entries.append(Entry(key, raw, f"{path}:{number}", f"{path}:{number}: {key}"))
    return entries


def read_tool_tables(path: Path, *, required: bool) -> list[list[Entry]]:
    """The entries of [tool.locust] and of [tool.swarm] in a TOML file, in that order.

    Raises ConfigError for invalid TOML (with its line) and, if ``required``, when the file
    has neither table.
    """
    try:
        document = tomllib.loads(_read_text(path))
    except tomllib.TOMLDecodeError as e:
        raise ConfigError(f"{path}: invalid TOML: {e}") from None
    tool = document.get("tool", {})
    tables = []
    for name in ("locust", "swarm"):
        table = tool.get(name) if isinstance(tool, dict) else None
        if table is None:
            continue
        if not isinstance(table, dict):
            raise ConfigError(f"{path}: tool.{name} must be a table ([tool.{name}])")
        origin = f"{path} [tool.{name}]"
        tables.append([Entry(k, v, origin, f"{origin}: {k}") for k, v in table.items()])
    if required and not tables:
        raise ConfigError(f"{path}: has no [tool.swarm] or [tool.locust] table")
    return tables


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise ConfigError(f"{path}: not UTF-8 text") from None
    except OSError as e:
        raise ConfigError(f"{path}: cannot read: {e.strerror or e}") from None
