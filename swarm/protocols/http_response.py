"""The response an ``HttpSession`` returns, and how it decides whether its request failed.

Every response of ``HttpSession.request`` is a ``ResponseContextManager`` (the
``requests.Response`` itself, re-classed in place rather than copied). It reports its request
to the request event exactly once, by the rules in ``swarm.protocols.reporting``.
"""

from __future__ import annotations

from typing import Any

import requests
from requests.exceptions import ConnectionError as RequestsConnectionError
from requests.exceptions import RequestException
from urllib3.exceptions import MaxRetryError, NewConnectionError, ProtocolError

from swarm.event import EventHook
from swarm.protocols.reporting import ReportsOnce, RestBody

# Wrappers around the real cause of a failed connection; the failure is reported as that
# cause (e.g. ConnectionRefusedError) so that failures group by what actually went wrong.
_WRAPPERS = (RequestsConnectionError, ProtocolError, MaxRetryError, NewConnectionError)


def root_cause(error: BaseException) -> BaseException:
    """The innermost cause of a connection failure, unwrapping requests' and urllib3's layers."""
    while isinstance(error, _WRAPPERS) and error.__context__ is not None:
        error = error.__context__
    return error


class ResponseContextManager(ReportsOnce, requests.Response):  # type: ignore[misc]  # __exit__ returns whether the block's exception is swallowed
    """A ``requests.Response`` that reports its request once, usable as a context manager.

    ``error`` is the transport exception of a request that got no response (then
    ``status_code`` is 0 and ``content`` is None). ``request_meta`` holds the keyword
    arguments the request event is fired with.
    """

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
        adopted.arm(request_event, request_meta, catch_response)
        return adopted

    def _root_cause(self, error: BaseException) -> BaseException:
        return root_cause(error)

    def _raise_for_bad_status(self) -> None:
        requests.Response.raise_for_status(self)

    def _status_failure(self) -> BaseException | None:
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


class RestResponseContextManager(RestBody, ResponseContextManager):  # type: ignore[misc]  # as above
    """The response of ``rest()``: ``js`` is the parsed JSON body, or None."""
