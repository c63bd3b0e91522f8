"""``ConnectionPool``: one kept connection per (scheme, host, port), closed together."""

from __future__ import annotations

import pytest
from protocols.fast.raw_server import RawServer

from swarm.protocols.fast import Connection, ConnectionPool


def test_same_server_gets_the_same_connection() -> None:
    pool = ConnectionPool(timeout=3)
    first = pool.get("http", "Example.com", 80)
    assert pool.get("HTTP", "example.com", 80) is first
    assert first.timeout == 3
    assert pool.get("http", "example.com", 8080) is not first
    assert len(pool) == 2


def test_unknown_scheme_is_refused_by_the_default_factory() -> None:
    with pytest.raises(ValueError, match="'https'"):
        ConnectionPool().get("https", "example.com", 443)


def test_factory_is_the_seam_for_other_schemes() -> None:
    made: list[tuple[str, str, int]] = []

    def factory(scheme: str, host: str, port: int, timeout: float | None) -> Connection:
        made.append((scheme, host, port))
        return Connection(host, port, timeout, default_port=443)

    pool = ConnectionPool(connection_factory=factory)
    assert pool.get("https", "h", 443).host_header == "h"
    assert made == [("https", "h", 443)]


def test_close_closes_every_socket(server: RawServer) -> None:
    pool = ConnectionPool(timeout=5)
    connection = pool.get("http", "127.0.0.1", server.port)
    connection.request("GET", "/")
    assert connection.is_open
    pool.close()
    assert not connection.is_open
    assert len(pool) == 0
