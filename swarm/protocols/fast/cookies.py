"""A user's cookies, as a browser keeps them (RFC 6265, the parts load tests meet); pure.

``CookieJar.store`` takes a response's ``Set-Cookie`` values for the URL that was requested;
``CookieJar.header`` gives the ``Cookie`` value for the next request to a URL. A jar with no
cookie costs one length check per request, which is the common case of a load test's API calls.

Kept: host-only and ``Domain`` cookies (a domain that does not cover the host is refused),
``Path`` (default: the request path's directory), ``Secure`` (sent over https only),
``Max-Age`` and ``Expires`` (zero or past deletes). Not kept: public-suffix checks, SameSite and
HttpOnly (meaningless without a browser), size limits.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from email.utils import parsedate_to_datetime


@dataclass(slots=True)
class Cookie:
    """One stored cookie. ``domain`` is lower case without a leading dot; ``host_only`` cookies
    go back to exactly that host; ``expires`` is an epoch time or None for a session cookie."""

    name: str
    value: str
    domain: str
    path: str = "/"
    host_only: bool = True
    secure: bool = False
    expires: float | None = None


def _domain_matches(host: str, domain: str) -> bool:
    return host == domain or (host.endswith("." + domain) and not host[-1].isdigit())


def _path_matches(path: str, cookie_path: str) -> bool:
    if cookie_path in (path, "/"):
        return True
    if not path.startswith(cookie_path):
        return False
    return cookie_path.endswith("/") or path[len(cookie_path)] == "/"


def _default_path(path: str) -> str:
    directory = path.split("?", 1)[0].rpartition("/")[0]
    return directory if directory.startswith("/") else "/"


class CookieJar:
    """The cookies of one user, keyed by ``(domain, path, name)``.

    Besides ``store``/``header`` (used by the client), it reads like requests' jar for user
    code: ``jar["name"]``, ``jar.get("name")``, ``"name" in jar``, ``jar.get_dict()``,
    ``jar.set(name, value, domain=..., path=...)``, ``jar.clear()``. ``clock`` gives the epoch
    time expiry is checked against.
    """

    def __init__(self, clock: Callable[[], float] = time.time) -> None:
        self._cookies: dict[tuple[str, str, str], Cookie] = {}
        self._clock = clock

    def store(self, set_cookies: list[str], host: str, path: str) -> None:
        """Keep (or delete) the cookies of ``Set-Cookie`` values received from ``host``."""
        host = host.lower()
        for line in set_cookies:
            cookie = self._parse(line, host, path)
            if cookie is None:
                continue
            key = (cookie.domain, cookie.path, cookie.name)
            if cookie.expires is not None and cookie.expires <= self._clock():
                self._cookies.pop(key, None)
            else:
                self._cookies[key] = cookie

    def header(self, host: str, path: str, secure: bool) -> str | None:
        """The ``Cookie`` value for a request to ``host`` + ``path``, or None when none apply.

        Longer paths come first, as browsers send them; expired cookies are dropped here.
        """
        if not self._cookies:
            return None
        host = host.lower()
        now = self._clock()
        chosen: list[Cookie] = []
        for key, cookie in list(self._cookies.items()):
            if cookie.expires is not None and cookie.expires <= now:
                del self._cookies[key]
                continue
            if cookie.secure and not secure:
                continue
            if cookie.host_only:
                if host != cookie.domain:
                    continue
            elif cookie.domain and not _domain_matches(host, cookie.domain):
                continue  # (a cookie set by user code without a domain goes to every host)
            if _path_matches(path, cookie.path):
                chosen.append(cookie)
        if not chosen:
            return None
        chosen.sort(key=lambda c: len(c.path), reverse=True)
        return "; ".join(f"{c.name}={c.value}" for c in chosen)

    def _parse(self, line: str, host: str, request_path: str) -> Cookie | None:
        first, *attributes = line.split(";")
        name, equals, value = first.partition("=")
        name = name.strip()
        if not equals or not name:
            return None
        cookie = Cookie(name, value.strip(), host, _default_path(request_path))
        max_age: float | None = None
        for attribute in attributes:
            key, _, raw = attribute.partition("=")
            key, raw = key.strip().lower(), raw.strip()
            if key == "domain" and raw:
                domain = raw.lstrip(".").lower()
                if not _domain_matches(host, domain):
                    return None  # a site may not set cookies for another one
                cookie.domain, cookie.host_only = domain, False
            elif key == "path" and raw.startswith("/"):
                cookie.path = raw
            elif key == "secure":
                cookie.secure = True
            elif key == "max-age":
                max_age = _max_age(raw)
            elif key == "expires" and cookie.expires is None:
                cookie.expires = _expires(raw)
        if max_age is not None:  # Max-Age wins over Expires
            cookie.expires = self._clock() + max_age
        return cookie

    # -- requests-like reading and writing for user code -----------------------------------

    def set(self, name: str, value: str, *, domain: str = "", path: str = "/") -> None:
        """Set a cookie; without ``domain`` it goes to every host (as requests' ``set``)."""
        domain = domain.lstrip(".").lower()
        self._cookies[(domain, path, name)] = Cookie(name, value, domain, path, host_only=False)

    def get(self, name: str, default: str | None = None) -> str | None:
        """The value of the first cookie called ``name`` (any domain or path), or ``default``."""
        for cookie in self._cookies.values():
            if cookie.name == name:
                return cookie.value
        return default

    def get_dict(self) -> dict[str, str]:
        """Every cookie as ``{name: value}`` (a name kept for several paths appears once)."""
        return {cookie.name: cookie.value for cookie in self._cookies.values()}

    def clear(self) -> None:
        """Forget every cookie."""
        self._cookies.clear()

    def __getitem__(self, name: str) -> str:
        value = self.get(name)
        if value is None:
            raise KeyError(name)
        return value

    def __setitem__(self, name: str, value: str) -> None:
        self.set(name, value)

    def __contains__(self, name: object) -> bool:
        return any(cookie.name == name for cookie in self._cookies.values())

    def __iter__(self) -> Iterator[Cookie]:
        return iter(list(self._cookies.values()))

    def __len__(self) -> int:
        return len(self._cookies)

    def __repr__(self) -> str:
        return f"<CookieJar {self.get_dict()!r}>"


def _max_age(raw: str) -> float | None:
    try:
        return float(int(raw))
    except ValueError:
        return None


def _expires(raw: str) -> float | None:
    try:
        return parsedate_to_datetime(raw).timestamp()
    except (TypeError, ValueError, IndexError, OverflowError):
        return None
