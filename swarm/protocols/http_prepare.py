"""Preparing a request exactly as requests does, for fewer Python calls.

On every request, ``requests.Session`` merges the request's settings with the session's,
building and copying mappings even when one side is empty, and parses the same URL again and
again. That is about a third of the Python calls of a request to a fast target. The functions
here give the same ``PreparedRequest`` and the same settings (``tests/protocols/
test_http_prepare.py`` compares them with requests' own on many shapes of request) while:

* merging headers and parameters only when both sides have some;
* remembering how the last ``URL_CACHE_SIZE`` distinct URLs without parameters were
  prepared (a pure function of the URL string);
* skipping the proxy merge when neither the request, the session nor the environment
  (``trust_env``) can contribute proxies.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping
from http.cookiejar import CookieJar
from typing import Any

import requests
from requests.cookies import RequestsCookieJar, cookiejar_from_dict, merge_cookies
from requests.sessions import merge_hooks, merge_setting
from requests.structures import CaseInsensitiveDict
from requests.utils import get_netrc_auth

URL_CACHE_SIZE = 1024


@functools.lru_cache(maxsize=URL_CACHE_SIZE)
def _prepared_url(url: str) -> str:
    prepared = requests.PreparedRequest()
    prepared.prepare_url(url, None)
    return str(prepared.url)


class CachedPreparedRequest(requests.PreparedRequest):
    """A ``PreparedRequest`` whose URL preparation is looked up for recent URLs."""

    def prepare_url(self, url: Any, params: Any) -> None:
        if params or not isinstance(url, str):
            super().prepare_url(url, params)
        else:
            # Without parameters, the prepared URL depends on the URL string alone.
            self.url = _prepared_url(url)


def prepare_request(
    session: requests.Session, request: requests.Request
) -> requests.PreparedRequest:
    """What ``requests.Session.prepare_request(request)`` returns, prepared for less."""
    jar = merge_cookies(RequestsCookieJar(), session.cookies)
    if request.cookies:
        cookies = request.cookies
        if not isinstance(cookies, CookieJar):
            cookies = cookiejar_from_dict(cookies)
        merge_cookies(jar, cookies)
    auth = request.auth
    if session.trust_env and not auth and not session.auth:
        auth = get_netrc_auth(request.url)
    params = merge_setting(request.params, session.params) if session.params else request.params
    prepared = CachedPreparedRequest()
    prepared.prepare(
        method=str(request.method).upper(),
        url=request.url,
        files=request.files,
        data=request.data,
        json=request.json,
        headers=_merged_headers(request.headers, session.headers),
        params=params,
        auth=merge_setting(auth, session.auth),
        cookies=jar,
        hooks=merge_hooks(request.hooks, session.hooks),
    )
    return prepared


def _merged_headers(request_headers: Any, session_headers: Any) -> Any:
    """The session's headers overridden by the request's, without those set to None.

    Handing the session's own mapping over is safe: ``prepare_headers`` copies it.
    """
    if (
        not request_headers
        and isinstance(session_headers, Mapping)
        and all(value is not None for value in session_headers.values())
    ):
        return session_headers
    return merge_setting(request_headers, session_headers, dict_class=CaseInsensitiveDict)


def environment_settings(
    session: requests.Session,
    url: Any,
    *,
    proxies: Any,
    stream: Any,
    verify: Any,
    cert: Any,
) -> Any:
    """What ``requests.Session.merge_environment_settings`` returns, for less."""
    if session.trust_env or proxies or session.proxies:
        return requests.Session.merge_environment_settings(
            session, url, proxies, stream, verify, cert
        )
    return {
        "proxies": {},
        "stream": merge_setting(stream, session.stream),
        "verify": merge_setting(verify, session.verify),
        "cert": merge_setting(cert, session.cert),
    }
