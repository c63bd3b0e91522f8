"""How one master copes with many workers: swarm against Locust 2.47, step by step.

For each implementation and worker count, a fresh master (``bench_master_server.py``, pinned
to CPU 0) and a few simulator processes (``bench_master_sim.py``, pinned to CPU 1, each
holding its share of the workers as plain DEALER sockets) speak the implementation's own
protocol: register, a heartbeat a second, a statistics report of 20 endpoints every 3 s
(made with the implementation's own statistics classes), and one stats-API request a second
(the masterfile's custom message). After every worker is registered and a warm-up, a
measured window gives: the master's CPU (% of one core), its RSS, the heartbeat reply delay
(p50, p99, max) as the workers see it, and the stats API round trip. A step whose master
saturates (CPU ~100%, heartbeats seconds late) ends that implementation's curve.

    .venv/bin/python bench/bench_master.py [--impl swarm,locust]
        [--workers 500,1000,2000,3500,5000,7500,10000] [--window 15] [--warmup 6]
        [--sims 4] [--out rows.jsonl] [--profile py-spy|cprofile] [--profile-impl swarm]

``--profile`` samples the master of ``--profile-impl`` at its largest step during the window
and prints its top functions (py-spy from ``PY_SPY``, default ``/tmp/pyspy-venv/bin/py-spy``;
or cProfile inside the master). Locust's interpreter is ``LOCUST_PYTHON`` (default
``/tmp/bench/locust-venv/bin/python``, made by ``../shared/bench/setup.sh``). Every process
started here is ended by its PID, also on Ctrl-C.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import selectors
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import psutil
from bench_master_figures import cprofile_top, impl_table, pyspy_top, side_by_side, step_row

HERE = Path(__file__).resolve().parent
PYTHONS = {
    "swarm": os.environ.get("SWARM_PYTHON", sys.executable),
    "locust": os.environ.get("LOCUST_PYTHON", "/tmp/bench/locust-venv/bin/python"),
}
PY_SPY = os.environ.get("PY_SPY", "/tmp/pyspy-venv/bin/py-spy")
MASTER_CPU, SIMS_CPU = "0", "1"
_STARTUP_TIMEOUT = 30.0
_REPORT_TIMEOUT = 60.0
_END_TIMEOUT = 10.0


class Child:
    """A process started here, read line by line; ``end()`` stops it by its PID."""

    def __init__(self, argv: list[str], log: Path) -> None:
        self.log = log.open("wb")
        self.proc = subprocess.Popen(
            argv, stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=self.log, bufsize=0
        )
        self.pid = self.proc.pid
        self._buffer = b""

    def read_line(self, deadline: float) -> str | None:
        """The next line of its output, or None at ``deadline`` or its end."""
        assert self.proc.stdout is not None
        with selectors.DefaultSelector() as selector:
            selector.register(self.proc.stdout, selectors.EVENT_READ)
            while b"\n" not in self._buffer:
                left = deadline - time.monotonic()
                if left <= 0 or not selector.select(left):
                    return None
                chunk = os.read(self.proc.stdout.fileno(), 1 << 20)
                if not chunk:
                    return None
                self._buffer += chunk
        line, self._buffer = self._buffer.split(b"\n", 1)
        return line.decode()

    def send(self, line: str) -> None:
        assert self.proc.stdin is not None
        with contextlib.suppress(BrokenPipeError):
            self.proc.stdin.write(line.encode() + b"\n")

    def end(self) -> None:
        """SIGTERM, then SIGKILL if it has not exited within a few seconds."""
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=_END_TIMEOUT)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait()
        for pipe in (self.proc.stdin, self.proc.stdout):
            if pipe is not None:
                pipe.close()
        self.log.close()


class Step:
    """One master and its simulators for one (implementation, worker count)."""

    def __init__(self, impl: str, workers: int, args: argparse.Namespace, logs: Path) -> None:
        self.impl = impl
        self.workers = workers
        self.args = args
        self.logs = logs
        self.children: list[Child] = []
        self.master: Child | None = None
        self.sims: list[Child] = []
        self.profile_out: Path | None = None

    def _start(self, argv: list[str], cpu: str, name: str) -> Child:
        child = Child(["taskset", "-c", cpu, PYTHONS[self.impl], *argv], self.logs / name)
        self.children.append(child)
        return child

    def start_master(self, profile: str | None) -> int:
        argv = [str(HERE / "bench_master_server.py"), "--impl", self.impl]
        if profile == "cprofile":
            self.profile_out = self.logs / f"{self.impl}-{self.workers}.prof"
            argv += ["--profile-out", str(self.profile_out)]
        self.master = self._start(argv, MASTER_CPU, f"master-{self.impl}-{self.workers}.log")
        line = self.master.read_line(time.monotonic() + _STARTUP_TIMEOUT)
        if line is None or not line.startswith("PORT "):
            raise RuntimeError(f"the {self.impl} master did not start: see {self.logs}")
        return int(line.split()[1])

    def start_sims(self, port: int) -> int:
        """Start the simulators; how many workers registered before the deadline."""
        count = self.args.sims
        shares = [self.workers // count + (i < self.workers % count) for i in range(count)]
        for i, share in enumerate(s for s in shares if s):
            argv = [str(HERE / "bench_master_sim.py"), "--impl", self.impl, "--port", str(port)]
            argv += ["--count", str(share), "--seed", str(i)] + (["--api"] if i == 0 else [])
            if self.impl == "swarm" and self.args.per_host > 1:
                argv += ["--per-host", str(self.args.per_host)]
            self.sims.append(self._start(argv, SIMS_CPU, f"sim{i}-{self.impl}-{self.workers}.log"))
        deadline = time.monotonic() + _STARTUP_TIMEOUT + self.workers / 50
        registered = 0
        for sim in self.sims:
            line = sim.read_line(deadline)
            if line is not None and line.startswith("REGISTERED "):
                registered += int(line.split()[1])
            else:
                registered += self._status(sim)
        return registered

    @staticmethod
    def _status(sim: Child) -> int:
        sim.send("status")
        line = sim.read_line(time.monotonic() + _STARTUP_TIMEOUT)
        while line is not None and not line.startswith("STATUS "):
            line = sim.read_line(time.monotonic() + _STARTUP_TIMEOUT)
        return int(line.split()[1]) if line else 0

    def measure(self, registered: int, profile: str | None) -> dict[str, Any]:
        assert self.master is not None
        master = psutil.Process(self.master.pid)
        sims = [psutil.Process(sim.pid) for sim in self.sims]
        spy = self._start_profile(profile)
        before = _cpu(master), sum(_cpu(p) for p in sims), time.monotonic()
        for sim in self.sims:
            sim.send("start")
        time.sleep(self.args.window)
        for sim in self.sims:
            sim.send("stop")
        after = _cpu(master), sum(_cpu(p) for p in sims), time.monotonic()
        rss = master.memory_info().rss
        deadline = time.monotonic() + _REPORT_TIMEOUT
        seen = [json.loads(sim.read_line(deadline) or "null") for sim in self.sims]
        top = self._stop_profile(profile, spy)
        window = after[2] - before[2]
        row = step_row(
            self.impl,
            self.workers,
            registered,
            window,
            after[0] - before[0],
            rss,
            after[1] - before[1],
            [s for s in seen if s],
        )
        if top:
            row["profiled"] = profile
            row["profile_top"] = top
        return row

    def _start_profile(self, profile: str | None) -> Child | None:
        assert self.master is not None
        if profile == "cprofile":
            os.kill(self.master.pid, signal.SIGUSR1)
        if profile != "py-spy":
            return None
        self.profile_out = self.logs / f"{self.impl}-{self.workers}.pyspy.txt"
        argv = [PY_SPY, "record", "-p", str(self.master.pid), "-d", str(int(self.args.window))]
        argv += ["-r", "100", "-F", "-f", "raw", "-o", str(self.profile_out)]
        spy = Child(argv, self.logs / "py-spy.log")
        self.children.append(spy)
        return spy

    def _stop_profile(self, profile: str | None, spy: Child | None) -> list[str]:
        assert self.master is not None
        if profile == "cprofile" and self.profile_out is not None:
            os.kill(self.master.pid, signal.SIGUSR2)
            for _ in range(100):  # the dump takes the master a moment: up to 10 s
                if self.profile_out.exists():
                    time.sleep(0.5)
                    return cprofile_top(str(self.profile_out))
                time.sleep(0.1)
        if spy is not None and self.profile_out is not None:
            spy.proc.wait(timeout=_REPORT_TIMEOUT)
            return pyspy_top(self.profile_out.read_text())
        return []

    def end(self) -> None:
        for sim in self.sims:
            sim.send("quit")
        for child in reversed(self.children):
            child.end()


def _cpu(process: psutil.Process) -> float:
    """CPU seconds of ``process`` and its threads (the ZeroMQ I/O thread included)."""
    times = process.cpu_times()
    return float(times.user + times.system)


def run_step(impl: str, workers: int, args: argparse.Namespace, logs: Path) -> dict[str, Any]:
    profile = args.profile if impl == args.profile_impl and workers == args.profile_at else None
    step = Step(impl, workers, args, logs)
    try:
        port = step.start_master(profile)
        registered = step.start_sims(port)
        time.sleep(args.warmup)
        return step.measure(registered, profile)
    finally:
        step.end()


def _print_rows(rows: list[dict[str, Any]], impls: list[str]) -> None:
    for impl in impls:
        mine = [row for row in rows if row["impl"] == impl]
        if mine:
            print(f"\n{impl}:")
            print("\n".join(impl_table(mine)))
    print("\nside by side:")
    print("\n".join(side_by_side(rows, impls)))
    for row in rows:
        if row.get("profile_top"):
            print(f"\nwhere the {row['impl']} master spends its time at {row['workers']} workers:")
            print("\n".join(row["profile_top"]))


def _parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--impl", default="swarm,locust")
    parser.add_argument("--workers", default="500,1000,2000,3500,5000,7500,10000")
    parser.add_argument("--window", type=float, default=15.0, help="measured seconds")
    parser.add_argument("--warmup", type=float, default=6.0, help="seconds after registration")
    parser.add_argument("--sims", type=int, default=4, help="simulator processes")
    parser.add_argument(
        "--per-host",
        type=int,
        default=1,
        help="swarm: workers behind each host's relay (--worker --processes N); Locust has none",
    )
    parser.add_argument("--out", default=None, help="append one JSON line per step here")
    parser.add_argument("--profile", choices=("py-spy", "cprofile"), default=None)
    parser.add_argument("--profile-impl", default="swarm")
    parser.add_argument("--profile-at", type=int, default=None, help="default: largest step")
    args = parser.parse_args()
    args.impls = [name for name in args.impl.split(",") if name]
    args.counts = sorted(int(n) for n in args.workers.split(",") if n)
    if args.profile_at is None:
        args.profile_at = args.counts[-1]
    return args


def main() -> None:
    args = _parse_args()
    rows: list[dict[str, Any]] = []
    with tempfile.TemporaryDirectory(prefix="bench_master_") as tmp:
        logs = Path(os.environ.get("BENCH_MASTER_LOGS", tmp))
        logs.mkdir(parents=True, exist_ok=True)
        try:
            for impl in args.impls:
                for workers in args.counts:
                    row = run_step(impl, workers, args, logs)
                    rows.append(row)
                    print(json.dumps({k: v for k, v in row.items() if k != "profile_top"}))
                    if args.out:
                        with open(args.out, "a", encoding="utf-8") as out:
                            out.write(json.dumps(row) + "\n")
                    if row["saturated"]:
                        print(f"{impl} saturated at {workers} workers: not growing it further")
                        break
        except KeyboardInterrupt:
            print("interrupted: every process started here has been ended", file=sys.stderr)
        _print_rows(rows, args.impls)


if __name__ == "__main__":
    main()
