"""The short-cut preparation gives what requests' own Session gives, for every shape of request.

Pure: requests are prepared, never sent.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import requests
from requests.exceptions import InvalidURL, MissingSchema

from swarm.protocols.http_prepare import environment_settings, prepare_request


def snapshot(prepared: requests.PreparedRequest) -> tuple[Any, ...]:
    cookies = sorted((c.name, c.value, c.domain, c.path) for c in prepared._cookies)  # type: ignore[attr-defined]
    return (
        prepared.method,
        prepared.url,
        list(prepared.headers.items()),
        prepared.body,
        prepared.hooks,
        cookies,
    )


def both(session: requests.Session, request: requests.Request) -> tuple[Any, Any]:
    ours = snapshot(prepare_request(session, request))
    theirs = snapshot(requests.Session.prepare_request(session, request))
    return ours, theirs


def log_response(response: requests.Response, *args: Any, **kwargs: Any) -> None:
    """A response hook (never called: nothing is sent)."""


REQUESTS = [
    {"method": "get", "url": "http://shop.test/products"},
    {"method": "GET", "url": "http://shop.test"},
    {"method": "GET", "url": "  http://shop.test/a b/ü?q=x y#frag"},
    {"method": "GET", "url": "http://bücher.test/"},
    {"method": "GET", "url": "http://shop.test:8080/search", "params": {"q": "hat", "n": None}},
    {"method": "GET", "url": "http://shop.test/search?a=1", "params": [("q", "x"), ("q", "y")]},
    {"method": "GET", "url": "http://shop.test/search", "params": "q=raw"},
    {"method": "GET", "url": "mailto:ann@shop.test"},
    {"method": "POST", "url": "http://shop.test/login", "data": {"username": "ann"}},
    {"method": "POST", "url": "http://shop.test/cart", "json": {"product_id": 3}},
    {"method": "PUT", "url": "http://shop.test/raw", "data": b"\x00\x01"},
    {"method": "DELETE", "url": "http://shop.test/cart"},
    {"method": "GET", "url": "http://shop.test/", "headers": {"accept": "text/html"}},
    {"method": "GET", "url": "http://shop.test/", "headers": {"X-Trace": "1", "Accept": None}},
    {"method": "GET", "url": "http://shop.test/", "cookies": {"session": "override"}},
    {"method": "GET", "url": "http://shop.test/", "auth": ("ann", "pw")},
    {"method": "GET", "url": "http://shop.test/", "hooks": {"response": [log_response]}},
]


def plain_session() -> requests.Session:
    session = requests.Session()
    session.trust_env = False
    return session


def busy_session() -> requests.Session:
    """A session with something of everything: headers (one set to None), params, cookies,
    auth and hooks.
    """
    session = plain_session()
    session.headers["Accept"] = "application/json"
    session.headers["X-Removed"] = None  # type: ignore[assignment]  # None removes a header
    session.params = {"tenant": "a"}
    session.cookies.set("session", "from-session", domain="shop.test", path="/")
    session.cookies.set("other", "1")
    session.auth = ("session-user", "pw")
    session.hooks["response"].append(log_response)
    return session


@pytest.mark.parametrize("make_session", [plain_session, busy_session])
@pytest.mark.parametrize("shape", REQUESTS, ids=lambda s: f"{s['method']} {s['url'][:30]}")
def test_prepared_exactly_as_requests_prepares(make_session: Any, shape: dict[str, Any]) -> None:
    session = make_session()
    ours, theirs = both(session, requests.Request(**shape))
    assert ours == theirs
    again, _ = both(session, requests.Request(**shape))
    assert again == theirs


def test_a_request_cookie_jar_is_merged_as_requests_merges_it() -> None:
    jar = requests.cookies.RequestsCookieJar()
    jar.set("session", "from-jar", domain="shop.test", path="/")
    request = requests.Request("GET", "http://shop.test/", cookies=jar)
    ours, theirs = both(busy_session(), request)
    assert ours == theirs


def test_netrc_credentials_are_used_when_the_environment_is_trusted(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    netrc = tmp_path / "netrc"
    netrc.write_text("machine shop.test login ann password from-netrc\n")
    netrc.chmod(0o600)
    monkeypatch.setenv("NETRC", str(netrc))
    session = requests.Session()
    ours, theirs = both(session, requests.Request("GET", "http://shop.test/"))
    assert ours == theirs
    assert dict(ours[2])["Authorization"].startswith("Basic ")


@pytest.mark.parametrize(
    ("url", "error"),
    [("shop.test/products", MissingSchema), ("http://", InvalidURL), ("http://*.test", InvalidURL)],
)
def test_malformed_urls_fail_as_in_requests(url: str, error: type[Exception]) -> None:
    for _ in range(2):  # the second time, after a (not) remembered first attempt
        with pytest.raises(error):
            prepare_request(plain_session(), requests.Request("GET", url))


@pytest.mark.parametrize(
    ("trust_env", "proxies", "session_proxies"),
    [
        (False, {}, {}),
        (False, {"http": "http://proxy.test:3128"}, {}),
        (False, {}, {"https": "http://proxy.test:3128"}),
        (True, {}, {}),
    ],
)
def test_environment_settings_match_requests(
    trust_env: bool, proxies: dict[str, str], session_proxies: dict[str, str]
) -> None:
    session = requests.Session()
    session.trust_env = trust_env
    session.proxies = session_proxies
    session.verify = False
    url = "http://shop.test/"
    theirs = requests.Session.merge_environment_settings(
        session, url, dict(proxies), None, None, None
    )
    ours = environment_settings(
        session, url, proxies=dict(proxies), stream=None, verify=None, cert=None
    )
    assert ours == dict(theirs)
