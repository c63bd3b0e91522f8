"""swarm's command line: Locust's flags, and the extra keywords userfiles give their own.

``build_parser()`` returns a :class:`SwarmArgumentParser` with every built-in option, in
Locust's groups, with Locust's long and short names, destinations and defaults. A userfile adds
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

Values are checked by each option's ``type``, so every source (command line, config file,
environment) is held to the same rule with the same reason: a negative ``--users``, a
``--spawn-rate`` of 0, a ``--run-time`` that is no time span, an unknown ``--loglevel``.
"""

from __future__ import annotations

import argparse
import difflib
import math
import platform
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any, NoReturn

from swarm.__version__ import __version__
from swarm.exceptions import ConfigError
from swarm.timespan import parse_timespan

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

LOG_LEVELS = ("DEBUG", "INFO", "WARNING", "ERROR", "CRITICAL")

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


# Option types. Each raises ArgumentTypeError with a reason a person can act on; argparse
# prefixes it with the flag, swarm.config with the file and line or the environment variable.


def _whole(text: str) -> int:
    try:
        return int(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a whole number, got {text!r}") from None


def _zero_or_more(text: str) -> int:
    value = _whole(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be 0 or more, got {value}")
    return value


def _one_or_more(text: str) -> int:
    value = _whole(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be 1 or more, got {value}")
    return value


def _port(text: str) -> int:
    value = _whole(text)
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"must be a port number from 0 to 65535, got {value}")
    return value


def _above_zero(text: str) -> float:
    try:
        value = float(str(text).strip())
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected a number, got {text!r}") from None
    if not math.isfinite(value) or value <= 0:
        raise argparse.ArgumentTypeError(f"must be a number above 0, got {text!r}")
    return value


def _timespan(text: str) -> float:
    try:
        return parse_timespan(text)
    except ConfigError as e:
        raise argparse.ArgumentTypeError(str(e)) from None


def _loglevel(text: str) -> str:
    level = str(text).strip().upper()
    if level not in LOG_LEVELS:
        raise argparse.ArgumentTypeError(
            f"unknown log level {text!r}; choose {', '.join(LOG_LEVELS)}"
        )
    return level


def default_userfile(cwd: Path | None) -> str:
    """``swarmfile.py`` when it exists in ``cwd``, else ``locustfile.py`` (Locust's default)."""
    if cwd is not None and (cwd / "swarmfile.py").is_file():
        return "swarmfile.py"
    return "locustfile.py"


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
    _add_common(parser.add_argument_group("Common options"), cwd, early)
    _add_web_ui(parser.add_argument_group("Web UI options"))
    _add_master(parser.add_argument_group("Master options"))
    _add_worker(parser.add_argument_group("Worker options"))
    _add_tags(parser.add_argument_group("Tag options"))
    _add_stats(parser.add_argument_group("Request statistics options"))
    _add_logging(parser.add_argument_group("Logging options"))
    _add_other(parser.add_argument_group("Other options"), early)
    parser.add_argument_group("User classes").add_argument(
        "user_classes",
        nargs="*",
        default=[],
        metavar="UserClass",
        help="run only these user classes (default: all; see --list)",
    )
    return parser


def _add_common(group: argparse._ArgumentGroup, cwd: Path | None, early: bool) -> None:
    add = group.add_argument
    if early:
        add("-h", "--help", action="store_true", help=argparse.SUPPRESS)
    else:
        add("-h", "--help", action="help", help="show this help and exit")
    add(
        "-f",
        "--locustfile",
        "--userfile",
        dest="locustfile",
        default=default_userfile(cwd),
        metavar="<file>",
        help="userfile: a .py file, several separated by commas, or a directory "
        "(default: swarmfile.py if present, else locustfile.py)",
    )
    add("--config", metavar="<file>", help="read options from this file (conf or .toml)")
    add("-H", "--host", metavar="<url>", help="base URL of the system under test")
    add(
        "-u",
        "--users",
        dest="num_users",
        type=_zero_or_more,
        metavar="<int>",
        help="peak number of users",
    )
    add("-r", "--spawn-rate", type=_above_zero, metavar="<float>", help="users started per second")
    add(
        "-t",
        "--run-time",
        type=_timespan,
        metavar="<time>",
        help="stop after this long: 90, 30s, 20m, 1h30m",
    )
    add(
        "-i",
        "--iterations",
        type=_zero_or_more,
        default=0,
        metavar="<int>",
        help="stop after this many task iterations in all (default 0: no limit)",
    )
    add("-l", "--list", dest="list_commands", action="store_true", help="list user classes, exit")
    add("--config-users", nargs="*", metavar="<json>", help="per-class settings: JSON or .json")


def _add_web_ui(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add("--web-host", default="", metavar="<ip>", help="interface the web UI binds to (all)")
    add("--web-host-display-name", help=argparse.SUPPRESS)
    add("--web-port", "-P", type=_port, default=8089, metavar="<port>", help="web UI port")
    add("--headless", action="store_true", help="no web UI: start the test at once")
    add("--autostart", action="store_true", help="start the test at once, keep the web UI")
    add(
        "--autoquit",
        type=_whole,
        default=-1,
        metavar="<seconds>",
        help="with --autostart, quit this many seconds after the test (default -1: never)",
    )
    add("--headful", action="store_true", help=argparse.SUPPRESS)
    add("--web-login", action="store_true", help="protect the web UI with a login page")
    add("--tls-cert", default="", metavar="<file>", help="TLS certificate to serve HTTPS with")
    add("--tls-key", default="", metavar="<file>", help="TLS private key to serve HTTPS with")
    add(
        "--class-picker",
        action="store_true",
        env_var="LOCUST_USERCLASS_PICKER",
        help="let the web UI choose the user classes and shape",
    )
    add("--web-base-path", default="", metavar="<path>", help="serve the web UI under this path")
    add("--build-path", default="", help=argparse.SUPPRESS)


def _add_master(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--master",
        action="store_true",
        env_var="LOCUST_MODE_MASTER",
        help="run as the master that workers connect to",
    )
    add("--master-bind-host", default="*", metavar="<ip>", help="interface to listen on (all)")
    add("--master-bind-port", type=_port, default=5557, metavar="<port>", help="port to listen on")
    add(
        "--expect-workers",
        type=_one_or_more,
        default=1,
        metavar="<int>",
        help="with --headless or --autostart, wait for this many workers before starting",
    )
    add(
        "--expect-workers-max-wait",
        type=_zero_or_more,
        default=0,
        metavar="<seconds>",
        help="give up waiting for workers after this long (default 0: wait forever)",
    )
    add("--enable-rebalancing", action="store_true", help="redistribute users as workers come/go")
    add(
        "--master-secret",
        metavar="<text>",
        is_secret=True,
        include_in_web_ui=False,
        help="shared secret that master and workers must both hold",
    )


def _add_worker(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--worker",
        action="store_true",
        env_var="LOCUST_MODE_WORKER",
        help="run as a worker of a master",
    )
    add(
        "--processes",
        type=_whole,
        metavar="<int>",
        help="fork this many worker processes (-1: one per core)",
    )
    add(
        "--master-host",
        default="127.0.0.1",
        env_var="LOCUST_MASTER_NODE_HOST",
        metavar="<host>",
        help="host of the master to connect to",
    )
    add(
        "--master-port",
        type=_port,
        default=5557,
        env_var="LOCUST_MASTER_NODE_PORT",
        metavar="<port>",
        help="port of the master to connect to",
    )


def _add_tags(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add("-T", "--tags", nargs="*", metavar="<tag>", help="run only tasks with one of these tags")
    add("-E", "--exclude-tags", nargs="*", metavar="<tag>", help="skip tasks with any of these")


def _add_stats(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--csv",
        dest="csv_prefix",
        metavar="<prefix>",
        help="write PREFIX_stats.csv, PREFIX_failures.csv and the other CSV reports",
    )
    add(
        "--csv-full-history",
        dest="stats_history_enabled",
        action="store_true",
        help="with --csv, write every endpoint to the history file, not just the total",
    )
    add("--print-stats", action="store_true", help="print statistics periodically")
    add("--only-summary", action="store_true", help="print only the final summary")
    add("--reset-stats", action="store_true", help="reset statistics when spawning completes")
    add(
        "--html",
        dest="html_file",
        metavar="<file>",
        help="write an HTML report; {u}, {r}, {t} in the name become users, rate, time",
    )
    add("--json", action="store_true", help="print the final statistics as JSON on stdout")
    add("--json-file", metavar="<name>", help="write the final statistics to NAME.json")


def _add_logging(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add("--skip-log-setup", action="store_true", help="leave logging as the userfile set it up")
    add(
        "--loglevel",
        "-L",
        type=_loglevel,
        default="INFO",
        choices=LOG_LEVELS,
        metavar="<level>",
        help="DEBUG, INFO, WARNING, ERROR or CRITICAL, in any case (default INFO)",
    )
    add("--logfile", metavar="<file>", help="log to this file instead of stderr")


def _add_other(group: argparse._ArgumentGroup, early: bool) -> None:
    add = group.add_argument
    add("--show-task-ratio", action="store_true", help="print each class's task ratios, exit")
    add("--show-task-ratio-json", action="store_true", help="the same, as JSON")
    if early:
        add("--version", "-V", action="store_true", help=argparse.SUPPRESS)
    else:
        add("--version", "-V", action="version", version=_version(), help="print the version")
    add(
        "--exit-code-on-error",
        type=_whole,
        default=1,
        metavar="<int>",
        help="exit code when any request failed or an error was logged (default 1)",
    )
    add(
        "-s",
        "--stop-timeout",
        type=_timespan,
        default=0.0,
        metavar="<time>",
        help="on stop, let users finish their task for this long (default 0: stop at once)",
    )
    add("--equal-weights", action="store_true", help="give every task the same weight")
    add("--profile", metavar="<name>", help="a name that groups test runs together")
    add(
        "--otel",
        action="store_true",
        env_var="LOCUST_ENABLE_OPENTELEMETRY",
        help="instrument the run with OpenTelemetry",
    )


def _version() -> str:
    where = Path(__file__).parent
    return f"swarm {__version__} from {where} (Python {platform.python_version()})"


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
