"""--web-login, --web-base-path and the page: what a browser or a script gets."""

from __future__ import annotations

import base64
from collections.abc import Iterator

import pytest
from web.harness import Web, make_web

from swarm.exceptions import ConfigError
from swarm.web.app import normalize_base_path
from swarm.web.auth import Credentials, matches, parse_credentials


def basic(user: str, password: str) -> dict[str, str]:
    token = base64.b64encode(f"{user}:{password}".encode()).decode()
    return {"Authorization": f"Basic {token}"}


@pytest.fixture
def locked() -> Iterator[Web]:
    yield from make_web(auth_credentials="admin:se:cret")


@pytest.mark.parametrize("path", ["/", "/stats/requests", "/static/app.js", "/nothing"])
def test_every_route_needs_the_login(locked: Web, path: str) -> None:
    reply = locked.client.get(path)
    assert reply.status_code == 401
    assert reply.headers["WWW-Authenticate"].startswith('Basic realm="swarm"')


def test_the_right_credentials_open_every_route(locked: Web) -> None:
    assert (
        locked.client.get("/stats/requests", headers=basic("admin", "se:cret")).status_code == 200
    )
    assert locked.client.get("/", headers=basic("admin", "se:cret")).status_code == 200
    ok = locked.client.post("/stop", headers=basic("admin", "se:cret"))
    assert ok.status_code == 200


@pytest.mark.parametrize(("user", "password"), [("admin", "wrong"), ("root", "se:cret"), ("", "")])
def test_wrong_credentials_are_refused(locked: Web, user: str, password: str) -> None:
    assert locked.client.get("/stats/requests", headers=basic(user, password)).status_code == 401


def test_credentials_split_at_the_first_colon() -> None:
    assert parse_credentials("a:b:c") == Credentials("a", "b:c")
    for bad in ("nocolon", ":password"):
        with pytest.raises(ConfigError, match="USER:PASSWORD"):
            parse_credentials(bad)
    assert matches(Credentials("a", "b"), "a", "b")
    assert not matches(Credentials("a", "b"), "a", None)


@pytest.mark.parametrize(
    ("given", "normal"), [("", ""), ("/", ""), ("swarm", "/swarm"), ("/a/b/", "/a/b")]
)
def test_base_paths_are_normalized(given: str, normal: str) -> None:
    assert normalize_base_path(given) == normal


def test_a_base_path_mounts_everything_under_it() -> None:
    for web in make_web(base_path="/tools/swarm/"):
        assert web.client.get("/tools/swarm/stats/requests").status_code == 200
        static = web.client.get("/tools/swarm/static/app.js")
        static.close()  # a file response: its file stays open until closed
        assert static.status_code == 200
        assert web.client.get("/stats/requests").status_code == 404
        redirect = web.client.get("/tools/swarm")
        assert redirect.status_code in (301, 308)
        assert redirect.headers["Location"].endswith("/tools/swarm/")
        page = web.client.get("/tools/swarm/").get_data(as_text=True)
        assert 'data-base-path="/tools/swarm"' in page
        document = web.client.get("/tools/swarm/api/openapi.json").json
        assert document["servers"] == [{"url": "/tools/swarm"}]


def test_the_page_is_served_with_relative_urls(web: Web) -> None:
    reply = web.client.get("/")
    assert reply.status_code == 200 and reply.mimetype == "text/html"
    page = reply.get_data(as_text=True)
    assert 'data-base-path=""' in page
    assert 'href="/' not in page and 'src="/' not in page
