"""swarm's command-line parser: the extra keywords userfiles give their options, one-line errors.

``build_parser()`` returns a :class:`SwarmArgumentParser` with every built-in option, in
Locust's groups, with Locust's long and short names, destinations and defaults (the list is
:mod:`swarm.flags`). :func:`parse_command_line` reads only what the command line gives, for
:mod:`swarm.config` to layer over the other sources. A userfile adds
options in an ``init_command_line_parser`` listener; ``add_argument`` (on the parser and on its
groups) takes five keywords beyond argparse's and keeps them on the returned action, where the
web UI and :mod:`swarm.config` read them:

    env_var            one more environment variable that sets the option
    include_in_web_ui  show the option in the web UI's start form (default True)
    is_secret          the web UI masks the value
    is_multiple        the option may be repeated and its value is a list
    is_required        a run needs a value, from the command line, a config file or the
                       environment (argparse's ``required=True`` means the same here)

Errors: the parser never prints usage and exits on bad input. :meth:`SwarmArgumentParser.error`
raises :class:`~swarm.exceptions.ConfigError` with a one-line message; the CLI prints it as
``swarm: error: <message>`` and exits with :data:`EXIT_USAGE` (1, as for every mistake
made before a test starts). Only ``--help`` and
``--version`` print and exit, with code 0, as in argparse.

Values are checked by each option's ``type`` (:mod:`swarm.option_values`), so every source
(command line, config file, environment) is held to the same rule with the same reason: a
negative ``--users``, a ``--spawn-rate`` of 0, a ``--run-time`` that is no time span, an unknown
``--loglevel``.
"""

from __future__ import annotations

import argparse
import difflib
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from swarm.exceptions import ConfigError
from swarm.flags import add_builtin_options, default_userfile
from swarm.option_values import LOG_LEVELS

__all__ = [
    "EXIT_USAGE",
    "EXTRA_KEYWORDS",
    "LOG_LEVELS",
    "RENAMED",
    "SwarmArgumentParser",
    "build_parser",
    "default_userfile",
    "parse_command_line",
]

#: The exit code of a process stopped by a bad option, flag or config file.
EXIT_USAGE = 1

#: Keywords ``add_argument`` takes beyond argparse's, with their defaults.
EXTRA_KEYWORDS: dict[str, Any] = {
    "env_var": None,
    "include_in_web_ui": True,
    "is_secret": False,
    "is_multiple": False,
    "is_required": False,
}

#: Flags that Locust renamed; the old spelling is answered with the new one.
RENAMED = {
    "--hatch-rate": "--spawn-rate",
    "--slave": "--worker",
    "--expect-slaves": "--expect-workers",
    "--web-auth": "--web-login",
}

_DESCRIPTION = "Load test a system with users written in plain Python."
_EPILOG = """examples:
  swarm -f my_test.py -H https://staging.example.com
  swarm --headless -u 100 -r 10 -t 20m --csv results MyUser
  SWARM_USERS=50 swarm --config ci.conf --headless

Every option can also be set in swarm.conf, pyproject.toml [tool.swarm] or a SWARM_*
environment variable: see docs/configuration.md."""


def _add_with_extras(
    add: Callable[..., argparse.Action], args: tuple[Any, ...], kwargs: dict[str, Any]
) -> argparse.Action:
    extras = {name: kwargs.pop(name, default) for name, default in EXTRA_KEYWORDS.items()}
    # configargparse (under Locust) let a config file or env var satisfy required=True, so
    # swarm checks it after every source is applied rather than on the command line alone.
    if kwargs.pop("required", False):
        extras["is_required"] = True
    if extras["is_multiple"] and "action" not in kwargs and "nargs" not in kwargs:
        kwargs["action"] = "append"
    action = add(*args, **kwargs)
    for name, value in extras.items():
        setattr(action, name, value)
    return action


# argparse builds groups from these private classes; subclassing them is the only way to give
# group.add_argument the extra keywords too.
class _Group(argparse._ArgumentGroup):
    """An argument group whose ``add_argument`` takes swarm's extra keywords."""

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return _add_with_extras(super().add_argument, args, kwargs)


class _ExclusiveGroup(argparse._MutuallyExclusiveGroup):
    """A mutually exclusive group whose ``add_argument`` takes swarm's extra keywords."""

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return _add_with_extras(super().add_argument, args, kwargs)


class SwarmArgumentParser(argparse.ArgumentParser):
    """An ArgumentParser that takes swarm's extra keywords and raises instead of exiting.

    ``add_argument`` accepts ``env_var``, ``include_in_web_ui``, ``is_secret``,
    ``is_multiple`` and ``is_required`` (see the module docstring) and sets them as attributes
    of the returned action. ``error`` raises ConfigError.
    """

    def add_argument(self, *args: Any, **kwargs: Any) -> argparse.Action:
        return _add_with_extras(super().add_argument, args, kwargs)

    def add_argument_group(self, *args: Any, **kwargs: Any) -> argparse._ArgumentGroup:
        group = _Group(self, *args, **kwargs)
        self._action_groups.append(group)
        return group

    def add_mutually_exclusive_group(self, **kwargs: Any) -> argparse._MutuallyExclusiveGroup:
        group = _ExclusiveGroup(self, **kwargs)
        self._mutually_exclusive_groups.append(group)
        return group

    def error(self, message: str) -> NoReturn:
        """Raise ConfigError(message): the caller decides how to report it."""
        raise ConfigError(message)

    def _flagged(self, name: str) -> dict[str, argparse.Action]:
        return {
            a.dest: a
            for a in self._actions
            if getattr(a, "include_in_web_ui", False) and getattr(a, name, False)
        }

    @property
    def args_included_in_web_ui(self) -> dict[str, argparse.Action]:
        """Options the web UI shows, by destination."""
        return self._flagged("include_in_web_ui")

    @property
    def secret_args_included_in_web_ui(self) -> dict[str, argparse.Action]:
        """Options the web UI shows masked."""
        return self._flagged("is_secret")

    @property
    def required_args_included_in_web_ui(self) -> dict[str, argparse.Action]:
        """Options the web UI marks as required."""
        return self._flagged("is_required")

    @property
    def multiple_args_included_in_web_ui(self) -> dict[str, argparse.Action]:
        """Options the web UI lets the user give several values."""
        return self._flagged("is_multiple")


def build_parser(*, cwd: Path | None = None, early: bool = False) -> SwarmArgumentParser:
    """A parser with every built-in option of swarm and nothing from any userfile.

    ``cwd`` chooses the default of ``-f`` (see :func:`default_userfile`). ``early`` builds the
    parser used before the userfile is imported: there ``-h`` and ``-V`` are plain flags, so
    that parsing never prints or exits before the userfile's own options are known.
    """
    parser = SwarmArgumentParser(
        prog="swarm",
        usage="swarm [options] [UserClass ...]",
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
        add_help=False,
    )
    add_builtin_options(parser, cwd=cwd, early=early)
    return parser


def parse_command_line(
    parser: argparse.ArgumentParser, argv: Sequence[str], *, known_only: bool = False
) -> dict[str, Any]:
    """The options written in ``argv``, by destination, with no defaults filled in.

    An option missing from ``argv`` is missing from the result, so that lower sources can
    supply it. Raises ConfigError for a bad value and, unless ``known_only``, for an option the
    parser does not know ("unknown option --userss; did you mean --users?") or a stray word.
    """
    with _without_defaults(parser):
        namespace, extras = parser.parse_known_args(list(argv))
    if extras and not known_only:
        raise ConfigError(_unknown_message(parser, extras))
    return vars(namespace)


@contextmanager
def _without_defaults(parser: argparse.ArgumentParser) -> Iterator[None]:
    # argparse fills in a default for every option not given; with SUPPRESS it leaves them out,
    # which is how the command line is told apart from the sources below it.
    saved = [(action, action.default) for action in parser._actions]
    parser_defaults = parser._defaults
    try:
        for action, _ in saved:
            action.default = argparse.SUPPRESS
        parser._defaults = {}
        yield
    finally:
        for action, default in saved:
            action.default = default
        parser._defaults = parser_defaults


def _unknown_message(parser: argparse.ArgumentParser, extras: list[str]) -> str:
    token = next((t for t in extras if t.startswith("-")), extras[0])
    if not token.startswith("-"):
        return f"unexpected argument {token!r}; user class names go together at the end"
    name = token.split("=", 1)[0]
    if name in RENAMED:
        return f"option {name} was renamed {RENAMED[name]}"
    known = [option for action in parser._actions for option in action.option_strings]
    close = difflib.get_close_matches(name, known, n=1)
    if close:
        return f"unknown option {name}; did you mean {close[0]}?"
    return f"unknown option {name}; see swarm --help"
