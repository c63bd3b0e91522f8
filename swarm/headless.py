"""A test run without the web UI: start, report progress, stop on time or signal, report.

Whatever ends the run — ``-t`` expiring, Ctrl-C, SIGTERM, ``StopTest`` or the users all
stopping — it ends the same way (:class:`swarm.lifecycle.Run`): users stopped, the final
statistics printed, every requested report written, ``quitting`` and ``quit`` fired, and an
exit code that tells CI what happened.
"""

from __future__ import annotations

import logging
import time

import gevent

from swarm.exceptions import StopTest
from swarm.lifecycle import Run, exit_code, run_notes
from swarm.reports.console import arrival_status, print_lines, progress_line
from swarm.runners.master import MasterRunner
from swarm.runners.schedule import arrival_plan_of
from swarm.stats import CONSOLE_STATS_INTERVAL_SEC, HISTORY_STATS_INTERVAL_SEC
from swarm.stats.tables import stats_table

logger = logging.getLogger(__name__)

# Kept importable from here, where they first lived.
__all__ = ["HeadlessRun", "exit_code", "run_notes"]


class HeadlessRun(Run):
    """One headless test: ``run()`` returns the process exit code."""

    def run(self) -> int:
        users = self.options.num_users if self.options.num_users is not None else 1
        rate = self.options.spawn_rate if self.options.spawn_rate is not None else 1.0
        run_time = self.options.run_time
        self._install_signal_handlers()
        if isinstance(self.runner, MasterRunner) and not self._workers_connected():
            return self.finish()
        shape = self.env.shape_class
        if shape is not None:
            limit = f" for at most {run_time:g}s" if run_time else ""
            open_model = arrival_plan_of(shape) is not None
            until = "its schedule ends" if open_model else "tick() returns None"
            logger.info(
                "Starting a test shaped by %s%s (until %s)", type(shape).__name__, limit, until
            )
        else:
            logger.info("Starting a test: %d users at %g/s%s", users, rate, _for(run_time))
        try:
            if shape is not None:
                self.runner.start_shape()
            else:
                self.runner.start(users, rate)
        except StopTest:
            logger.info("StopTest raised while the test was starting: stopping it")
            self.runner.quit()
            return self.finish()
        self.runner.spawn_in_background(self._every, HISTORY_STATS_INTERVAL_SEC, self._history)
        self.runner.spawn_in_background(self._every, CONSOLE_STATS_INTERVAL_SEC, self._console)
        if run_time:
            self.runner.spawn_in_background(self._stop_after, run_time)
        self.runner.greenlet.join()
        return self.finish()

    def _stop_after(self, seconds: float) -> None:
        gevent.sleep(seconds)
        self.quit(f"Run time limit ({seconds:g}s) reached")

    def _console(self) -> None:
        elapsed = time.monotonic() - self.started
        line = progress_line(
            self.env.stats,
            elapsed,
            self.options.run_time,
            self.runner.user_count,
            self.runner.target_user_count,
        )
        status = arrival_status(self.env.stats, self.runner.arrival_plan)
        if self.options.only_summary:
            print_lines([line, *status])
        else:
            print_lines([line, *stats_table(self.env.stats, current=True), *status, ""])


def _for(run_time: float | None) -> str:
    return f" for {run_time:g}s" if run_time else " until stopped (Ctrl-C)"
