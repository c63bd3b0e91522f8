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
array. An empty environment variable counts as unset. :mod:`swarm.config_files` reads the files
and :func:`swarm.option_values.convert` turns each value into what the option stores; this
module chooses the files, matches keys and variables to options, and layers the sources.

The home directory, working directory and environment are parameters, never read from the
process, so that the caller (and every test) decides what they are.

Every problem is a ConfigError whose message begins with its source: file and line (or TOML
table) and key, environment variable, or flag. Unknown keys get a "did you mean".
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from pathlib import Path
from typing import Any

from swarm.argument_parser import RENAMED, SwarmArgumentParser, build_parser, parse_command_line
from swarm.config_files import Entry, read_conf, read_tool_tables
from swarm.exceptions import ConfigError, UserfileError
from swarm.option_values import convert

__all__ = [
    "COMMAND_LINE_ONLY",
    "Extend",
    "Options",
    "convert",
    "env_names",
    "parse_options",
    "resolve_options",
    "source_of",
    "userfile_paths",
]

#: Options only the command line can give (by destination).
COMMAND_LINE_ONLY = frozenset({"help", "version", "config"})

#: Called with the parser before parsing, to add a userfile's own options.
Extend = Callable[[SwarmArgumentParser], object]


class Options(argparse.Namespace):
    """The options of a run: an argparse.Namespace that also knows where each value came from.

    The record lives in a slot, outside ``vars(options)``, so it never travels with the
    option values (to the web UI, or to workers). Read it with :func:`source_of`.
    """

    __slots__ = ("_sources",)

    def __init__(self, **values: Any) -> None:
        super().__init__(**values)
        self._sources: dict[str, str] = {}


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
    options = early_options(argv, environ, cwd, home)
    return _userfiles(str(options.locustfile), cwd=cwd, home=home)


def early_options(
    argv: Sequence[str], environ: Mapping[str, str], cwd: Path, home: Path
) -> Options:
    """The built-in options, from every source, before any userfile is imported.

    Options only a userfile defines are ignored; what a worker needs to reach its master
    (``-f -``) is all there.
    """
    parser = build_parser(cwd=cwd, early=True)
    given = parse_command_line(parser, argv, known_only=True)
    return _layered(parser, given, environ=environ, cwd=cwd, home=home, strict=False)


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
    settings: list[tuple[argparse.Action, Entry]] = []
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


def _config_files(config: str | None, *, cwd: Path, home: Path) -> Iterator[list[Entry]]:
    """The entries of each config file that exists, lowest precedence first."""
    for path in (home / ".locust.conf", home / ".swarm.conf"):
        if path.is_file():
            yield read_conf(path)
    for path in (cwd / "locust.conf", cwd / "swarm.conf"):
        if path.is_file():
            yield read_conf(path)
    pyproject = cwd / "pyproject.toml"
    if pyproject.is_file():
        yield from read_tool_tables(pyproject, required=False)
    if config is not None:
        path = _expand(config, cwd=cwd, home=home)
        if not path.is_file():
            raise ConfigError(f"--config {config}: no such file ({path})")
        if path.suffix == ".toml":
            yield from read_tool_tables(path, required=True)
        else:
            yield read_conf(path)


def _match(
    entries: Iterable[Entry], keys: Mapping[str, argparse.Action], *, strict: bool
) -> Iterator[tuple[argparse.Action, Entry]]:
    for entry in entries:
        name = _normal(entry.key)
        if name in COMMAND_LINE_ONLY:
            raise ConfigError(f"{entry.where}: only the command line can give --{name}")
        action = keys.get(name)
        if action is not None:
            yield action, entry
        elif strict:
            raise ConfigError(_unknown_key(entry, name, keys))


def _unknown_key(entry: Entry, name: str, keys: Iterable[str]) -> str:
    renamed = RENAMED.get(f"--{name}")
    if renamed:
        return f"{entry.origin}: option {entry.key!r} was renamed {renamed[2:]!r}"
    close = difflib.get_close_matches(name, list(keys), n=1)
    hint = f"did you mean {close[0]!r}?" if close else "see swarm --help"
    return f"{entry.origin}: unknown option {entry.key!r}; {hint}"


def _env_entries(
    actions: Iterable[argparse.Action], environ: Mapping[str, str]
) -> Iterator[tuple[argparse.Action, Entry]]:
    for action in actions:
        for name in env_names(action):
            text = environ.get(name, "")
            if text.strip():
                yield action, Entry(name, text, "environment", f"environment variable {name}")


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
