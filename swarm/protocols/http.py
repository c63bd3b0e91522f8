"""HTTP for users: ``HttpSession``, a ``requests.Session`` that reports every request, and
``HttpUser``, a user with one such session as its ``client``.

A request through an ``HttpSession`` never raises for a bad status or a failed connection:
it fires the request event once (a followed chain of redirects is one request) and returns a
``ResponseContextManager`` (see ``swarm.protocols.http_response`` for how a request is judged).
Connection errors and timeouts give a response with ``status_code`` 0 and ``error`` set.
Malformed URLs (``MissingSchema``, ``InvalidSchema``, ``InvalidURL``) are bugs in the userfile,
not failures of the target, and are raised, as in Locust.
"""

from __future__ import annotations

import re
import select
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote, urlparse, urlunparse

import requests
from gevent import monkey
from requests.adapters import HTTPAdapter
from requests.auth import HTTPBasicAuth
from requests.exceptions import InvalidSchema, InvalidURL, MissingSchema, RequestException
from urllib3 import PoolManager
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool

from swarm.event import EventHook
from swarm.exceptions import SwarmError
from swarm.protocols.http_prepare import environment_settings, prepare_request
from swarm.protocols.http_response import ResponseContextManager, RestResponseContextManager
from swarm.protocols.reporting import RestMethods, UserRestMethods
from swarm.user.users import User, UserEnvironment

_original_poll = monkey.get_original("select", "poll")

_ABSOLUTE_URL = re.compile(r"^https?://", re.IGNORECASE)

# Never mutated: the default `context` argument, so that a call without one copies nothing.
_NO_CONTEXT: Mapping[str, Any] = {}

NO_HOST_MESSAGE = (
    "You must specify the base host. Either in the host attribute in the User class, "
    "or on the command line using the --host option."
)


class HttpSession(RestMethods, requests.Session):
    """A ``requests.Session`` that fires ``request_event`` for every request it makes.

    ``url`` arguments may be paths, joined to ``base_url`` (absolute http(s) URLs are used as
    they are). Credentials in ``base_url`` (``http://user:pass@host``) become basic auth.
    Cookies persist across the requests of one session, so one session stands for one user.
    ``rest``/``rest_`` (from ``RestMethods``) send JSON requests judged in a with-block.

    Besides requests' own arguments, every request method takes ``name`` (the label in the
    statistics; default: the requested path with its query string, before any redirect),
    ``catch_response`` (return a response to judge in a with-block) and ``context`` (merged
    over ``user.context()`` into the event's ``context``).
    """

    rest_response_class = RestResponseContextManager

    def __init__(
        self,
        base_url: str | None,
        request_event: EventHook,
        user: User | None = None,
        pool_manager: PoolManager | None = None,
        *args: Any,
        **kwargs: Any,
    ) -> None:
        super().__init__(*args, **kwargs)
        self.base_url = base_url
        self.request_event = request_event
        self.user = user
        self.request_name: str | None = None
        if base_url:
            self._take_credentials(base_url)
        adapter = SwarmHttpAdapter(pool_manager=pool_manager)
        self.mount("https://", adapter)
        self.mount("http://", adapter)

    def _take_credentials(self, base_url: str) -> None:
        parsed = urlparse(base_url)
        if not (parsed.username and parsed.password):
            return
        netloc = parsed.netloc.rpartition("@")[2]
        self.base_url = urlunparse(parsed._replace(netloc=netloc))
        # URL credentials are percent-encoded; the Authorization header carries them raw.
        self.auth = HTTPBasicAuth(unquote(parsed.username), unquote(parsed.password))

    def request(  # type: ignore[override]  # adds Locust's name, catch_response and context
        self,
        method: str,
        url: str | bytes,
        name: str | None = None,
        catch_response: bool = False,
        context: Mapping[str, Any] | None = _NO_CONTEXT,
        **kwargs: Any,
    ) -> ResponseContextManager:
        """Send one request, fire the request event for it (now, or at the end of the
        with-block with ``catch_response=True``) and return its response.

        The event's ``response_time`` is the time (ms) until the body was read (until the
        headers with ``stream=True``); ``response_length`` is the body's length, or with
        ``stream=True`` the Content-Length header (0 without one).
        """
        if not name:
            name = self.request_name
        if isinstance(url, bytes):
            url = url.decode()
        full_url = url if _ABSOLUTE_URL.match(url) else f"{self.base_url}{url}"

        start_time = time.time()
        start = time.perf_counter()
        try:
            response: requests.Response = super().request(method, full_url, **kwargs)
        except (MissingSchema, InvalidSchema, InvalidURL):
            raise
        except RequestException as e:
            response = ResponseContextManager.from_error(e)
        response_time = (time.perf_counter() - start) * 1000

        # Named and located by the request as sent, before any redirect.
        sent = (response.history[0] if response.history else response).request
        if sent is not None:
            full_url = str(sent.url)
            name = name or sent.path_url
        request_meta = {
            "request_type": method,
            "name": name or url,
            "response_time": response_time,
            "response_length": _length(response, kwargs.get("stream")),
            "response": response,
            "context": self._context(context),
            "exception": None,
            "start_time": start_time,
            "url": full_url,
        }
        result = ResponseContextManager.adopt(
            response, self.request_event, request_meta, catch_response
        )
        if not catch_response:
            result.__exit__(None, None, None)
        return result

    def prepare_request(self, request: requests.Request) -> requests.PreparedRequest:
        """requests' own preparation, with fewer Python calls (see ``http_prepare``)."""
        return prepare_request(self, request)

    def merge_environment_settings(
        self, url: Any, proxies: Any, stream: Any, verify: Any, cert: Any
    ) -> Any:
        """requests' own merge of environment settings, short-cut without proxies."""
        return environment_settings(
            self, url, proxies=proxies, stream=stream, verify=verify, cert=cert
        )

    def get(self, url: str | bytes, **kwargs: Any) -> ResponseContextManager:
        """Send a GET request (redirects followed)."""
        kwargs.setdefault("allow_redirects", True)
        return self.request("GET", url, **kwargs)

    def options(self, url: str | bytes, **kwargs: Any) -> ResponseContextManager:
        """Send an OPTIONS request (redirects followed)."""
        kwargs.setdefault("allow_redirects", True)
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str | bytes, **kwargs: Any) -> ResponseContextManager:
        """Send a HEAD request (redirects not followed)."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(
        self, url: str | bytes, data: Any = None, json: Any = None, **kwargs: Any
    ) -> ResponseContextManager:
        """Send a POST request."""
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str | bytes, data: Any = None, **kwargs: Any) -> ResponseContextManager:
        """Send a PUT request."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str | bytes, data: Any = None, **kwargs: Any) -> ResponseContextManager:
        """Send a PATCH request."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str | bytes, **kwargs: Any) -> ResponseContextManager:
        """Send a DELETE request."""
        return self.request("DELETE", url, **kwargs)


def _length(response: requests.Response, stream: object) -> int:
    """The body length; with streaming, the announced one, so the body stays unread."""
    if not stream:
        return len(response.content or b"")
    try:
        return int(response.headers.get("content-length") or 0)
    except ValueError:
        return 0


def _readable_now(sock: Any) -> bool:
    """Whether ``sock`` has something to read (or was closed by the peer), without waiting.

    urllib3 asks this before reusing a kept-alive connection. Under gevent its check builds a
    cooperative poll object and goes through the hub, about 8% of a request's CPU time; a
    zero-timeout poll of the original module gives the same answer without blocking.
    """
    poller = _original_poll()
    poller.register(sock, select.POLLIN)
    return bool(poller.poll(0))


class _QuickCheckHTTPConnection(HTTPConnection):
    @property
    def is_connected(self) -> bool:
        return self.sock is not None and not _readable_now(self.sock)


class _QuickCheckHTTPSConnection(HTTPSConnection):
    @property
    def is_connected(self) -> bool:
        return self.sock is not None and not _readable_now(self.sock)


class _HTTPPool(HTTPConnectionPool):
    ConnectionCls = _QuickCheckHTTPConnection


class _HTTPSPool(HTTPSConnectionPool):
    ConnectionCls = _QuickCheckHTTPSConnection


class SwarmHttpAdapter(HTTPAdapter):
    """requests' adapter, with a connection pool manager that may be shared between users.

    Without proxies for the request, requests' per-request proxy lookup (which parses the URL
    twice) can only find none, so it is skipped; the connection and the request line are the
    ones requests would use.
    """

    def __init__(self, pool_manager: PoolManager | None = None, **kwargs: Any) -> None:
        self._shared_pool_manager = pool_manager
        super().__init__(**kwargs)

    def init_poolmanager(self, *args: Any, **kwargs: Any) -> None:
        if self._shared_pool_manager is None:
            super().init_poolmanager(*args, **kwargs)
            self.poolmanager.pool_classes_by_scheme = {"http": _HTTPPool, "https": _HTTPSPool}
        else:
            self.poolmanager = self._shared_pool_manager

    def get_connection_with_tls_context(
        self,
        request: requests.PreparedRequest,
        verify: Any,
        proxies: Any = None,
        cert: Any = None,
    ) -> Any:
        if proxies:
            return super().get_connection_with_tls_context(request, verify, proxies, cert)
        try:
            host_params, pool_kwargs = self.build_connection_pool_key_attributes(
                request, verify, cert
            )
        except ValueError as e:
            raise InvalidURL(e, request=request) from e
        return self.poolmanager.connection_from_host(**host_params, pool_kwargs=pool_kwargs)

    def request_url(self, request: requests.PreparedRequest, proxies: Any) -> str:
        if proxies:
            return super().request_url(request, proxies)
        return request.path_url


class HttpUser(UserRestMethods, User):
    """A user whose ``client`` is an ``HttpSession`` on its ``host``: one cookie jar and one
    connection pool per user (or ``pool_manager``, shared by every user of the class).

    Creating one without a host (class attribute or ``--host``) raises ``SwarmError``.
    ``rest`` and ``rest_`` are the client's, for Locust's ``self.rest(...)``.
    """

    abstract = True
    #: A urllib3 PoolManager shared by the users of this class; None gives each user its own.
    pool_manager: ClassVar[PoolManager | None] = None
    client: HttpSession

    def __init__(self, environment: UserEnvironment) -> None:
        super().__init__(environment)
        if not self.host:
            raise SwarmError(NO_HOST_MESSAGE)
        self.client = HttpSession(
            base_url=self.host,
            request_event=environment.events.request,
            user=self,
            pool_manager=self.pool_manager,
        )
        # As in Locust: proxies, .netrc and CA bundles from the environment are not read for
        # simulated users, which also spares that lookup on every request.
        self.client.trust_env = False
