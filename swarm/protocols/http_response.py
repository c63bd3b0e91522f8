"""The response an ``HttpSession`` returns, and how it decides whether its request failed.

Every response of ``HttpSession.request`` is a ``ResponseContextManager`` (the
``requests.Response`` itself, re-classed in place rather than copied). It reports its request
to the request event exactly once:

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
"""

from __future__ import annotations

import os
import traceback
from types import TracebackType
from typing import Any

import requests
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import RequestException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from swarm.event import EventHook
from swarm.exceptions import CatchResponseError, ResponseError, SwarmError

# Wrappers around the real cause of a failed connection; the failure is reported as that
# cause (e.g. ConnectionRefusedError) so that failures group by what actually went wrong.
_WRAPPERS = (RequestsConnectionError, ProtocolError, MaxRetryError, NewConnectionError)

_NOT_ENTERED = (
    "{what}() was called on a response outside a with-block. Use "
    "catch_response=True and a with-block, like this:\n\n"
    "with self.client.get(..., catch_response=True) as response:\n"
    "    response.{what}(...)"
)


def root_cause(error: BaseException) -> BaseException:
    """The innermost cause of a connection failure, unwrapping requests' and urllib3's layers."""
    while isinstance(error, _WRAPPERS) and error.__context__ is not None:
        error = error.__context__
    return error


class ResponseContextManager(requests.Response):
    """A ``requests.Response`` that reports its request once, usable as a context manager.

    ``error`` is the transport exception of a request that got no response (then
    ``status_code`` is 0 and ``content`` is None). ``request_meta`` holds the keyword
    arguments the request event is fired with.
    """

    error: BaseException | None = None
    request_meta: dict[str, Any]
    _request_event: EventHook
    _catch_response: bool = False
    _entered: bool = False
    _manual_result: bool | BaseException | None = None

    @classmethod
    def from_error(cls, error: RequestException) -> ResponseContextManager:
        """A status-0 response standing for a request that failed before any response."""
        response = cls()
        response.error = error
        response.status_code = 0
        response.request = error.request  # type: ignore[assignment]  # None when never sent
        return response

    @classmethod
    def adopt(
        cls,
        response: requests.Response,
        request_event: EventHook,
        request_meta: dict[str, Any],
        catch_response: bool,
    ) -> ResponseContextManager:
        """Turn ``response`` into an instance of ``cls`` in place (no copy) and return it."""
        response.__class__ = cls
        adopted: ResponseContextManager = response  # type: ignore[assignment]  # re-classed above
        adopted._request_event = request_event
        adopted.request_meta = request_meta
        adopted._catch_response = catch_response
        adopted._entered = False
        adopted._manual_result = None
        return adopted

    def __enter__(self) -> ResponseContextManager:
        if not self._catch_response:
            raise SwarmError(
                "To use a with-block on a request, pass catch_response=True to the request."
            )
        self._entered = True
        return self

    def __exit__(  # type: ignore[override]  # returns whether the block's exception is swallowed
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
            requests.Response.raise_for_status(self)

    def _judge(self) -> BaseException | None:
        """The failure of a response nobody marked: transport error or status 400-599."""
        if self.error is not None:
            return root_cause(self.error)
        if self.status_code < 400:
            return None
        # requests puts the URL in the message; the failures table groups by message, so
        # it carries the request's name instead (one row per name, as in Locust).
        url = self.url
        self.url = self.request_meta["name"]
        try:
            requests.Response.raise_for_status(self)
        except RequestException as e:
            return e
        finally:
            self.url = url
        return None

    def _report(self) -> None:
        self._request_event.fire(**self.request_meta)


class RestResponseContextManager(ResponseContextManager):
    """The response of ``rest()``: ``js`` is the parsed JSON body, or None."""

    js: Any = None

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
        return self.text[:200] if self.content else ""


def _where(error: BaseException) -> str:
    """``file:line in function`` for each frame of ``error`` outside this package."""
    here = os.path.dirname(__file__)
    home = os.path.expanduser("~")
    frames = []
    for frame in traceback.extract_tb(error.__traceback__):
        if os.path.dirname(frame.filename) == here:
            continue
        filename = frame.filename
        if home != "/" and filename.startswith(home + os.sep):
            filename = "~" + filename[len(home) :]
        frames.append(f"{filename}:{frame.lineno} in {frame.name}")
    return ", ".join(frames) or "?"
