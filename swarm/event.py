"""The event bus: named hooks that plugins and swarm itself listen to.

Every hook is declared once, below, with the keyword arguments it is fired with. A listener is
checked when it is added: one that needs an argument the hook never passes is refused at once
(``ListenerError``), not at the first fire in the middle of a test. A listener may take any
subset of the hook's arguments, or ``**kwargs`` to receive them all.

An exception raised by a listener is logged and counted (``Events.listener_errors``, which
makes the process exit with code 2) but does not stop the test, except for swarm's
control-flow signals (``StopUser``, ``RescheduleTask``, ...), which pass through so that a
request listener can stop its user.

Custom events are plain ``EventHook()`` instances set on ``environment.events``; without a
declared spec they accept any keyword arguments.
"""

from __future__ import annotations

import inspect
import logging
import os
import time
import traceback
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

from swarm.exceptions import CONTROL_FLOW, SwarmError

logger = logging.getLogger(__name__)

Listener = Callable[..., Any]


class ListenerError(SwarmError, TypeError):
    """A listener whose signature does not fit its hook, or a fire with wrong arguments."""


@dataclass(frozen=True)
class HookSpec:
    """The arguments a hook is fired with: ``required`` always, ``optional`` sometimes."""

    required: tuple[str, ...]
    optional: tuple[str, ...] = ()

    @property
    def names(self) -> frozenset[str]:
        return frozenset(self.required + self.optional)


def _strict_default() -> bool:
    return os.environ.get("SWARM_STRICT_EVENTS", "") not in ("", "0")


class EventHook:
    """One named event. ``add_listener`` (also a decorator), ``remove_listener``, ``fire``.

    With a ``spec``, listeners are checked when added. With ``strict`` (swarm's own test
    suite turns it on through ``SWARM_STRICT_EVENTS=1``), every ``fire`` is checked against
    the spec too, so a fire that forgets an argument fails loudly.
    """

    def __init__(
        self, name: str = "", spec: HookSpec | None = None, *, strict: bool | None = None
    ) -> None:
        self.name = name
        self.spec = spec
        self.strict = _strict_default() if strict is None else strict
        # (listener, the argument names it takes, or None when it takes all of them)
        self._listeners: list[tuple[Listener, frozenset[str] | None]] = []
        self.errors = 0

    def __repr__(self) -> str:
        return f"<EventHook {self.name or '?'} listeners={len(self._listeners)}>"

    def __len__(self) -> int:
        return len(self._listeners)

    def add_listener(self, handler: Listener) -> Listener:
        """Register ``handler`` and return it, so this also works as a decorator."""
        self._listeners.append((handler, self._accepted_names(handler)))
        return handler

    def replace_listener(self, old: Listener, new: Listener) -> None:
        """Put ``new`` where ``old`` is, so that it runs in ``old``'s turn among the others; a
        ValueError when ``old`` is not a listener."""
        for i, (listener, _) in enumerate(self._listeners):
            if listener == old:
                self._listeners[i] = (new, self._accepted_names(new))
                return
        raise ValueError(f"{old!r} is not a listener of {self.name or 'this event'}")

    def remove_listener(self, handler: Listener) -> None:
        """Unregister ``handler``; a ValueError when it was never added."""
        for i, (listener, _) in enumerate(self._listeners):
            if listener == handler:
                del self._listeners[i]
                return
        raise ValueError(f"{handler!r} is not a listener of {self.name or 'this event'}")

    def fire(self, /, **kwargs: Any) -> None:
        """Call every listener with the keyword arguments each of them takes.

        ``reraise=True`` (not passed on) re-raises a listener's exception after logging it.
        """
        # ``reraise`` is read from kwargs rather than named in the signature: CPython matches
        # each keyword of a call against the named parameters by pointer and, failing that,
        # by string comparison, so a named parameter costs two string comparisons per event
        # argument per fire, far more than this one dict lookup (measured with callgrind).
        reraise = kwargs.pop("reraise", False) if "reraise" in kwargs else False
        if self.strict and self.spec is not None:
            self._check_fire(kwargs)
        for handler, names in self._listeners:
            try:
                if names is None:
                    handler(**kwargs)
                else:
                    handler(**{k: v for k, v in kwargs.items() if k in names})
            except CONTROL_FLOW:
                raise
            except Exception:
                self.errors += 1
                logger.error(
                    "Uncaught exception in a listener of event %s:\n%s",
                    self.name or "?",
                    traceback.format_exc(),
                )
                if reraise:
                    raise

    @contextmanager
    def measure(
        self,
        request_type: str,
        name: str,
        response_length: int = 0,
        context: dict[str, Any] | None = None,
    ) -> Iterator[dict[str, Any]]:
        """Time the block and fire this (request) event when it ends.

        The block may change the yielded dict (``response_length``, ``response``, ...). An
        exception in the block is reported as the request's failure and not re-raised.
        """
        start_time = time.time()
        start = time.perf_counter()
        meta: dict[str, Any] = {
            "request_type": request_type,
            "name": name,
            "response_length": response_length,
            "context": context if context is not None else {},
            "exception": None,
            "start_time": start_time,
            "response": None,
            "url": None,
        }
        try:
            yield meta
        except Exception as e:
            meta["exception"] = e
        meta["response_time"] = (time.perf_counter() - start) * 1000
        self.fire(**meta)

    def _accepted_names(self, handler: Listener) -> frozenset[str] | None:
        """The argument names to pass ``handler``; None means pass everything."""
        try:
            params = inspect.signature(handler).parameters.values()
        except (TypeError, ValueError):  # builtins without a signature: trust them
            return None
        if any(p.kind is p.VAR_KEYWORD for p in params):
            return None
        if self.spec is None:
            return None
        available = self.spec.names
        taken: set[str] = set()
        for p in params:
            if p.kind is p.VAR_POSITIONAL:
                continue
            if p.kind is p.POSITIONAL_ONLY and p.default is p.empty:
                raise ListenerError(
                    f"listener {_describe(handler)} of event {self.name!r} takes the "
                    f"positional-only argument {p.name!r}; events pass keyword arguments only"
                )
            if p.name in available:
                taken.add(p.name)
            elif p.default is p.empty:
                raise ListenerError(
                    f"listener {_describe(handler)} of event {self.name!r} needs an argument "
                    f"{p.name!r}, which this event never passes; it passes: "
                    f"{', '.join(sorted(available)) or 'nothing'}"
                )
        if taken >= available:
            return None
        return frozenset(taken)

    def _check_fire(self, kwargs: dict[str, Any]) -> None:
        assert self.spec is not None
        missing = [n for n in self.spec.required if n not in kwargs]
        unknown = sorted(set(kwargs) - self.spec.names)
        if missing or unknown:
            raise ListenerError(
                f"event {self.name!r} fired with missing {missing} / unknown {unknown} arguments"
            )


def _describe(handler: Listener) -> str:
    code = getattr(handler, "__code__", None)
    where = f" ({code.co_filename}:{code.co_firstlineno})" if code else ""
    return f"{getattr(handler, '__qualname__', repr(handler))}{where}"


class DeprecatedEventHook(EventHook):
    """A hook kept for old userfiles; adding a listener logs a warning."""

    def __init__(self, name: str, spec: HookSpec | None, message: str) -> None:
        super().__init__(name, spec)
        self.message = message

    def add_listener(self, handler: Listener) -> Listener:
        logger.warning(self.message)
        return super().add_listener(handler)


_REQUEST = HookSpec(
    required=("request_type", "name", "response_time", "response_length"),
    optional=("response", "context", "exception", "start_time", "url"),
)

#: Every built-in event: name -> (spec, what it means). docs/events.md lists the same; a test
#: keeps the two in step.
SPECS: dict[str, tuple[HookSpec, str]] = {
    "init": (
        HookSpec(("environment",), ("runner", "web_ui")),
        "The environment is set up, before the test starts. Register listeners and "
        "custom messages here.",
    ),
    "init_command_line_parser": (
        HookSpec(("parser",)),
        "Add custom command line arguments. `parser.add_argument` also takes `env_var`, "
        "`include_in_web_ui`, `is_secret`, `is_multiple` and `is_required`.",
    ),
    "test_start": (HookSpec(("environment",)), "A new test is started."),
    "test_stopping": (HookSpec(("environment",)), "A test is about to stop its users."),
    "test_stop": (HookSpec(("environment",)), "A test has stopped."),
    "request": (
        _REQUEST,
        "One request completed, successfully or not. `response_time` is in milliseconds; "
        "`exception` is None for a success.",
    ),
    "user_error": (
        HookSpec(("user_instance", "exception", "tb")),
        "An exception escaped a task of a user.",
    ),
    "spawning_complete": (
        HookSpec(("user_count",)),
        "All users asked for have been spawned.",
    ),
    "quitting": (
        HookSpec(("environment",)),
        "swarm is about to exit; the last moment to change `environment.process_exit_code`.",
    ),
    "quit": (HookSpec(("exit_code",)), "swarm exits now with this code."),
    "reset_stats": (HookSpec(()), "The statistics were reset."),
    "report_to_master": (
        HookSpec(("client_id", "data")),
        "On a worker: add data to the report about to be sent to the master.",
    ),
    "worker_report": (
        HookSpec(("client_id", "data")),
        "On the master: a worker's report arrived.",
    ),
    "worker_connect": (HookSpec(("client_id",)), "On the master: a worker connected."),
    "heartbeat_sent": (
        HookSpec(("client_id", "timestamp")),
        "A heartbeat was sent (worker to master, or master to worker).",
    ),
    "heartbeat_received": (
        HookSpec(("client_id", "timestamp")),
        "A heartbeat was received.",
    ),
    "usage_monitor": (
        HookSpec(("environment", "cpu_usage", "memory_usage")),
        "Every few seconds: this process's CPU percentage and resident memory in bytes.",
    ),
    "cpu_warning": (
        HookSpec(("environment", "cpu_usage"), ("message", "timestamp")),
        "This process's CPU usage passed the warning threshold (90%).",
    ),
}


class Events:
    """The set of hooks of one Environment. Custom hooks may be added as attributes."""

    init: EventHook
    init_command_line_parser: EventHook
    test_start: EventHook
    test_stopping: EventHook
    test_stop: EventHook
    request: EventHook
    user_error: EventHook
    spawning_complete: EventHook
    quitting: EventHook
    quit: EventHook
    reset_stats: EventHook
    report_to_master: EventHook
    worker_report: EventHook
    worker_connect: EventHook
    heartbeat_sent: EventHook
    heartbeat_received: EventHook
    usage_monitor: EventHook
    cpu_warning: EventHook

    def __init__(self) -> None:
        for name, (spec, _doc) in SPECS.items():
            setattr(self, name, EventHook(name, spec))

    def hooks(self) -> dict[str, EventHook]:
        """Every hook, built-in and custom, by name."""
        return {k: v for k, v in vars(self).items() if isinstance(v, EventHook)}

    @property
    def listener_errors(self) -> int:
        """How many times a listener raised, across all hooks."""
        return sum(h.errors for h in self.hooks().values())
