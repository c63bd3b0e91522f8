"""Where option values come from, and which one wins.

Sources, lowest precedence first; each overrides the ones before it, option by option:

    1. the defaults of the options
    2. ~/.locust.conf, then ~/.swarm.conf
    3. ./locust.conf, then ./swarm.conf
    4. ./pyproject.toml: [tool.locust], then [tool.swarm]
    5. the file named by --config (conf format; TOML with those tables if it ends in .toml)
    6. LOCUST_<NAME> variables, and custom ``env_var`` names that do not start with SWARM_
    7. SWARM_<NAME> variables, and custom ``env_var`` names that do
    8. the command line

Conf files use Locust's format: ``key = value`` (or ``key: value``, or a bare ``key`` for a
flag that is on), ``#`` and ``;`` comments, ``[section]`` headers ignored. A key is an option's
long name without the dashes, spelt with ``-`` or ``_``. Flags take true/false, yes/no, on/off
or 1/0; an option with several values takes them separated by commas or spaces, or as a TOML
array. An empty environment variable counts as unset.

The home directory, working directory and environment are parameters, never read from the
process, so that the caller (and every test) decides what they are.

Every problem is a ConfigError whose message begins with its source: file and line (or TOML
table) and key, environment variable, or flag. Unknown keys get a "did you mean".
"""

from __future__ import annotations

import argparse
import difflib
import re
import tomllib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from swarm.argument_parser import RENAMED, SwarmArgumentParser, build_parser, parse_command_line
from swarm.exceptions import ConfigError, UserfileError

#: Options only the command line can give (by destination).
COMMAND_LINE_ONLY = frozenset({"help", "version", "config"})

#: Called with the parser before parsing, to add a userfile's own options.
Extend = Callable[[SwarmArgumentParser], object]

_TRUE = frozenset({"true", "yes", "on", "1"})
_FALSE = frozenset({"false", "no", "off", "0"})
_ENTRY = re.compile(r"(?P<key>[A-Za-z0-9][\w.-]*)\s*(?:[=:]\s*(?P<value>.*))?")
# A # or ; starts a comment only after whitespace, so URLs such as http://h/a;b survive.
_COMMENT = re.compile(r"\s[#;]")


class Options(argparse.Namespace):
    """The options of a run: an argparse.Namespace that also knows where each value came from.

    The record lives in a slot, outside ``vars(options)``, so it never travels with the
    option values (to the web UI, or to workers). Read it with :func:`source_of`.
    """

    __slots__ = ("_sources",)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._sources: dict[str, str] = {}


@dataclass(frozen=True)
class _Entry:
    """One value for one option, as a file or the environment wrote it."""

    key: str  # as the source spells it: run-time, run_time, SWARM_RUN_TIME
    raw: object  # text, or a TOML value
    origin: str  # the file and line, or TOML table; "environment" for variables
    where: str  # origin and key, as messages and source_of name them


def parse_options(
    argv: Sequence[str],
    *,
    environ: Mapping[str, str],
    cwd: Path,
    home: Path,
    extend: Extend | None = None,
) -> Options:
    """Every option of a run, built-in and custom, from every source, checked.

    ``extend(parser)`` adds custom options before anything is parsed (the CLI passes a function
    that fires ``init_command_line_parser``), so they can be set from every source like the
    built-in ones. ``--help`` and ``--version`` print and raise SystemExit(0). Raises
    ConfigError for a bad value, an unknown flag or key, a missing or malformed file, or a
    required option that no source gives.
    """
    parser = build_parser(cwd=cwd)
    if extend is not None:
        extend(parser)
    return resolve_options(parser, argv, environ=environ, cwd=cwd, home=home)


def resolve_options(
    parser: SwarmArgumentParser,
    argv: Sequence[str],
    *,
    environ: Mapping[str, str],
    cwd: Path,
    home: Path,
) -> Options:
    """:func:`parse_options` with a parser the caller built (and may keep, e.g. for the UI)."""
    given = parse_command_line(parser, argv)
    options = _layered(parser, given, environ=environ, cwd=cwd, home=home, strict=True)
    _settle(parser, options)
    return options


def userfile_paths(
    argv: Sequence[str], environ: Mapping[str, str], cwd: Path, home: Path
) -> list[str]:
    """The userfiles to import, found before any is imported.

    ``-f`` comes from every source, in the usual precedence. Each comma-separated part is made
    absolute against ``cwd`` (``~/`` against ``home``); a directory becomes the .py files under
    it, sorted, without names starting with ``_``; a URL or ``-`` stays as written; a missing
    file is returned as it is, for the import to report. Flags and config keys that only the
    userfile defines are ignored here. Raises ConfigError for a bad source, UserfileError for an
    empty ``-f`` or a directory without .py files.
    """
    parser = build_parser(cwd=cwd, early=True)
    given = parse_command_line(parser, argv, known_only=True)
    options = _layered(parser, given, environ=environ, cwd=cwd, home=home, strict=False)
    return _userfiles(str(options.locustfile), cwd=cwd, home=home)


def source_of(options: argparse.Namespace, dest: str) -> str:
    """Where ``options.<dest>`` came from, "" if not known.

    One of "default", "command line", "<file>:<line>: <key>", "<file> [tool.swarm]: <key>"
    or "environment variable <NAME>".
    """
    sources: Mapping[str, str] = getattr(options, "_sources", {})
    return sources.get(dest, "")


def env_names(action: argparse.Action) -> list[str]:
    """The environment variables that set ``action``, lowest precedence first.

    For each long option name (the destination for a positional) in upper case with ``_`` for
    ``-``: ``LOCUST_<NAME>`` and ``SWARM_<NAME>``; an explicit ``env_var`` ranks last in its
    tier (SWARM_ if it starts so, else LOCUST_).
    """
    longs = [option[2:] for option in action.option_strings if option.startswith("--")]
    stems = [name.upper().replace("-", "_") for name in longs or [action.dest]]
    locust = [f"LOCUST_{stem}" for stem in stems]
    swarm = [f"SWARM_{stem}" for stem in stems]
    explicit = getattr(action, "env_var", None)
    if explicit:
        (swarm if explicit.startswith("SWARM_") else locust).append(explicit)
    return list(dict.fromkeys(locust + swarm))


def _layered(
    parser: argparse.ArgumentParser,
    given: Mapping[str, Any],
    *,
    environ: Mapping[str, str],
    cwd: Path,
    home: Path,
    strict: bool,
) -> Options:
    actions = _configurable(parser)
    keys = _config_keys(actions)
    values = _defaults(parser)
    sources = dict.fromkeys(values, "default")
    settings: list[tuple[argparse.Action, _Entry]] = []
    for entries in _config_files(given.get("config"), cwd=cwd, home=home):
        settings.extend(_match(entries, keys, strict=strict))
    settings.extend(_env_entries(actions, environ))
    for action, entry in settings:
        values[action.dest] = convert(action, entry.raw, entry.where)
        sources[action.dest] = entry.where
    for dest, value in given.items():
        values[dest] = value
        sources[dest] = "command line"
    options = Options(**values)
    options._sources = sources
    return options


def _configurable(parser: argparse.ArgumentParser) -> list[argparse.Action]:
    return [
        a
        for a in parser._actions
        if a.dest not in COMMAND_LINE_ONLY and a.dest != argparse.SUPPRESS
    ]


def _config_keys(actions: Iterable[argparse.Action]) -> dict[str, argparse.Action]:
    keys = {}
    for action in actions:
        longs = [option[2:] for option in action.option_strings if option.startswith("--")]
        for name in longs or [action.dest]:
            keys[_normal(name)] = action
    return keys


def _normal(key: str) -> str:
    return key.strip().lower().replace("_", "-")


def _defaults(parser: argparse.ArgumentParser) -> dict[str, Any]:
    values: dict[str, Any] = {}
    for action in parser._actions:
        default = action.default
        if action.dest == argparse.SUPPRESS or default is argparse.SUPPRESS:
            continue
        # argparse passes a text default through the option's type; so must swarm.
        if isinstance(default, str) and callable(action.type) and action.nargs != 0:
            default = convert(action, default, f"the default of {action.dest}")
        values[action.dest] = list(default) if isinstance(default, list) else default
    for dest, default in parser._defaults.items():
        values.setdefault(dest, default)
    return values


def _config_files(config: str | None, *, cwd: Path, home: Path) -> Iterator[list[_Entry]]:
    """The entries of each config file that exists, lowest precedence first."""
    for path in (home / ".locust.conf", home / ".swarm.conf"):
        if path.is_file():
            yield _read_conf(path)
    for path in (cwd / "locust.conf", cwd / "swarm.conf"):
        if path.is_file():
            yield _read_conf(path)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        yield from _read_tool_tables(pyproject, required=False)
    if config is not None:
        path = _expand(config, cwd=cwd, home=home)
        if not path.is_file():
            raise ConfigError(f"--config {config}: no such file ({path})")
        if path.suffix == ".toml":
            yield from _read_tool_tables(path, required=True)
        else:
            yield _read_conf(path)


def _read_conf(path: Path) -> list[_Entry]:
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
        raw = "true" if value is None else _unquote(value.strip())
        entries.append(_Entry(key, raw, f"{path}:{number}", f"{path}:{number}: {key}"))
    return entries


def _read_tool_tables(path: Path, *, required: bool) -> list[list[_Entry]]:
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
        tables.append([_Entry(k, v, origin, f"{origin}: {k}") for k, v in table.items()])
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


def _unquote(text: str) -> str:
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        return text[1:-1]
    return text


def _match(
    entries: Iterable[_Entry], keys: Mapping[str, argparse.Action], *, strict: bool
) -> Iterator[tuple[argparse.Action, _Entry]]:
    for entry in entries:
        name = _normal(entry.key)
        if name in COMMAND_LINE_ONLY:
            raise ConfigError(f"{entry.where}: only the command line can give --{name}")
        action = keys.get(name)
        if action is not None:
            yield action, entry
        elif strict:
            raise ConfigError(_unknown_key(entry, name, keys))


def _unknown_key(entry: _Entry, name: str, keys: Iterable[str]) -> str:
    renamed = RENAMED.get(f"--{name}")
    if renamed:
        return f"{entry.origin}: option {entry.key!r} was renamed {renamed[2:]!r}"
    close = difflib.get_close_matches(name, list(keys), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "see swarm --help"
    return f"{entry.origin}: unknown option {entry.key!r}; {hint}"


def _env_entries(
    actions: Iterable[argparse.Action], environ: Mapping[str, str]
) -> Iterator[tuple[argparse.Action, _Entry]]:
    for action in actions:
        for name in env_names(action):
            text = environ.get(name, "")
            if text.strip():
                yield action, _Entry(name, text, "environment", f"environment variable {name}")


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
    return [_unquote(part.strip()) for part in parts if part.strip()]


def _settle(parser: argparse.ArgumentParser, options: Options) -> None:
    """Check what only the whole set of options can show, and apply --headful."""
    missing = [
        action
        for action in parser._actions
        if getattr(action, "is_required", False)
        and getattr(options, action.dest, None) in (None, "", [])
    ]
    if missing:
        raise ConfigError("; ".join(_missing_message(action) for action in missing))
    if options.stats_history_enabled and not options.csv_prefix:
        raise ConfigError("--csv-full-history needs --csv <prefix>")
    # --headful exists to undo a headless = true from a config file, as in Locust.
    if options.headful:
        options.headless = False
        options._sources["headless"] = source_of(options, "headful")


def _missing_message(action: argparse.Action) -> str:
    longs = [option for option in action.option_strings if option.startswith("--")]
    flag = (longs or action.option_strings or [action.dest])[0]
    key = flag.lstrip("-")
    env = next(name for name in env_names(action) if name.startswith("SWARM_"))
    return (
        f"missing required option {flag}: give it on the command line, "
        f"as '{key} = ...' in swarm.conf, or as {env}"
    )


def _userfiles(value: str, *, cwd: Path, home: Path) -> list[str]:
    paths: list[str] = []
    for part in (piece.strip() for piece in value.split(",")):
        if not part:
            continue
        if part == "-" or part.startswith(("http://", "https://")):
            paths.append(part)
            continue
        path = _expand(part, cwd=cwd, home=home)
        if path.is_dir():
            paths.extend(_python_files(path))
        else:
            paths.append(str(path))
    if not paths:
        raise UserfileError("no userfile given: -f/--locustfile is empty")
    return paths


def _python_files(directory: Path) -> list[str]:
    found = sorted(
        str(path)
        for path in directory.rglob("*.py")
        if path.is_file() and not path.name.startswith("_")
    )
    if not found:
        raise UserfileError(f"no userfiles (.py files) in directory {directory}")
    return found


def _expand(text: str, *, cwd: Path, home: Path) -> Path:
    if text == "~" or text.startswith("~/"):
        return home / text[2:]
    return cwd / text
