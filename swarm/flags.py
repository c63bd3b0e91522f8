"""swarm's built-in options: Locust's flags, in Locust's groups.

:func:`add_builtin_options` adds every built-in option to a parser, with Locust's long and short
names, destinations, defaults and help group, and swarm's extra keywords (``env_var``,
``is_secret``, ``include_in_web_ui``) where Locust has them. Each value is checked by the
option's ``type`` from :mod:`swarm.option_values`, so every source is held to the same rule.
:func:`swarm.argument_parser.build_parser` is the one caller.
"""

from __future__ import annotations

import argparse
import platform
from pathlib import Path
from typing import TYPE_CHECKING

from swarm.__version__ import __version__
from swarm.option_values import (
    LOG_LEVELS,
    above_zero,
    log_level,
    one_or_more,
    port,
    rate,
    rate_stages,
    stages,
    timespan,
    whole_number,
    zero_or_more,
)
from swarm.reports.thresholds import threshold_option

if TYPE_CHECKING:
    from swarm.argument_parser import SwarmArgumentParser


def default_userfile(cwd: Path | None) -> str:
    """``swarmfile.py`` when it exists in ``cwd``, else ``locustfile.py`` (Locust's default)."""
    if cwd is not None and (cwd / "swarmfile.py").is_file():
        return "swarmfile.py"
    return "locustfile.py"


def login(text: str) -> str:
    """``USER:PASSWORD`` for ``--web-login``: a user name, a colon, then the password."""
    user, colon, _ = str(text).partition(":")
    if not colon or not user:
        raise argparse.ArgumentTypeError("expected USER:PASSWORD, for example admin:s3cret")
    return str(text)


def add_builtin_options(parser: SwarmArgumentParser, *, cwd: Path | None, early: bool) -> None:
    """Add every built-in option to ``parser``, one argument group per Locust group.

    ``cwd`` chooses the default of ``-f`` (see :func:`default_userfile`). With ``early``,
    ``-h`` and ``-V`` are plain flags that never print or exit, for the parse made before the
    userfile is imported.
    """
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
        type=zero_or_more,
        metavar="<int>",
        help="peak number of users",
    )
    add("-r", "--spawn-rate", type=above_zero, metavar="<float>", help="users started per second")
    add(
        "-t",
        "--run-time",
        type=timespan,
        metavar="<time>",
        help="stop after this long: 90, 30s, 20m, 1h30m",
    )
    add(
        "-i",
        "--iterations",
        type=zero_or_more,
        default=0,
        metavar="<int>",
        help="stop after this many task iterations in all, across users and workers",
    )
    add(
        "--stages",
        type=stages,
        metavar="<d:u:r,...>",
        help="a load shape in stages of DURATION:USERS:RATE, e.g. 1m:10:5,5m:100:10,30s:0:50",
    )
    add(
        "--arrival-rate",
        type=rate,
        metavar="<rate>",
        help="open model: start iterations at this rate whatever the target does, e.g. 200/s",
    )
    add(
        "--arrival-stages",
        type=rate_stages,
        metavar="<d:rate,...>",
        help="open model in stages of DURATION:RATE from --arrival-rate (or 0), e.g. "
        "30s:100/s,5m:100/s,30s:0",
    )
    add(
        "--max-users",
        type=one_or_more,
        metavar="<int>",
        help="open model: the most users running iterations at once (default 100)",
    )
    add(
        "--pre-allocated-users",
        type=zero_or_more,
        metavar="<int>",
        help="open model: users started before the first iteration (default: --max-users)",
    )
    add(
        "--max-lateness",
        type=timespan,
        metavar="<time>",
        help="open model: how long an iteration may wait for a free user before it is "
        "dropped (default 1s)",
    )
    add("-l", "--list", dest="list_commands", action="store_true", help="list user classes, exit")
    add("--config-users", nargs="*", metavar="<json>", help="per-class settings: JSON or .json")


def _add_web_ui(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add(
        "--web-host",
        default="",
        metavar="<ip>",
        help="interface the web UI listens on (default 127.0.0.1; * for every interface)",
    )
    add("--web-host-display-name", help=argparse.SUPPRESS)
    add("--web-port", "-P", type=port, default=8089, metavar="<port>", help="web UI port")
    add("--headless", action="store_true", help="no web UI: start the test at once")
    add("--autostart", action="store_true", help="start the test at once, keep the web UI")
    add(
        "--autoquit",
        type=whole_number,
        default=-1,
        metavar="<seconds>",
        help="quit this many seconds after the test stops (default -1: never)",
    )
    add("--headful", action="store_true", help=argparse.SUPPRESS)
    add(
        "--web-login",
        type=login,
        metavar="<user:password>",
        is_secret=True,
        include_in_web_ui=False,
        help="require this user name and password (HTTP Basic auth) for every web UI page",
    )
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
    add("--master-bind-port", type=port, default=5557, metavar="<port>", help="port to listen on")
    add(
        "--expect-workers",
        type=one_or_more,
        default=1,
        metavar="<int>",
        help="with --headless or --autostart, wait for this many workers before starting",
    )
    add(
        "--expect-workers-max-wait",
        type=zero_or_more,
        default=0,
        metavar="<seconds>",
        help="give up waiting for workers after this long (default 0: wait forever)",
    )
    add(
        "--enable-rebalancing",
        action="store_true",
        help="accepted for Locust compatibility: swarm always rebalances when workers come or go",
    )
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
        type=whole_number,
        metavar="<int>",
        help="fork this many worker processes (-1: one per core) under a master on this "
        "machine; with --worker, under one supervisor",
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
        type=port,
        default=5557,
        env_var="LOCUST_MASTER_NODE_PORT",
        metavar="<port>",
        help="port of the master to connect to",
    )
    add(
        "--master-connect-timeout",
        type=above_zero,
        default=60.0,
        metavar="<seconds>",
        help="give up when no master answers this worker within this time (default 60)",
    )
    add(
        "--report-interval",
        type=above_zero,
        default=3.0,
        metavar="<seconds>",
        help="how often a worker sends its statistics to the master (default 3)",
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
        help="write an HTML report; {u}, {r}, {t} become users, rate, time",
    )
    add("--json", action="store_true", help="print the final statistics as JSON on stdout")
    add("--json-file", metavar="<name>", help="write the final statistics to NAME.json")
    add(
        "--metrics-port",
        type=port,
        metavar="<port>",
        help="serve Prometheus metrics at http://HOST:PORT/metrics (the web UI has /metrics)",
    )
    add(
        "--metrics-host",
        default="127.0.0.1",
        metavar="<ip>",
        help="interface --metrics-port listens on (default 127.0.0.1)",
    )


def _add_logging(group: argparse._ArgumentGroup) -> None:
    add = group.add_argument
    add("--skip-log-setup", action="store_true", help="leave logging as the userfile set it up")
    add(
        "--loglevel",
        "-L",
        type=log_level,
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
        type=whole_number,
        default=1,
        metavar="<int>",
        help="exit code when any request failed or an error was logged (default 1)",
    )
    add(
        "--threshold",
        action="append",
        type=threshold_option,
        metavar="<expr>",
        include_in_web_ui=False,
        help="pass/fail check on the final statistics, e.g. 'p95<300ms' or "
        "'GET /item/[id]: p99<500ms'; repeatable; exit code 3 when one fails",
    )
    add(
        "--threshold-abort",
        action="store_true",
        help="stop the test as soon as a threshold can no longer pass (max, min, counts)",
    )
    add("--junit", metavar="<file>", help="write the thresholds as a JUnit XML report to FILE")
    add(
        "-s",
        "--stop-timeout",
        type=timespan,
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
