"""What ``FastHttpSession`` returns: a requests-like response that reports its request once.

``FastResponse`` offers the parts of ``requests.Response`` that load tests use (``status_code``,
``ok``, ``headers``, ``content``, ``text``, ``json()``, ``url``, ``history``, ``request``,
``cookies``, ``raise_for_status()``, ``iter_content()``) over the fast client's ``Response``,
without copying the body. Reporting (``catch_response``, ``success()``, ``failure()``) follows
the rules of ``swarm.protocols.reporting``, the same as ``HttpUser``'s.
"""

from __future__ import annotations

import json as _json
from collections.abc import Iterator, Mapping
from typing import Any

from requests.exceptions import HTTPError
from requests.structures import CaseInsensitiveDict

from swarm.protocols.fast.response import Headers, Response
from swarm.protocols.reporting import ReportsOnce, RestBody, status_error_message

_NO_HEADERS = Headers()


class FastRequest:
    """The request a response answers, as sent: ``method``, ``url``, ``headers``, ``body``."""

    __slots__ = ("_headers", "body", "method", "url")

    def __init__(self, method: str, url: str, headers: Mapping[str, str], body: bytes) -> None:
        self.method = method
        self.url = url
        self._headers = headers
        self.body = body

    @property
    def headers(self) -> CaseInsensitiveDict[str]:
        """The headers sent (but the ``Host``, ``Content-Length`` and ``Cookie`` the client
        adds), looked up without regard to case."""
        return CaseInsensitiveDict(self._headers)

    @property
    def path_url(self) -> str:
        """The path and query of ``url``, as requests' ``PreparedRequest.path_url``."""
        rest = self.url.split("://", 1)[-1]
        slash = rest.find("/")
        return rest[slash:] if slash >= 0 else "/"

    def __repr__(self) -> str:
        return f"<FastRequest [{self.method}] {self.url}>"


class FastResponse(ReportsOnce):
    """One response (or, with ``error`` set and ``status_code`` 0, a request that got none).

    ``content`` is the body decoded from gzip/deflate (None when no response came);
    ``headers`` looks names up without regard to case; ``history`` holds the redirects that led
    here, oldest first; ``elapsed`` is seconds from sending to the end of the body.
    """

    history: list[FastResponse]
    encoding: str | None = None

    def __init__(
        self,
        raw: Response | None,
        url: str,
        request: FastRequest,
        error: BaseException | None = None,
    ) -> None:
        self.url = url
        self.request = request
        self.history = []
        self.elapsed = 0.0
        if raw is None:
            self.status_code = 0
            self.reason = ""
            self.headers = _NO_HEADERS
            self.content: bytes | None = None
            self.error = error
        else:
            self.status_code = raw.status
            self.reason = raw.reason
            self.headers = raw.headers
            self.content = raw.body

    @property
    def ok(self) -> bool:
        """Whether the request got a response with a status below 400."""
        return self.error is None and 0 < self.status_code < 400

    @property
    def text(self) -> str:
        """The body as text, in the charset the ``Content-Type`` names (UTF-8 by default)."""
        if not self.content:
            return ""
        return self.content.decode(self.encoding or self._charset(), errors="replace")

    def json(self, **kwargs: Any) -> Any:
        """The body parsed as JSON (raises ``ValueError`` when it is not JSON)."""
        if self.content is None:
            raise ValueError(f"no response body to parse: {self.error}")
        return _json.loads(self.content, **kwargs)

    @property
    def cookies(self) -> dict[str, str]:
        """The cookies this response set, ``{name: value}``."""
        found: dict[str, str] = {}
        for line in self.headers.get_all("set-cookie"):
            name, equals, value = line.split(";", 1)[0].partition("=")
            if equals and name.strip():
                found[name.strip()] = value.strip()
        return found

    @property
    def is_redirect(self) -> bool:
        return "location" in self.headers and self.status_code in (301, 302, 303, 307, 308)

    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: bool = False
    ) -> Iterator[Any]:
        """The body in pieces of ``chunk_size`` bytes (all of it at once with None)."""
        body = self.content or b""
        size = chunk_size or len(body) or 1
        for start in range(0, len(body), size):
            piece = body[start : start + size]
            yield piece.decode(self._charset(), errors="replace") if decode_unicode else piece

    def _charset(self) -> str:
        content_type = self.headers.get("content-type") or ""
        for parameter in content_type.split(";")[1:]:
            key, _, value = parameter.partition("=")
            if key.strip().lower() == "charset" and value.strip():
                return value.strip().strip('"')
        return "utf-8"

    def _status_failure(self) -> BaseException | None:
        name = self.request_meta["name"]
        message = status_error_message(self.status_code, self.reason, name)
        return HTTPError(message, response=self)  # type: ignore[arg-type]  # not a requests.Response

    def _raise_for_bad_status(self) -> None:
        if self.status_code >= 400:
            message = status_error_message(self.status_code, self.reason, self.url)
            raise HTTPError(message, response=self)  # type: ignore[arg-type]  # as above

    def __bool__(self) -> bool:
        return self.ok

    def __repr__(self) -> str:
        return f"<FastResponse [{self.status_code}]>"


class StreamedFastResponse(FastResponse):
    """The response of a ``stream=True`` request: its body stays on the connection until
    ``content`` (or ``text``, ``json()``) reads it whole, or ``iter_content`` piece by piece.
    A body left unread is dropped by the next request on the same connection."""

    def __init__(self, raw: Response, url: str, request: FastRequest) -> None:
        self._stream = raw.stream
        self._content: bytes | None = None
        super().__init__(raw, url, request)

    @property
    def content(self) -> bytes | None:
        if self._content is None and self._stream is not None:
            self._content = self._stream.read_all()
        return self._content

    @content.setter
    def content(self, value: bytes | None) -> None:
        self._content = value or None  # FastResponse's empty placeholder leaves it unread

    def iter_content(
        self, chunk_size: int | None = 1, decode_unicode: bool = False
    ) -> Iterator[Any]:
        if self._content is not None or self._stream is None:
            yield from super().iter_content(chunk_size, decode_unicode)
            return
        for piece in self._stream.iter_chunks(chunk_size):
            yield piece.decode(self._charset(), errors="replace") if decode_unicode else piece


class RestFastResponse(RestBody, FastResponse):
    """The response of ``FastHttpSession.rest()``: ``js`` is the parsed JSON body, or None."""
