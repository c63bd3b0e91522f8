"""What every runner shares: its state, its users, and the bookkeeping around a test.

A runner owns the users of one process (the local runner) or coordinates other processes
(the master, later). It feeds nothing into the statistics itself: the Environment wires the
request event to ``environment.stats``. The runner records user-code exceptions, tracks
which users run, and starts and stops a test.
"""

from __future__ import annotations

import gc
import logging
import time
import traceback
from collections.abc import Callable
from types import TracebackType
from typing import TYPE_CHECKING, Any

import gevent
import psutil
from gevent.event import Event
from gevent.pool import Group

from swarm.exceptions import StopTest
from swarm.rpc.messages import Message
from swarm.runners.saturation import SaturationMonitor, SaturationSummary
from swarm.runners.schedule import arrival_plan_of
from swarm.runners.states import (
    STATE_CLEANUP,
    STATE_INIT,
    STATE_MISSING,
    STATE_RUNNING,
    STATE_SPAWNING,
    STATE_STOPPED,
    STATE_STOPPING,
)
from swarm.runners.usage import LOOP_LAG_PROBE_INTERVAL, LoopLagProbe, UsageMonitor

if TYPE_CHECKING:
    from swarm.env import Environment
    from swarm.runners.arrival import ArrivalExecutor
    from swarm.runners.schedule import ArrivalPlan
    from swarm.stats import RequestStats
    from swarm.user import User

logger = logging.getLogger(__name__)

__all__ = [
    "STATE_CLEANUP",
    "STATE_INIT",
    "STATE_MISSING",
    "STATE_RUNNING",
    "STATE_SPAWNING",
    "STATE_STOPPED",
    "STATE_STOPPING",
    "Runner",
]

#: Seconds between two reads of this process's CPU and memory.
USAGE_MONITOR_INTERVAL = 5.0
#: The shortest end of a test worth a last saturation sample: a CPU reading over less is noise.
FINAL_SAMPLE_MIN_INTERVAL = 1.0


class Runner:
    """Base class of the runners: state, users by class, exceptions, usage monitoring."""

    #: Seconds between two readings of this process's CPU and memory.
    usage_interval = USAGE_MONITOR_INTERVAL
    #: Seconds between two measurements of the event loop's lag.
    loop_lag_interval = LOOP_LAG_PROBE_INTERVAL
    #: How this process is named in saturation warnings and reports, and whether it runs users.
    usage_name = "local"
    generates_load = True

    def __init__(self, environment: Environment) -> None:
        self.environment = environment
        #: The runner's own greenlets; joining it waits for the runner to quit.
        self.greenlet = Group()
        self.user_greenlets = Group()
        self.state = STATE_INIT
        self.target_user_count: int | None = None
        self.spawn_rate: float = 0.0
        self.spawning_greenlet: gevent.Greenlet | None = None
        #: The greenlet following the load shape, when ``start_shape`` runs one.
        self.shape_greenlet: gevent.Greenlet | None = None
        #: ``-i``: end a test after this many task iterations in all (None: no limit).
        self.iteration_limit: int | None = None
        #: The open model's plan while an arrival-rate run goes on or after one (else None).
        self.arrival_plan: ArrivalPlan | None = None
        #: This process's part of the arrival-rate run under way (or the last), else None.
        self.arrival: ArrivalExecutor | None = None
        #: The executor that has the request event until its test ends (None otherwise).
        self._recorder: ArrivalExecutor | None = None
        #: The user classes a load shape's tick() asked for last (spawned by name too).
        self.shape_user_classes: list[type[User]] = []
        #: Users by class name, oldest first (dicts as ordered sets: O(1) to forget a user that
        #: stopped by itself); ramp-down stops the newest.
        self._users: dict[str, dict[User, None]] = {}
        self.unhandled_exceptions = 0
        self.usage = UsageMonitor()
        self.current_cpu_usage = 0.0
        self.current_memory_usage = 0
        self.cpu_warning_emitted = False
        #: The largest event-loop lag (s) of the last usage interval.
        self.current_loop_lag = 0.0
        self.saturation_monitor = SaturationMonitor()
        self.loop_lag = LoopLagProbe(gevent.sleep, self.loop_lag_interval)
        self._process = psutil.Process()
        self._custom_handlers: dict[str, Callable[..., Any]] = {}
        #: Set when the quit in progress (in ``_quitter``) has finished; None before any quit.
        self._quit_done: Event | None = None
        self._quitter: gevent.Greenlet | None = None
        environment.events.user_error.add_listener(self._on_user_error)
        environment.events.test_start.add_listener(self._begin_saturation)
        environment.events.test_stopping.add_listener(self._end_saturation)
        environment.events.spawning_complete.add_listener(self._freeze_heap)
        environment.events.test_stop.add_listener(self._thaw_heap)
        self.greenlet.spawn(self._monitor_usage).link_exception(self._on_runner_crash)
        self.greenlet.spawn(self.loop_lag.run).link_exception(self._on_runner_crash)

    # -- what the CLI, the web UI and userfiles read -------------------------------------------

    @property
    def stats(self) -> RequestStats:
        return self.environment.stats

    @property
    def saturation(self) -> SaturationSummary:
        """How much of the last (or current) test the load generator itself was saturated."""
        return self.saturation_monitor.summary()

    @property
    def errors(self) -> dict[Any, Any]:
        return self.stats.errors

    @property
    def exceptions(self) -> dict[Any, Any]:
        return self.stats.exceptions

    @property
    def user_count(self) -> int:
        """How many users are alive now."""
        return sum(len(users) for users in self._users.values())

    @property
    def user_classes_count(self) -> dict[str, int]:
        return {name: len(users) for name, users in self._users.items() if users}

    @property
    def user_classes(self) -> list[type[User]]:
        return self.environment.user_classes

    @property
    def user_classes_by_name(self) -> dict[str, type[User]]:
        """Every class this runner can spawn by name: any of the userfile's
        (``environment.available_user_classes``), not only those of ``user_classes``, since a
        load shape may ask for any of them. On a clash of names the listed classes and the
        shape's win."""
        listed = (*self.user_classes, *self.shape_user_classes)
        return {**self.environment.available_user_classes, **{c.__name__: c for c in listed}}

    # -- starting and stopping users ---------------------------------------------------------

    def spawn_users(
        self, counts: dict[str, int], prepare: Callable[[User], None] | None = None
    ) -> list[User]:
        """Start ``counts[name]`` more users of each named class; return them.

        ``prepare(user)``, if given, runs on each user before it starts (the arrival-rate
        pool gives its users their own task loop there).
        """
        classes = self.user_classes_by_name
        started = []
        for name, count in counts.items():
            for _ in range(count):
                user = classes[name](self.environment)
                if prepare is not None:
                    prepare(user)
                self._users.setdefault(name, {})[user] = None
                greenlet = user.start(self.user_greenlets)
                greenlet.link(lambda g, u=user, n=name: self._forget(n, u))
                greenlet.link_exception(self._on_user_crash)
                started.append(user)
        return started

    def stop_users(self, counts: dict[str, int]) -> None:
        """Stop ``counts[name]`` users of each named class, newest first.

        Users finish their current task within ``environment.stop_timeout`` seconds; those
        still running then are killed. Without a stop timeout the users are gone when this
        returns; with one, stopping goes on in the background.
        """
        stopping = []
        for name, count in counts.items():
            users = self._users.get(name, {})
            victims = list(users)[len(users) - count :] if count else []
            for victim in victims:
                del users[victim]
            stopping.extend(victims)
        if not stopping:
            return
        if self.environment.stop_timeout:
            self.spawn_in_background(self._stop_gracefully, stopping)
        else:
            self._stop_gracefully(stopping)

    def _stop_gracefully(self, users: list[User]) -> None:
        timeout = self.environment.stop_timeout or 0
        pending = [u for u in users if not u.stop(force=timeout <= 0)]
        if pending:
            gevent.joinall([u.greenlet for u in pending if u.greenlet is not None], timeout=timeout)
            for user in pending:
                if user.greenlet is not None and not user.greenlet.dead:
                    user.stop(force=True)
        # kills are delivered on the next round of the hub; wait for all of them at once
        gevent.joinall([u.greenlet for u in users if u.greenlet is not None])

    def stop_all_users(self) -> None:
        """Stop every user (gracefully within stop_timeout) and wait until all are gone."""
        users = [u for group in self._users.values() for u in group]
        self._users.clear()
        self._stop_gracefully(users)
        self.user_greenlets.join()

    def _forget(self, name: str, user: User) -> None:
        users = self._users.get(name)
        if users is not None:
            users.pop(user, None)

    # -- errors ------------------------------------------------------------------------------

    def _on_user_error(
        self, user_instance: User, exception: BaseException, tb: TracebackType | None
    ) -> None:
        self.log_exception("local", repr(exception), "".join(traceback.format_tb(tb)))

    def log_exception(self, node_id: str, msg: str, formatted_tb: str) -> None:
        """Count one exception from user code (Locust's signature)."""
        self.stats.log_exception(msg, formatted_tb, node=node_id)

    def _on_user_crash(self, greenlet: gevent.Greenlet) -> None:
        error = greenlet.exception
        if isinstance(error, StopTest):
            logger.info("StopTest raised by a user: stopping the test")
            self.greenlet.spawn(self.stop_test_from_user)
            return
        self.unhandled_exceptions += 1
        logger.error("A user crashed: %r", error)

    def _on_runner_crash(self, greenlet: gevent.Greenlet) -> None:
        self.unhandled_exceptions += 1
        logger.error(
            "Unhandled exception in a runner greenlet:\n%s",
            "".join(traceback.format_exception(greenlet.exception)),
        )

    def stop_test_from_user(self) -> None:
        """What ``StopTest`` does: with a web UI, stop the test; otherwise quit (headless)."""
        if self.environment.web_ui is not None:
            self.stop()
        else:
            self.quit()

    # -- custom messages (Locust's API) ------------------------------------------------------

    def register_message(
        self, msg_type: str, listener: Callable[..., Any], concurrent: bool = False
    ) -> None:
        """Call ``listener(environment=..., msg=...)`` for each custom ``msg_type`` message.

        ``msg.data`` is what the sender passed, ``msg.node_id`` who sent it. With
        ``concurrent``, each call runs in its own greenlet, so a slow handler does not hold
        up the messages behind it.
        """
        if msg_type in self._custom_handlers:
            raise ValueError(f"a handler for custom message {msg_type!r} is already registered")
        self._custom_handlers[msg_type] = (
            (lambda **kw: self.spawn_in_background(listener, **kw)) if concurrent else listener
        )

    def send_message(self, msg_type: str, data: Any = None, client_id: str | None = None) -> None:
        """Send a custom message; in one process, to this runner's own handler (as Locust)."""
        self._on_custom_message(msg_type, data, client_id or "local")

    def _on_custom_message(self, msg_type: str, data: Any, sender: str) -> None:
        handler = self._custom_handlers.get(msg_type)
        if handler is None:
            logger.warning("No handler for custom message %r from %s", msg_type, sender)
            return
        handler(environment=self.environment, msg=Message(msg_type, data, sender))

    # -- monitoring ----------------------------------------------------------------------------

    def _monitor_usage(self) -> None:
        self._process.cpu_percent()  # the first reading only starts the measurement
        while True:
            gevent.sleep(self.usage_interval)
            self.read_usage()

    def read_usage(self) -> None:
        """Read this process's CPU, memory and event-loop lag now: fire ``usage_monitor``, warn
        about CPU and saturation (the usage greenlet calls it every ``usage_interval``)."""
        cpu = self._process.cpu_percent()
        memory = self._process.memory_info().rss
        lag = self.loop_lag.take()
        self.current_cpu_usage, self.current_memory_usage = cpu, memory
        self.current_loop_lag = lag
        events = self.environment.events
        events.usage_monitor.fire(environment=self.environment, cpu_usage=cpu, memory_usage=memory)
        warned = self._observe_saturation(time.monotonic(), cpu, lag)
        warning = self.usage.check(cpu)
        if warning:
            self.cpu_warning_emitted = True
            if not warned:  # the saturation warning of this same reading gave the CPU already
                logger.warning(warning)
            events.cpu_warning.fire(environment=self.environment, cpu_usage=cpu, message=warning)

    def _observe_saturation(self, now: float, cpu: float, lag: float) -> bool:
        """Feed this process's sample to the saturation monitor; True when it warned."""
        monitor = self.saturation_monitor
        warning = monitor.observe(self.usage_name, now, cpu, lag, self.generates_load)
        if warning:
            logger.warning(warning)
        return warning is not None

    # -- garbage collection ----------------------------------------------------------------------

    @staticmethod
    def _freeze_heap() -> None:
        """The users are spawned: move every object alive now out of the collector's sight.

        Thousands of users are hundreds of thousands of long-lived objects, which every full
        collection would walk again while the test runs; frozen, they are not (gc.freeze). At
        5,000 users a request each second this took a fifth more requests out of a core, and the
        median latency from 79 ms to 9 ms (bench/README.md). Objects freed by reference
        counting are freed as usual; frozen cycles wait for ``_thaw_heap``, so the young
        generations (spawning's garbage) are collected first: cheap, unlike a full collection.
        """
        gc.collect(1)
        gc.freeze()

    @staticmethod
    def _thaw_heap() -> None:
        gc.unfreeze()

    def _begin_saturation(self) -> None:
        self.saturation_monitor.begin(time.monotonic())
        self.loop_lag.take()  # a lag from before the test is not the test's

    def _end_saturation(self) -> None:
        # Sampled before the users stop: stopping them is swarm's work, not the test's load.
        # The last stretch counts when long enough for the CPU reading to mean something.
        now = time.monotonic()
        if self.saturation_monitor.since_last(self.usage_name, now) >= FINAL_SAMPLE_MIN_INTERVAL:
            self._observe_saturation(now, self._process.cpu_percent(), self.loop_lag.take())
        self.saturation_monitor.end()

    # -- the test's life cycle (subclasses fill these in) ------------------------------------

    def start(self, user_count: int, spawn_rate: float, wait: bool = False) -> None:
        raise NotImplementedError

    def start_arrival(self, plan: ArrivalPlan) -> None:
        """Run the open model (an arrival rate); see ``swarm.runners.arrival``."""
        raise NotImplementedError(f"{type(self).__name__} cannot run an arrival rate")

    def _record_arrival(self, executor: ArrivalExecutor) -> None:
        """Make ``executor`` this process's part of the arrival-rate test that begins."""
        self.arrival = executor
        executor.record()
        self._recorder = executor

    def _end_arrival(self) -> None:
        """The test is over: iterations still waiting are dropped, and the request event goes
        back to the statistics."""
        recorder, self._recorder = self._recorder, None
        if recorder is not None:
            recorder.abandon()  # iterations still waiting will not run: dropped, and counted
            recorder.stop_recording()

    # -- load shapes -------------------------------------------------------------------------

    #: Seconds between two calls of the load shape's ``tick()``.
    shape_tick_interval = 1.0
    #: Whether ``start()`` takes ``user_classes`` (a shape's third element).
    takes_shape_user_classes = False

    def start_shape(self) -> None:
        """Run the environment's load shape: its ``tick()`` sets users and spawn rate every
        ``shape_tick_interval`` seconds, and its None ends the test (as ``StopTest`` does)."""
        shape = self.environment.shape_class
        if shape is None:
            raise ValueError("start_shape() needs environment.shape_class (a LoadTestShape)")
        plan = arrival_plan_of(shape, self.iteration_limit)
        if plan is not None:  # an ArrivalRateShape: the open model, no tick()
            self.start_arrival(plan)
            return
        shape.runner = self
        shape.reset_time()
        self.shape_greenlet = self.spawn_in_background(self._follow_shape, shape)

    def _follow_shape(self, shape: Any) -> None:
        last: tuple[Any, ...] | None = None
        while True:
            wanted = shape.tick()
            if wanted is None:
                logger.info("The load shape's tick() returned None: ending the test")
                self.greenlet.spawn(self.stop_test_from_user)
                return
            classes = list(wanted[2]) if len(wanted) > 2 and wanted[2] is not None else None
            if classes is not None and not self.takes_shape_user_classes:
                logger.warning("user_classes in a shape's tick() are not supported here: ignored")
                classes = None
            target = (int(wanted[0]), float(wanted[1]), *(cls.__name__ for cls in classes or ()))
            if target != last:
                # start() redirects a ramp in progress: the new target applies now.
                names = f" of {', '.join(target[2:])}" if classes is not None else ""
                logger.info("Load shape: %d users at %g/s%s", target[0], target[1], names)
                if classes is None:
                    self.start(target[0], target[1])
                else:
                    self.start(target[0], target[1], user_classes=classes)  # type: ignore[call-arg]  # takes_shape_user_classes
                last = target
            gevent.sleep(self.shape_tick_interval)

    def stop(self) -> None:
        raise NotImplementedError

    def quit(self) -> None:
        raise NotImplementedError

    def _quit_once(self, end: Callable[[], None]) -> None:
        """Run ``end`` (a runner's quit) once; a quit called meanwhile waits until it is done.

        Two quits at once (two users calling quit or raising StopTest, a task and Ctrl-C) would
        each kill the other while it is killing the runner's greenlets, so that neither got to
        them all: the usage monitor or the lag probe ran on and ``runner.greenlet.join()`` never
        returned. A quit called by the quit in progress itself (from a listener) returns at once.
        """
        if self._quit_done is not None:
            if gevent.getcurrent() is not self._quitter:
                self._quit_done.wait()
            return
        self._quit_done, self._quitter = Event(), gevent.getcurrent()
        try:
            end()
        finally:
            self._quit_done.set()

    def _kill_other_greenlets(self) -> None:
        """Kill every greenlet of the runner but the caller's, and wait until they are dead."""
        current = gevent.getcurrent()
        for greenlet in list(self.greenlet):
            if greenlet is not current:
                greenlet.kill(block=True)

    def spawn_in_background(self, fn: Callable[..., Any], *args: Any) -> gevent.Greenlet:
        """Run ``fn`` in one of the runner's greenlets; a crash is logged and counted."""
        greenlet = self.greenlet.spawn(fn, *args)
        greenlet.link_exception(self._on_runner_crash)
        return greenlet
