"""How an HTTP response reports its request, shared by ``HttpUser``'s and ``FastHttpUser``'s.

Both clients return responses that report their request to the request event exactly once:

* without ``catch_response``, at once, judged by its status;
* with ``catch_response=True``, when its ``with`` block exits, where user code may have
  called ``success()`` or ``failure(...)`` first.

The rules for the end of a ``with`` block (Locust's, kept for drop-in compatibility):

1. ``success()`` or ``failure(...)`` was called: that decides, and an exception raised in
   the block propagates after the report.
2. Otherwise, a ``ResponseError`` raised in the block is the failure, and is swallowed.
3. Otherwise, any other exception propagates and the request is *not* reported.
4. Otherwise (no exception), the response is judged: a transport error (status 0) or a
   status of 400-599 is a failure, anything else a success.

``ReportsOnce`` holds those rules, ``RestBody`` the JSON handling of ``rest()``, and
``RestMethods`` the ``rest``/``rest_`` methods built on a client's ``request`` (and, from
``RequestNaming``, ``rename_request``). Each client's
response class adds what differs: how the body is read and how a bad status is described.
"""

from __future__ import annotations

import os
import time
import traceback
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from types import TracebackType
from typing import Any

from swarm.event import EventHook
from swarm.exceptions import CONTROL_FLOW, CatchResponseError, ResponseError, SwarmError

_JSON = "application/json"
_NO_CONTEXT: Mapping[str, Any] = {}

_NOT_ENTERED = (
    "{what}() was called on a response outside a with-block. Use "
    "catch_response=True and a with-block, like this:\n\n"
    "with self.client.get(..., catch_response=True) as response:\n"
    "    response.{what}(...)"
)


def status_error_message(status: int, reason: str, name: str) -> str:
    """The failure message of a 4xx/5xx response, as requests words it, naming the request
    by its statistics name (the failures table groups by message: one row per name)."""
    kind = "Client" if status < 500 else "Server"
    return f"{status} {kind} Error: {reason} for url: {name}"


class ReportsOnce:
    """The reporting half of a response: ``with``-block rules, ``success()``, ``failure()``.

    A client sets ``_request_event``, ``request_meta`` (the request event's keyword arguments),
    ``_catch_response``, ``_entered`` and ``_manual_result`` on each response (``arm``). The
    class using it provides ``error``, ``status_code``, ``_root_cause(error)`` and
    ``_status_failure()`` (the exception a 4xx/5xx status stands for).
    """

    error: BaseException | None = None
    status_code: int
    request_meta: dict[str, Any]
    _request_event: EventHook
    _catch_response: bool = False
    _entered: bool = False
    _manual_result: bool | BaseException | None = None

    def arm(
        self, request_event: EventHook, request_meta: dict[str, Any], catch_response: bool
    ) -> None:
        """Make this response the reporter of the request described by ``request_meta``."""
        self._request_event = request_event
        self.request_meta = request_meta
        self._catch_response = catch_response
        self._entered = False
        self._manual_result = None

    def __enter__(self) -> Any:
        if not self._catch_response:
            raise SwarmError(
                "To use a with-block on a request, pass catch_response=True to the request."
            )
        self._entered = True
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> bool:
        """Report the request by the rules in this module's docstring."""
        if self._manual_result is not None:
            manual = self._manual_result
            self.request_meta["exception"] = None if manual is True else manual
            self._report()
            return exc_type is None
        if exc_type is not None:
            if not isinstance(exc, ResponseError):
                return False
            self.request_meta["exception"] = exc
        else:
            self.request_meta["exception"] = self._judge()
        self._report()
        return True

    def success(self) -> None:
        """Mark the request as a success, whatever its status (only inside the with-block)."""
        if not self._entered:
            raise SwarmError(_NOT_ENTERED.format(what="success"))
        self._manual_result = True

    def failure(self, exc: object) -> None:
        """Mark the request as failed with ``exc``; a non-exception becomes its message."""
        if not self._entered:
            raise SwarmError(_NOT_ENTERED.format(what="failure"))
        if not isinstance(exc, BaseException):
            exc = CatchResponseError(exc)
        self._manual_result = exc

    def raise_for_status(self) -> None:
        """Raise the failure this response stands for, counting ``success``/``failure`` calls."""
        manual = self._manual_result
        if isinstance(manual, BaseException):
            raise manual
        if manual is None:
            if self.error is not None:
                raise self.error
            self._raise_for_bad_status()

    def _judge(self) -> BaseException | None:
        """The failure of a response nobody marked: transport error or status 400-599."""
        if self.error is not None:
            return self._root_cause(self.error)
        if self.status_code < 400:
            return None
        return self._status_failure()

    def _root_cause(self, error: BaseException) -> BaseException:
        return error

    def _status_failure(self) -> BaseException | None:
        raise NotImplementedError

    def _raise_for_bad_status(self) -> None:
        raise NotImplementedError

    def _report(self) -> None:
        self._request_event.fire(**self.request_meta)


class RestBody(ReportsOnce):
    """The response of ``rest()``: ``js`` is the parsed JSON body, or None.

    The class using it provides ``content`` (None when no response came), ``text`` and
    ``json()``.
    """

    js: Any = None
    content: Any
    text: Any
    json: Callable[..., Any]

    def parse_json(self) -> None:
        """Set ``js`` from the body; mark the request failed if there is no JSON to parse."""
        self.js = None
        if self.content is None:
            self.failure(str(self.error))
            return
        text = self.text
        if not text:
            return
        try:
            self.js = self.json()
        except ValueError as e:
            self.failure(
                f"Could not parse response as JSON. {text[:250]}, "
                f"response code {self.status_code}, error {e}"
            )

    def fail_from_block(self, error: Exception) -> None:
        """Mark the request failed by an exception that escaped the user's ``rest`` block.

        An ``assert cond, "message"`` gives "message"; a message ending in "," gets the start
        of the response body appended ("message, response was ..."). Any other exception gives
        its type, message and where it was raised, and the start of the body.
        """
        if isinstance(error, AssertionError):
            self.failure(self._assertion_message(error))
            return
        self.failure(
            f"{type(error).__name__}: {error} at {_where(error)}. Response was {self._body_start()}"
        )

    def _assertion_message(self, error: AssertionError) -> str:
        if not error.args:
            return "Assertion failed"
        message = str(error.args[0])
        if message.endswith(","):
            return f"{message[:-1]}, response was {self._body_start()}"
        return message

    def _body_start(self) -> str:
        return str(self.text[:200]) if self.content else ""


class RequestNaming:
    """How a client's requests are named and what context they carry: ``request_name`` and
    ``rename_request`` (a name for every request made in a block), and ``_context``."""

    #: The name that requests without ``name=`` get, set by ``rename_request``.
    request_name: str | None = None
    #: The user whose ``context()`` every request's event carries (None: no user).
    user: Any = None

    def _context(self, context: Mapping[str, Any] | None) -> dict[str, Any]:
        """The event's ``context``: ``context`` merged over the user's ``context()``."""
        if self.user is not None:
            return {**self.user.context(), **(context or _NO_CONTEXT)}
        return dict(context or _NO_CONTEXT)

    @contextmanager
    def rename_request(self, name: str) -> Iterator[None]:
        """Name every request made inside the block ``name`` (unless it passes ``name=``)."""
        self.request_name = name
        try:
            yield
        finally:
            self.request_name = None


class RestMethods(RequestNaming):
    """``rest`` and ``rest_`` for a client whose ``request`` takes ``catch_response`` and
    ``headers``; ``rest_response_class`` is the ``RestBody`` class its responses become."""

    rest_response_class: type[RestBody]
    request: Callable[..., Any]

    @contextmanager
    def rest(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        """A JSON request judged in a with-block: ``with client.rest("POST", "/x", json=...)``.

        ``Content-Type`` and ``Accept`` default to ``application/json``; the response's ``js``
        is its parsed JSON body (None for an empty or non-JSON body, which marks the request
        failed). An exception raised in the block (an ``assert`` included) marks the request
        failed with a message saying what and where, instead of ending the task; swarm's
        control-flow signals (``StopUser``, ...) pass through.
        """
        headers = dict(headers) if headers else {}
        if "Content-Type" not in headers and "content-type" not in headers:
            headers["Content-Type"] = _JSON
        if "Accept" not in headers and "accept" not in headers:
            headers["Accept"] = _JSON
        with self.request(method, url, catch_response=True, headers=headers, **kwargs) as r:
            r.__class__ = self.rest_response_class
            response: RestBody = r
            response.parse_json()
            try:
                yield response
            except CONTROL_FLOW:
                raise
            except Exception as e:
                response.fail_from_block(e)

    @contextmanager
    def rest_(self, method: str, url: str, name: str | None = None, **kwargs: Any) -> Iterator[Any]:
        """``rest`` with a ``_=<epoch ms>`` query parameter, to get past caches.

        The request is named ``url`` followed by ``_=...`` unless ``name`` is given.
        """
        separator = "&" if "?" in url else "?"
        if name is None:
            name = f"{url}{separator}_=..."
        stamped = f"{url}{separator}_={int(time.time() * 1000)}"
        with self.rest(method, stamped, name=name, **kwargs) as response:
            yield response


class UserRestMethods:
    """``self.rest(...)`` and ``self.rest_(...)`` on a user, as in Locust: its client's."""

    client: Any

    @contextmanager
    def rest(
        self, method: str, url: str, headers: Mapping[str, str] | None = None, **kwargs: Any
    ) -> Iterator[Any]:
        """``self.client.rest(...)``: a JSON request judged in a with-block."""
        with self.client.rest(method, url, headers=headers, **kwargs) as response:
            yield response

    @contextmanager
    def rest_(self, method: str, url: str, name: str | None = None, **kwargs: Any) -> Iterator[Any]:
        """``self.client.rest_(...)``: ``rest`` with a cache-busting ``_=`` parameter."""
        with self.client.rest_(method, url, name=name, **kwargs) as response:
            yield response


def _where(error: BaseException) -> str:
    """``file:line in function`` for each frame of ``error`` outside swarm's protocols."""
    here = os.path.dirname(__file__)
    home = os.path.expanduser("~")
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.dirname(frame.filename).startswith(here):
            continue
        filename = frame.filename
        if home != "/" and filename.startswith(home + os.sep):
            filename = "~" + filename[len(home) :]
        frames.append(f"{filename}:{frame.lineno} in {frame.name}")
    return ", ".join(frames) or "?"
