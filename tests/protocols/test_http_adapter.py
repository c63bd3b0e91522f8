"""SwarmHttpAdapter picks the connection and request line requests' adapter picks.

Pure: connection pools are created but never connect.
"""

from __future__ import annotations

import pytest
import requests
from requests.adapters import HTTPAdapter
from requests.exceptions import InvalidURL
from urllib3 import PoolManager

from swarm.protocols.http import SwarmHttpAdapter

URLS = [
    "http://shop.test/products",
    "http://shop.test:8080/search?q=hat#top",
    "https://shop.test/cart",
    "http://[::1]:8080/",
]
PROXIES = [{}, {"http": "http://proxy.test:3128", "https": "http://proxy.test:3128"}]


def prepared(url: str) -> requests.PreparedRequest:
    return requests.Request("GET", url).prepare()


@pytest.mark.parametrize("proxies", PROXIES)
@pytest.mark.parametrize("url", URLS)
def test_the_request_line_is_requests_own(url: str, proxies: dict[str, str]) -> None:
    adapter = SwarmHttpAdapter()
    request = prepared(url)
    assert adapter.request_url(request, proxies) == HTTPAdapter.request_url(
        adapter, request, proxies
    )


@pytest.mark.parametrize("proxies", PROXIES)
@pytest.mark.parametrize("verify", [True, False])
@pytest.mark.parametrize("url", URLS)
def test_the_connection_pool_is_requests_own(
    url: str, verify: bool, proxies: dict[str, str]
) -> None:
    adapter = SwarmHttpAdapter()
    request = prepared(url)
    ours = adapter.get_connection_with_tls_context(request, verify, proxies)
    theirs = HTTPAdapter.get_connection_with_tls_context(adapter, request, verify, proxies)
    assert ours is theirs


def test_an_impossible_port_is_an_invalid_url() -> None:
    request = prepared("http://shop.test:1/")
    request.url = "http://shop.test:99999/"
    with pytest.raises(InvalidURL):
        SwarmHttpAdapter().get_connection_with_tls_context(request, True, {})


def test_a_given_pool_manager_is_shared() -> None:
    shared = PoolManager()
    first, second = SwarmHttpAdapter(pool_manager=shared), SwarmHttpAdapter(pool_manager=shared)
    request = prepared("http://shop.test/")
    assert first.poolmanager is shared
    assert first.get_connection_with_tls_context(
        request, True, {}
    ) is second.get_connection_with_tls_context(request, True, {})
    assert SwarmHttpAdapter().poolmanager is not shared
