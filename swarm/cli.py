"""The ``swarm`` command: options, userfiles, and the run they describe.

Every mistake a user can make before the test starts (a missing userfile, a bad flag, an
unknown user class, an HttpUser without a host, ...) ends here as one short paragraph on
stderr and exit code 1, never as a traceback.
"""

from __future__ import annotations

import argparse
import logging
import os
import signal
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import swarm
from swarm import compare
from swarm.argument_parser import EXIT_USAGE, build_parser
from swarm.cluster import create_runner, fetch_userfile, fork_workers, reap, run_worker, supervise
from swarm.config import early_options, parse_options, userfile_paths
from swarm.env import Environment
from swarm.exceptions import ConfigError, SwarmError, UserfileError
from swarm.headless import HeadlessRun
from swarm.log import setup_logging
from swarm.protocols.http import HttpUser
from swarm.shapes import ArrivalRateShape, StagesShape
from swarm.user import User
from swarm.user.inspect import print_task_ratio, print_task_ratio_json
from swarm.userfile import Userfiles, find_userfiles, load_userfiles
from swarm.webrun import WebRun, create_web_ui

logger = logging.getLogger("swarm.main")

#: The exit code of a process ended by SIGTERM (128 + 15), as a shell reports it.
EXIT_TERMINATED = 128 + signal.SIGTERM


def main(argv: list[str] | None = None) -> None:
    """Console-script entry point: run and exit with the run's code."""
    sys.exit(run(sys.argv[1:] if argv is None else argv))


def _terminate_while_starting(signum: int, frame: object) -> None:
    # Nothing to lose yet (no test, no report): end at once, as the default action would.
    print("swarm: terminated (SIGTERM) before the test started", file=sys.stderr, flush=True)
    os._exit(EXIT_TERMINATED)


def run(argv: list[str]) -> int:
    """Everything ``swarm ARGS`` does; returns the exit code.

    Until the run installs its own handlers (which stop a test and write its reports), SIGTERM
    ends swarm at once with 143, as the default action would, but also as PID 1 in a
    container, where the kernel ignores a signal the process does not handle.
    """
    if argv[:1] == ["compare"]:
        return compare.run(argv[1:])
    previous = signal.getsignal(signal.SIGTERM)
    if previous == signal.SIG_DFL:
        signal.signal(signal.SIGTERM, _terminate_while_starting)
    try:
        return _run(argv)
    except SwarmError as e:
        print(f"swarm: error: {e}", file=sys.stderr)
        return EXIT_USAGE
    except KeyboardInterrupt:
        print("swarm: interrupted before the test started", file=sys.stderr)
        return EXIT_USAGE
    finally:
        if (
            previous == signal.SIG_DFL
            and signal.getsignal(signal.SIGTERM) is _terminate_while_starting
        ):
            signal.signal(signal.SIGTERM, signal.SIG_DFL)


def _run(argv: list[str]) -> int:
    if "-V" in argv or "--version" in argv:
        print(f"swarm {swarm.__version__}")
        return 0
    environ, cwd, home = os.environ, Path.cwd(), Path.home()
    if _wants_help(argv):
        return _print_help(argv, environ, cwd, home)
    userfiles = _load_userfiles(argv, environ, cwd, home)
    options = parse_options(
        argv, environ=environ, cwd=cwd, home=home, extend=_fire_init_command_line_parser
    )
    if not options.skip_log_setup:
        setup_logging(options.loglevel, options.logfile)
    if options.locustfile == "-":
        logger.info("Running %s, fetched from the master", userfiles.paths[0].name)
    if options.list_commands:
        _list_user_classes(userfiles)
        return 0
    user_classes = select_user_classes(userfiles, options.user_classes)
    if options.show_task_ratio or options.show_task_ratio_json:
        return _show_task_ratio(user_classes, options)
    refuse_conflicts(options)
    if not options.worker:
        check_report_paths(options)
    children = fork_workers(options) if options.processes else []
    if children and options.worker:
        return supervise(children, options)
    try:
        return _run_node(user_classes, userfiles, options)
    finally:
        if children:
            reap(children)


def _run_node(
    user_classes: list[type[User]], userfiles: Userfiles, options: argparse.Namespace
) -> int:
    """This process's part: a local run, a master or a worker."""
    environment = create_environment(user_classes, userfiles, options)
    runner = create_runner(environment, options)
    web = not options.headless and not options.worker
    # Created before init fires, as in Locust, so that listeners can add routes to it.
    web_ui = create_web_ui(environment, options) if web else None
    # Listeners may still change the environment here (the demo userfile sets the host).
    environment.events.init.fire(environment=environment, runner=runner, web_ui=web_ui)
    # A worker's host comes from the master's -H with each spawn; the web form may give one.
    check_runnable(environment, check_host=options.headless and not options.worker)
    if options.worker:
        return run_worker(environment, options)
    if web:
        return WebRun(environment, options).run()
    return HeadlessRun(environment, options).run()


def create_environment(
    user_classes: list[type[User]], userfiles: Userfiles, options: argparse.Namespace
) -> Environment:
    """The Environment the options describe, with swarm's module-level event hooks."""
    environment = Environment(
        user_classes=user_classes,
        tags=options.tags,
        exclude_tags=options.exclude_tags,
        locustfile=",".join(str(p) for p in userfiles.paths),
        events=swarm.events,
        host=options.host,
        reset_stats=options.reset_stats,
        stop_timeout=options.stop_timeout,
        parsed_options=options,
        available_user_classes=userfiles.user_classes,
        shape_class=pick_shape(userfiles, options),
    )
    if options.equal_weights:
        environment.assign_equal_weights()
    return environment


def pick_shape(userfiles: Userfiles, options: argparse.Namespace) -> Any:
    """The run's load shape: the userfiles' (an instance), ``--stages``, or None.

    More than one shape in the userfiles, or one there and ``--stages`` too, is an error.
    """
    shapes = [cls for cls in userfiles.shape_classes if not vars(cls).get("abstract", False)]
    if len(shapes) > 1:
        names = ", ".join(cls.__name__ for cls in shapes)
        raise UserfileError(f"more than one LoadTestShape in the userfiles ({names}): keep one")
    given = _given(options, SHAPE_FLAGS)
    if given and shapes:
        raise UserfileError(
            f"{given[0]} and the userfile's {shapes[0].__name__} both shape the load: use one"
        )
    if "--stages" in given and len(given) > 1:
        raise ConfigError(f"--stages (users) and {given[1]} (an arrival rate) exclude each other")
    if "--stages" in given:
        return StagesShape(options.stages)
    if given:
        return _arrival_shape(
            ArrivalRateShape, "--arrival-rate/--arrival-stages", options,
            start_rate=options.arrival_rate or 0.0, stages=options.arrival_stages or (),
        )  # fmt: skip
    if shapes and issubclass(shapes[0], ArrivalRateShape):
        return _arrival_shape(shapes[0], shapes[0].__name__, options)
    pool = _given(options, POOL_FLAGS)
    if pool:
        raise ConfigError(
            f"{pool[0]} sizes the open model's pool: give --arrival-rate or --arrival-stages "
            "(or an ArrivalRateShape in the userfile) too, or use -u for a number of users"
        )
    return shapes[0]() if shapes else None


#: The open model's pool options: meaningless without an arrival rate.
POOL_FLAGS = ("--max-users", "--pre-allocated-users", "--max-lateness")


#: The options that shape the load instead of -u/-r.
SHAPE_FLAGS = ("--stages", "--arrival-rate", "--arrival-stages")


def _given(options: argparse.Namespace, flags: tuple[str, ...]) -> list[str]:
    """Those of ``flags`` given a value (by any source)."""
    return [flag for flag in flags if getattr(options, _dest(flag), None) is not None]


def _dest(flag: str) -> str:
    return flag[2:].replace("-", "_")


def _arrival_shape(
    cls: type[ArrivalRateShape], what: str, options: argparse.Namespace, **curve: Any
) -> ArrivalRateShape:
    """An ArrivalRateShape (the command line's, or a userfile's class) with the pool options
    the command line gives over its own; a wrong value is a usage error naming ``what``."""
    pool = {_dest(flag): getattr(options, _dest(flag), None) for flag in POOL_FLAGS}
    try:
        return cls(**curve, **pool)
    except ValueError as e:
        raise ConfigError(f"{what}: {e}") from None


def select_user_classes(userfiles: Userfiles, names: list[str]) -> list[type[User]]:
    """The classes named on the command line, or all of them."""
    available = userfiles.user_classes
    if not available:
        files = ", ".join(str(p) for p in userfiles.paths)
        raise UserfileError(
            f"no User class found in {files}. Define a class that inherits from swarm.User "
            "(or HttpUser) and give it at least one @task"
        )
    if not names:
        return list(available.values())
    unknown = [n for n in names if n not in available]
    if unknown:
        raise ConfigError(
            f"unknown user class {', '.join(map(repr, unknown))}; "
            f"the userfile defines: {', '.join(sorted(available))}"
        )
    return [available[n] for n in dict.fromkeys(names)]


def refuse_conflicts(options: argparse.Namespace) -> None:
    """A clear error for a combination of options swarm cannot honour."""
    if options.master and options.worker:
        raise ConfigError("--master and --worker exclude each other: a process is one or the other")


#: The options naming files written when the run ends, with their flags.
REPORT_PATHS = (
    ("json_file", "--json-file"),
    ("html_file", "--html"),
    ("junit", "--junit"),
    ("csv_prefix", "--csv"),
)


#: What swarm adds to a report option's value to name the file (one of them, for --csv).
REPORT_SUFFIXES = {"json_file": ".json", "csv_prefix": "_stats.csv"}


def check_report_paths(options: argparse.Namespace) -> None:
    """Refuse, before the test, a report that could not be written after it: a run of an hour
    must not end by losing its reports to a missing permission or a file in the way. Missing
    directories are fine (the reports create them), if the nearest existing one is writable."""
    for dest, flag in REPORT_PATHS:
        value = getattr(options, dest, None)
        if not value:
            continue
        written = Path(value + REPORT_SUFFIXES.get(dest, ""))
        if written.is_dir():
            raise ConfigError(f"{flag} {value}: {written} is a directory, not a file")
        existing = written.absolute().parent
        while not existing.exists():
            existing = existing.parent
        if not existing.is_dir():
            raise ConfigError(f"{flag} {value}: {existing} is a file, not a directory")
        if not os.access(existing, os.W_OK | os.X_OK):
            raise ConfigError(
                f"{flag} {value}: cannot write in {existing} (permission denied); "
                "choose another path or give this user write access"
            )


def check_runnable(environment: Environment, *, check_host: bool = True) -> None:
    """Refuse, before anything starts, a test that cannot run.

    Classes that --tags/--exclude-tags left without tasks are dropped (as in Locust); it is
    an error only when no class is left, or when a class never had a task.
    """
    filtering = environment.tags is not None or environment.exclude_tags is not None
    runnable = [cls for cls in environment.user_classes if cls.tasks or cls.run is not User.run]
    if not runnable:
        reason = "after --tags/--exclude-tags filtering" if filtering else "at all"
        names = ", ".join(cls.__name__ for cls in environment.user_classes)
        raise ConfigError(
            f"no user class has tasks {reason} ({names}). "
            "Decorate methods with @task or set tasks = [...]"
            + ("; check the tag names" if filtering else "")
        )
    for cls in environment.user_classes:
        if cls not in runnable:
            logger.warning("%s has no tasks left after tag filtering: not running it", cls.__name__)
    environment.user_classes[:] = runnable
    for cls in runnable if check_host else ():
        if issubclass(cls, HttpUser):
            _check_host(cls, cls.host or environment.host)
    if not any(cls.weight > 0 or cls.fixed_count > 0 for cls in runnable):
        raise ConfigError("no user class has weight > 0 or a fixed_count, so no user would run")


def _check_host(cls: type[User], host: str | None) -> None:
    if not host:
        raise ConfigError(
            f"{cls.__name__} is an HttpUser but no host was given. Set host = "
            f'"http://..." on the class, or pass -H/--host (e.g. -H http://127.0.0.1:8080)'
        )
    parts = urlsplit(host)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        raise ConfigError(
            f"invalid host {host!r} for {cls.__name__}: it must be a base URL such as "
            "http://127.0.0.1:8080 (with http:// or https://)"
        )


def _load_userfiles(
    argv: list[str], environ: Mapping[str, str], cwd: Path, home: Path
) -> Userfiles:
    """The userfiles ``-f`` (from any source) names, imported; ``-f -`` asks the master."""
    paths = userfile_paths(argv, environ, cwd, home)
    if paths == ["-"]:
        return load_userfiles([fetch_userfile(early_options(argv, environ, cwd, home))])
    if "-" in paths:
        raise UserfileError("-f - (the master's userfile) cannot be combined with other files")
    return load_userfiles(find_userfiles(",".join(paths), cwd))


def _fire_init_command_line_parser(parser: argparse.ArgumentParser) -> None:
    swarm.events.init_command_line_parser.fire(parser=parser)


def _wants_help(argv: list[str]) -> bool:
    return "-h" in argv or "--help" in argv


def _print_help(argv: list[str], environ: Mapping[str, str], cwd: Path, home: Path) -> int:
    parser = build_parser()
    try:  # show the userfile's own arguments too, when there is a userfile to read
        _load_userfiles(argv, environ, cwd, home)
        _fire_init_command_line_parser(parser)
    except SwarmError:
        pass
    parser.print_help()
    return 0


def _list_user_classes(userfiles: Userfiles) -> None:
    print("Available user classes:")
    for name in userfiles.user_classes:
        print(f"    {name}")


def _show_task_ratio(user_classes: list[type[User]], options: argparse.Namespace) -> int:
    users = options.num_users  # None: as many users as the weights add up to, as in Locust
    if options.show_task_ratio_json:
        print_task_ratio_json(user_classes, users)
    else:
        print("\nTask ratio per user class")
        print_task_ratio(user_classes, users, total=False)
        print("\nTotal task ratio")
        print_task_ratio(user_classes, users, total=True)
    return 0
