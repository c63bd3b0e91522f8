"""What every run started by the ``swarm`` command shares, headless or with the web UI.

A run records history points (and CSV rows) while it goes, and ends one way whatever ends it:
users stopped, the last history point written, the summary printed, every requested report
written, ``quitting`` fired (the last moment to set ``environment.process_exit_code``), the
exit code computed, and ``quit`` fired with it. :class:`Run` holds that; ``HeadlessRun`` and
``WebRun`` add how a test starts and what ends the run.
"""

from __future__ import annotations

import argparse
import logging
import signal
import sys
import time
from collections.abc import Callable
from datetime import datetime

import gevent

from swarm.cluster import wait_for_workers
from swarm.env import Environment
from swarm.reports.console import print_lines, print_summary
from swarm.reports.csv import CsvReport
from swarm.reports.html import write_run_report
from swarm.reports.json import print_json, write_json_file
from swarm.reports.junit import write_junit
from swarm.reports.metrics_server import MetricsServer
from swarm.reports.thresholds import EXIT_THRESHOLD_FAILED, evaluate, first_lost, parse_thresholds
from swarm.reports.thresholds import results_table as threshold_table
from swarm.runners.base import STATE_STOPPED, Runner
from swarm.runners.master import MasterRunner

logger = logging.getLogger(__name__)


class Run:
    """One run of the ``swarm`` command: subclasses define ``run() -> exit code``.

    ``quit(reason)`` asks the run to end (signals call it); ``finish()`` is the one ending.
    """

    def __init__(self, environment: Environment, options: argparse.Namespace) -> None:
        self.env = environment
        self.options = options
        self.runner: Runner = environment.runner or environment.create_local_runner()
        # -i, for every test of the run: headless, or started from the web UI
        self.runner.iteration_limit = getattr(options, "iterations", None) or None
        self.csv = (
            CsvReport(environment.stats, options.csv_prefix, options.stats_history_enabled)
            if options.csv_prefix
            else None
        )
        self.started = time.monotonic()
        self._stopping = False
        self.thresholds = parse_thresholds(options.threshold)
        if options.threshold_abort and self.thresholds:
            self.runner.spawn_in_background(self._every, 1.0, self._abort_if_lost)
        # Bound here, before the test starts, so a port in use is a usage error and the first
        # scrape already sees the run; stopped at the end of finish().
        self.metrics: MetricsServer | None = None
        if options.metrics_port is not None:
            self.metrics = MetricsServer(environment, options.metrics_host, options.metrics_port)
            self.metrics.start()

    def quit(self, reason: str) -> None:
        """End the run: stop the users and let ``run`` write the reports.

        A second request (a second Ctrl-C) while users are still finishing their tasks within
        the stop timeout kills them at once; the reports are still written.
        """
        if self._stopping:
            if self.runner.user_greenlets:
                logger.warning("%s again: stopping every user now", reason)
                self.runner.user_greenlets.kill(block=False)
            return
        self._stopping = True
        logger.info("%s: stopping the test", reason)
        gevent.spawn(self.runner.quit)

    def finish(self) -> int:
        """Final statistics, reports and events; returns the exit code."""
        if self.runner.state != STATE_STOPPED:
            self.runner.quit()
        self._history()
        print_summary(self.env.stats, self.runner.arrival_plan)
        print_lines(run_notes(self.runner))
        verdicts = evaluate(self.thresholds, self.env.stats)
        print_lines(threshold_table(verdicts))
        self._write_reports()
        if self.options.junit:
            write_junit(verdicts, self.options.junit, duration=time.monotonic() - self.started)
        self.env.events.quitting.fire(environment=self.env)
        failed = any(not v.passed for v in verdicts)
        code = exit_code(self.env, self.runner, self.options.exit_code_on_error, failed)
        self.env.events.quit.fire(exit_code=code)
        if self.metrics is not None:
            self.metrics.stop()
        logger.info("Exiting with code %d", code)
        return code

    def _write_reports(self) -> None:
        stats = self.env.stats
        generator = self.runner.saturation
        plan = self.runner.arrival_plan
        if self.csv is not None:
            self.csv.write_final()
        if self.options.json_file:
            write_json_file(stats, self.options.json_file, generator, plan)
        if self.options.html_file:
            logger.info("HTML report: %s", write_run_report(self.env, self.options.html_file))
        if self.options.json:
            print_json(stats, sys.stdout, generator, plan)

    def _abort_if_lost(self) -> None:
        lost = first_lost(self.thresholds, self.env.stats)
        if lost is not None and not self._stopping:
            self.quit(f"Threshold {lost.text!r} can no longer pass (--threshold-abort)")

    def _install_signal_handlers(self) -> None:
        gevent.signal_handler(signal.SIGTERM, self.quit, "SIGTERM received")
        gevent.signal_handler(signal.SIGINT, self.quit, "Ctrl-C received")

    def _workers_connected(self) -> bool:
        """On a master: wait for ``--expect-workers``; False when the run cannot start."""
        expected = self.options.expect_workers
        assert isinstance(self.runner, MasterRunner)
        if wait_for_workers(self.runner, expected, self.options.expect_workers_max_wait):
            return True
        self.env.process_exit_code = 1
        return False

    def _every(self, interval: float, fn: Callable[[], None]) -> None:
        while True:
            gevent.sleep(interval)
            fn()

    def _history(self) -> None:
        now = time.time()
        self.env.stats.record_history(now, self.runner.user_count)
        if self.csv is not None:
            # As Locust does: the history grows by a row, the summary files are rewritten, so
            # they are current even if the process is killed without a chance to clean up.
            self.csv.write_history_row(now, self.runner.user_count)
            self.csv.write_final()


def exit_code(
    env: Environment, runner: Runner, code_on_error: int, thresholds_failed: bool = False
) -> int:
    """Locust's exit codes, in Locust's order of precedence, with swarm's thresholds.

    The environment's choice (``process_exit_code``) first; then 3 when a ``--threshold``
    failed (the gate the user asked for beats the generic error code); then ``code_on_error``
    when a request failed or a task raised (the errors and exceptions tables are not empty); then 2
    when an event listener or a greenlet crashed; else 0.
    """
    if env.process_exit_code is not None:
        return env.process_exit_code
    if thresholds_failed:
        return EXIT_THRESHOLD_FAILED
    if env.stats.total.num_failures or env.stats.exceptions:
        return code_on_error
    if env.events.listener_errors or runner.unhandled_exceptions:
        return 2
    return 0


def run_notes(runner: Runner) -> list[str]:
    """What the summary should add about the run itself: lost workers, a saturated generator
    (which says the CPU too; the CPU warnings otherwise)."""
    saturation = runner.saturation
    notes = saturation.notes()
    if isinstance(runner, MasterRunner):
        for lost in runner.lost_workers:
            when = datetime.fromtimestamp(lost.time).strftime("%H:%M:%S")
            notes.append(
                f"Worker {lost.id} ({lost.host or '?'}) was lost at {when}; "
                f"its {lost.user_count} users moved to the other workers."
            )
        hot = [node.id for node in runner.clients if node.cpu_warning_emitted]
        if hot and not saturation.saturated:
            notes.append(
                f"CPU warning: {len(hot)} worker(s) ran above {runner.usage.threshold:.0f}% "
                f"CPU ({', '.join(hot)}); their response times may be inflated."
            )
    elif runner.cpu_warning_emitted and not saturation.saturated:
        notes.append(
            f"CPU warning: this load generator ran above {runner.usage.threshold:.0f}% CPU "
            f"(peak {runner.usage.peak:.0f}%); response times may be inflated."
        )
    return [*notes, ""] if notes else []
