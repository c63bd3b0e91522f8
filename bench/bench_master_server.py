"""The master under test: an idle master that collects, built with the library API.

    python bench/bench_master_server.py --impl swarm|locust [--port 0] [--userfile F]

Run with the interpreter of the implementation's virtual environment. It loads the userfile
(``bench/masterfile.py``), makes an ``Environment`` with its user classes and the module-level
``events``, creates the master runner on 127.0.0.1 (``Environment.create_master_runner``,
the same in both), fires ``init`` as the command line does (the userfile registers its custom
message there), prints ``PORT <n>`` and serves until SIGTERM or SIGINT. No test is started:
workers register, heartbeat and report, and the master merges every report, as a master
does between tests or while users run.

Profiling (``bench_master.py --profile cprofile``): SIGUSR1 starts cProfile, SIGUSR2 stops it
and writes the statistics to ``--profile-out``, so only the measured window is profiled.
"""

from __future__ import annotations

import argparse
import cProfile
import importlib
import importlib.util
import resource
import signal
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

_HERE = Path(__file__).resolve().parent


def _load_userfile(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location("masterfile", path)
    if spec is None or spec.loader is None:
        raise SystemExit(f"cannot load {path}")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _user_classes(module: ModuleType, user_base: type) -> list[type]:
    return [
        value
        for value in vars(module).values()
        if isinstance(value, type)
        and issubclass(value, user_base)
        and value is not user_base
        and not getattr(value, "abstract", False)
    ]


def _raise_open_files() -> None:
    # one file per connected worker: both masters get every file the hard limit allows
    _soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    resource.setrlimit(resource.RLIMIT_NOFILE, (hard, hard))


class _Profiler:
    """cProfile switched on and off by signals, so that only the window is profiled."""

    def __init__(self, out: str | None) -> None:
        self.out = out
        self.profile: cProfile.Profile | None = None

    def start(self) -> None:
        if self.out and self.profile is None:
            self.profile = cProfile.Profile()
            self.profile.enable()

    def stop(self) -> None:
        if self.profile is not None and self.out:
            self.profile.disable()
            self.profile.dump_stats(self.out)
            self.profile = None


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", choices=("swarm", "locust"), required=True)
    parser.add_argument("--port", type=int, default=0)
    parser.add_argument("--userfile", default=str(_HERE / "masterfile.py"))
    parser.add_argument("--profile-out", default=None)
    args = parser.parse_args()
    _raise_open_files()

    package = importlib.import_module(args.impl)  # monkey-patches gevent first thing
    import gevent  # noqa: PLC0415 -- after the implementation has patched the standard library
    from gevent.event import Event  # noqa: PLC0415 -- same reason

    env_module = importlib.import_module(f"{args.impl}.env")
    userfile = _load_userfile(Path(args.userfile))
    environment: Any = env_module.Environment(
        user_classes=_user_classes(userfile, package.User), events=package.events
    )
    runner = environment.create_master_runner(
        master_bind_host="127.0.0.1", master_bind_port=args.port
    )
    environment.events.init.fire(environment=environment, runner=runner, web_ui=None)
    # Locust keeps the port it bound in its server, swarm in the runner
    port = runner.server.port if args.impl == "locust" else runner.master_bind_port
    print(f"PORT {port}", flush=True)

    stop = Event()
    profiler = _Profiler(args.profile_out)
    gevent.signal_handler(signal.SIGTERM, stop.set)
    gevent.signal_handler(signal.SIGINT, stop.set)
    gevent.signal_handler(signal.SIGUSR1, profiler.start)
    gevent.signal_handler(signal.SIGUSR2, profiler.stop)
    stop.wait()
    profiler.stop()
    runner.quit()
    sys.stdout.flush()


if __name__ == "__main__":
    main()
