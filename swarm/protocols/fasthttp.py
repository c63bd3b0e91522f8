"""``FastHttpUser`` and its client, ``FastHttpSession``: HttpUser's API on swarm's own client.

The session speaks requests' dialect (``get/post/...``, ``params``, ``data``, ``json``,
``headers``, ``auth``, ``cookies``, ``allow_redirects``, ``timeout``, ``stream``, plus swarm's
``name``, ``catch_response`` and ``context``) over ``swarm.protocols.fast``: one keep-alive
connection per server per user, cookies in a ``CookieJar``, redirects followed here.

A request never raises for a bad status or a failed connection: it fires the request event once
(a chain of redirects is one request) and returns a ``FastResponse``; one that got no response
has ``status_code`` 0 and ``error`` set. Mistakes in the userfile (an unsupported URL scheme, an
unknown argument, a line break in a header) raise, as they do with ``HttpUser``.

The common case, a path on the user's host with no cookies to send, costs a string join, a
header list and one ``Connection.request``; everything else is paid only when used.
"""

from __future__ import annotations

import re
import time
from collections.abc import Mapping
from typing import Any, ClassVar
from urllib.parse import unquote, urljoin, urlsplit

from swarm.__version__ import __version__
from swarm.event import EventHook
from swarm.exceptions import SwarmError
from swarm.protocols.fast.connection import DEFAULT, Connection
from swarm.protocols.fast.cookies import CookieJar
from swarm.protocols.fast.decoding import ACCEPT_ENCODING
from swarm.protocols.fast.errors import FastHttpError, TransportError
from swarm.protocols.fast.payload import basic_auth, encode_body, with_params
from swarm.protocols.fast.pool import ConnectionPool
from swarm.protocols.fast.response import Response
from swarm.protocols.fast.tls import connection_factory
from swarm.protocols.fasthttp_response import (
    FastRequest,
    FastResponse,
    RestFastResponse,
    StreamedFastResponse,
)
from swarm.protocols.http import NO_HOST_MESSAGE
from swarm.protocols.reporting import RestMethods, UserRestMethods
from swarm.user.users import User, UserEnvironment

_NO_CONTEXT: Mapping[str, Any] = {}
_ABSOLUTE_URL = re.compile(r"^[a-z][a-z0-9+.-]*://", re.IGNORECASE)
_DEFAULT_PORTS = {"http": 80, "https": 443}
_REDIRECTS = frozenset({301, 302, 303, 307, 308})
USER_AGENT = f"swarm/{__version__}"


class TooManyRedirects(FastHttpError):
    """A chain of redirects was longer than the session's ``max_redirects``."""


class _Target:
    """Where a request goes: the pool key, the request target and the path cookies match."""

    __slots__ = ("host", "path", "port", "scheme", "target")

    def __init__(self, scheme: str, host: str, port: int, target: str) -> None:
        self.scheme = scheme
        self.host = host
        self.port = port
        self.target = target
        self.path = target.partition("?")[0]

    @classmethod
    def parse(cls, url: str) -> _Target:
        """The target of an absolute http(s) URL; raises ``SwarmError`` for any other."""
        parts = urlsplit(url)
        scheme = parts.scheme.lower()
        if scheme not in _DEFAULT_PORTS or not parts.hostname:
            raise SwarmError(f"cannot request {url!r}: only http:// and https:// URLs with a host")
        query = f"?{parts.query}" if parts.query else ""
        port = parts.port or _DEFAULT_PORTS[scheme]
        return cls(scheme, parts.hostname, port, (parts.path or "/") + query)


class FastHttpSession(RestMethods):
    """One user's HTTP client on swarm's fast HTTP/1.1 client; fires ``request_event``.

    ``base_url`` is the user's host: a ``url`` that is not absolute is appended to it. Its
    credentials (``http://user:pass@host``) become basic auth. ``headers`` (a dict) are sent with
    every request, under the request's own; ``cookies`` persist across requests; ``auth`` (a
    ``(user, password)`` pair) applies to every request that gives none.

    ``insecure`` skips TLS certificate checks (Locust's FastHttpUser default); ``verify`` (a CA
    bundle path, or False) and ``cert`` (client certificate) refine it. ``network_timeout``
    bounds each wait for the server (connecting included); ``max_redirects`` and
    ``max_retries`` (extra attempts after a transport error) apply to every request.
    """

    rest_response_class = RestFastResponse

    def __init__(
        self,
        base_url: str | None,
        request_event: EventHook,
        user: User | None = None,
        *,
        insecure: bool = True,
        verify: bool | str | None = None,
        cert: str | tuple[str, str] | None = None,
        network_timeout: float | None = 60.0,
        max_redirects: int = 30,
        max_retries: int = 0,
        default_headers: Mapping[str, str] | None = None,
    ) -> None:
        self.request_event = request_event
        self.user = user
        self.max_redirects = max_redirects
        self.max_retries = max_retries
        self.headers: dict[str, str] = {
            "User-Agent": USER_AGENT,
            "Accept-Encoding": ACCEPT_ENCODING,
            "Accept": "*/*",
            **(default_headers or {}),
        }
        self.cookies = CookieJar()
        self.auth: tuple[str, str] | None = None
        self.request_name: str | None = None
        check = (not insecure) if verify is None else verify
        self.pool = ConnectionPool(network_timeout, connection_factory(verify=check, cert=cert))
        self.base_url = ""
        self._base: _Target | None = None
        self._base_connection: Connection | None = None
        self._base_prefix = ""
        if base_url:
            self._set_base(base_url)

    def _set_base(self, base_url: str) -> None:
        parts = urlsplit(base_url)
        if parts.username and parts.password:
            self.auth = (unquote(parts.username), unquote(parts.password))
            base_url = parts._replace(netloc=parts.netloc.rpartition("@")[2]).geturl()
        self.base_url = base_url.rstrip("/")
        self._base = _Target.parse(self.base_url)
        self._base_prefix = self._base.path.rstrip("/")

    def request(
        self,
        method: str,
        url: str,
        name: str | None = None,
        catch_response: bool = False,
        context: Mapping[str, Any] | None = _NO_CONTEXT,
        *,
        params: Any = None,
        data: Any = None,
        json: Any = None,
        headers: Mapping[str, str] | None = None,
        auth: tuple[str, str] | None = None,
        cookies: Mapping[str, str] | None = None,
        allow_redirects: bool = True,
        timeout: float | None = None,
        stream: bool = False,
    ) -> FastResponse:
        """Send one request, fire the request event for it (now, or at the end of the
        with-block with ``catch_response=True``) and return its response.

        The event's ``name`` is ``name``, else the ``url`` argument as given (without
        ``params``, as Locust's FastHttpUser names it); ``response_time`` is the time (ms) until
        the whole body was read, redirects included; ``response_length`` is the decoded body's
        length (with ``stream=True``, the ``Content-Length`` header, or 0 without one).
        """
        start_time = time.time()
        start = time.perf_counter()
        where, full_url = self._where(url)
        if params:
            where.target = with_params(where.target, params)
            full_url = with_params(full_url, params)
        body, content_type = encode_body(data, json) if data or json is not None else (b"", None)
        sent = self._headers(headers, content_type, auth or self.auth)
        if cookies:
            for cookie_name, value in cookies.items():
                self.cookies.set(cookie_name, value, domain=where.host)
        try:
            response = self._send(
                method, where, full_url, sent, body, allow_redirects, timeout, stream
            )
        except FastHttpError as error:
            response = FastResponse(
                None, full_url, FastRequest(method, full_url, sent, body), error
            )
        response.elapsed = elapsed = time.perf_counter() - start
        content = response.content
        if stream:
            length = int(response.headers.get("content-length") or 0)
        else:
            length = len(content) if content is not None else 0
        meta = {
            "request_type": method,
            "name": name or self.request_name or url,
            "response_time": elapsed * 1000,
            "response_length": length,
            "response": response,
            "context": self._context(context),
            "exception": None,
            "start_time": start_time,
            "url": full_url,
        }
        response.arm(self.request_event, meta, catch_response)
        if not catch_response:
            if response.error is not None or response.status_code >= 400:
                meta["exception"] = response._judge()
            self.request_event.fire(**meta)
        return response

    def _where(self, url: str) -> tuple[_Target, str]:
        """The target of ``url`` and its full URL; a path is on the base URL (fast path)."""
        base = self._base
        if _ABSOLUTE_URL.match(url):
            return _Target.parse(url), url
        if base is None:
            raise SwarmError(NO_HOST_MESSAGE)
        if url[:1] != "/":
            url = "/" + url
        target = self._base_prefix + url
        return _Target(base.scheme, base.host, base.port, target), self.base_url + url

    def _headers(
        self, headers: Mapping[str, str] | None, content_type: str | None, auth: Any
    ) -> dict[str, str]:
        """The request's headers: the session's, then the request's (names in any case)."""
        if not headers and content_type is None and auth is None:
            return self.headers
        merged = dict(self.headers)
        if content_type is not None:
            merged["Content-Type"] = content_type
        if auth is not None:
            merged["Authorization"] = basic_auth(*auth)
        if headers:
            lowered = {name.lower(): name for name in merged}
            for name, value in headers.items():
                old = lowered.get(name.lower())
                if old is not None:
                    del merged[old]
                merged[name] = value
        return merged

    def _send(
        self,
        method: str,
        where: _Target,
        url: str,
        headers: dict[str, str],
        body: bytes,
        allow_redirects: bool,
        timeout: float | None,
        stream: bool,
    ) -> FastResponse:
        """The exchange, following redirects; raises ``FastHttpError``."""
        history: list[FastResponse] = []
        while True:
            raw = self._exchange(method, where, headers, body, timeout, stream)
            request = FastRequest(method, url, headers, body)
            location = raw.headers.get("location") if raw.status in _REDIRECTS else None
            if not allow_redirects or location is None:
                kind = FastResponse if raw.stream is None else StreamedFastResponse
                response = kind(raw, url, request)
                response.history = history
                return response
            if raw.stream is not None:
                raw.body = raw.stream.read_all()  # read to its end, the connection is kept
            response = FastResponse(raw, url, request)
            if len(history) >= self.max_redirects:
                raise TooManyRedirects(f"more than {self.max_redirects} redirects from {url}")
            history.append(response)
            url = urljoin(url, location)
            next_where = _Target.parse(url)
            if raw.status == 303 or (raw.status in (301, 302) and method != "HEAD"):
                method = "GET" if method != "HEAD" else method
                body = b""
                headers = {k: v for k, v in headers.items() if k.lower() != "content-type"}
            if next_where.host != where.host and "Authorization" in headers:
                headers = {k: v for k, v in headers.items() if k != "Authorization"}
            where = next_where

    def _exchange(
        self,
        method: str,
        where: _Target,
        headers: dict[str, str],
        body: bytes,
        timeout: Any,
        stream: bool,
    ) -> Response:
        """One request on the pool's connection, with cookies, retried ``max_retries`` times."""
        base = self._base
        on_base = base is not None and (where.scheme, where.host, where.port) == (
            base.scheme,
            base.host,
            base.port,
        )
        connection = self._base_connection if on_base else None
        if connection is None:
            connection = self.pool.get(where.scheme, where.host, where.port)
            if on_base:
                self._base_connection = connection
        pairs: Any = headers.items()
        if len(self.cookies):
            cookie = self.cookies.header(where.host, where.path, where.scheme == "https")
            if cookie is not None:
                pairs = [*pairs, ("Cookie", cookie)]
        limit = DEFAULT if timeout is None else timeout
        attempts = self.max_retries
        while True:
            try:
                raw = connection.request(
                    method, where.target, pairs, body, timeout=limit, stream=stream
                )
                break
            except TransportError:
                if attempts <= 0:
                    raise
                attempts -= 1
        set_cookies = raw.headers.get_all("set-cookie")
        if set_cookies:
            self.cookies.store(set_cookies, where.host, where.path)
        return raw

    def close(self) -> None:
        """Close every connection (the next request opens new ones)."""
        self._base_connection = None
        self.pool.close()

    def __del__(self) -> None:
        # A user that stops drops its session: its sockets close with it, not at exit.
        pool = self.__dict__.get("pool")
        if pool is not None:
            pool.close()

    def get(self, url: str, **kwargs: Any) -> FastResponse:
        """Send a GET request (redirects followed)."""
        return self.request("GET", url, **kwargs)

    def options(self, url: str, **kwargs: Any) -> FastResponse:
        """Send an OPTIONS request (redirects followed)."""
        return self.request("OPTIONS", url, **kwargs)

    def head(self, url: str, **kwargs: Any) -> FastResponse:
        """Send a HEAD request (redirects not followed unless asked)."""
        kwargs.setdefault("allow_redirects", False)
        return self.request("HEAD", url, **kwargs)

    def post(self, url: str, data: Any = None, json: Any = None, **kwargs: Any) -> FastResponse:
        """Send a POST request."""
        return self.request("POST", url, data=data, json=json, **kwargs)

    def put(self, url: str, data: Any = None, **kwargs: Any) -> FastResponse:
        """Send a PUT request."""
        return self.request("PUT", url, data=data, **kwargs)

    def patch(self, url: str, data: Any = None, **kwargs: Any) -> FastResponse:
        """Send a PATCH request."""
        return self.request("PATCH", url, data=data, **kwargs)

    def delete(self, url: str, **kwargs: Any) -> FastResponse:
        """Send a DELETE request."""
        return self.request("DELETE", url, **kwargs)


class FastHttpUser(UserRestMethods, User):
    """A user whose ``client`` is a ``FastHttpSession`` on its ``host``: Locust's FastHttpUser.

    The class attributes configure every user's session, as in Locust: ``network_timeout``
    (seconds per wait for the server), ``connection_timeout`` (accepted; connecting is bounded
    by ``network_timeout``), ``max_redirects``, ``max_retries``, ``insecure`` (skip TLS
    certificate checks), ``default_headers``. ``concurrency`` is accepted for compatibility: a
    user sends one request at a time, so one connection per server is all it uses.
    """

    abstract = True
    network_timeout: float = 60.0
    connection_timeout: float = 60.0
    max_redirects: int = 30
    max_retries: int = 0
    insecure: bool = True
    default_headers: ClassVar[dict[str, str] | None] = None
    concurrency: int = 10
    client: FastHttpSession

    def __init__(self, environment: UserEnvironment) -> None:
        super().__init__(environment)
        if not self.host:
            raise SwarmError(NO_HOST_MESSAGE)
        self.client = FastHttpSession(
            self.host,
            environment.events.request,
            user=self,
            insecure=self.insecure,
            network_timeout=self.network_timeout,
            max_redirects=self.max_redirects,
            max_retries=self.max_retries,
            default_headers=self.default_headers,
        )
