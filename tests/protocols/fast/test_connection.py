"""``Connection`` against a real server on 127.0.0.1: framing, decoding, keep-alive, errors."""

from __future__ import annotations

import socket
from collections.abc import Iterator

import pytest
from protocols.fast.raw_server import RawServer

from swarm.protocols.fast import (
    ConnectError,
    Connection,
    ConnectionClosed,
    DecodingError,
    HeadersTooLarge,
    IncompleteResponse,
    MalformedResponse,
    ReadTimeout,
)


@pytest.fixture
def connection(server: RawServer) -> Iterator[Connection]:
    connection = Connection("127.0.0.1", server.port, timeout=5)
    yield connection
    connection.close()


def test_get_returns_status_headers_and_body(connection: Connection, server: RawServer) -> None:
    response = connection.request("GET", "/")
    assert (response.status, response.reason, response.http_version) == (200, "OK", "1.1")
    assert response.headers["content-length"] == "5"
    assert response.body == b"hello"
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"


def test_requests_reuse_one_socket_while_the_server_allows(
    connection: Connection, server: RawServer
) -> None:
    bodies = [connection.request("GET", "/").body for _ in range(3)]
    assert bodies == [b"hello"] * 3
    assert server.connections == 1
    assert connection.is_open


def test_body_and_headers_reach_the_server(connection: Connection, server: RawServer) -> None:
    response = connection.request("POST", "/echo", [("X-Test", "yes")], b'{"a": 1}')
    assert response.body == b'{"a": 1}'
    assert response.headers["X-Method"] == "POST"
    assert server.requests[0].headers["x-test"] == "yes"
    assert server.requests[0].headers["content-length"] == "8"


def test_chunked_body_is_joined(connection: Connection) -> None:
    assert connection.request("GET", "/chunked").body == b"hello world"
    assert connection.is_open


@pytest.mark.parametrize(("path", "body"), [("/gzip", b"zipped" * 100), ("/deflate", b"deflated")])
def test_compressed_bodies_are_decoded(connection: Connection, path: str, body: bytes) -> None:
    response = connection.request("GET", path)
    assert response.body == body
    assert response.raw_size == int(response.headers["content-length"]) < len(body) + 20


def test_decoding_can_be_turned_off(connection: Connection) -> None:
    response = connection.request("GET", "/gzip", decode_content=False)
    assert response.body[:2] == b"\x1f\x8b"


def test_connection_close_makes_the_next_request_reconnect(
    connection: Connection, server: RawServer
) -> None:
    assert connection.request("GET", "/close").body == b"bye"
    assert not connection.is_open
    assert connection.request("GET", "/").body == b"hello"
    assert server.connections == 2


def test_body_without_length_is_read_until_close(connection: Connection) -> None:
    response = connection.request("GET", "/until-close")
    assert response.body == b"all of it"
    assert not response.keep_alive
    assert not connection.is_open


def test_head_response_ends_after_its_headers(connection: Connection) -> None:
    response = connection.request("HEAD", "/")
    assert response.body == b""
    assert response.headers["content-length"] == "5"
    assert connection.request("GET", "/").body == b"hello"


def test_repeated_headers_are_kept_apart(connection: Connection) -> None:
    headers = connection.request("GET", "/cookies").headers
    assert headers.get_all("set-cookie") == ["a=1", "b=2"]


def test_stale_kept_socket_is_replaced_once(connection: Connection, server: RawServer) -> None:
    connection.request("GET", "/drop-after")  # the server closes without saying so
    assert connection.is_open
    assert connection.request("GET", "/").body == b"hello"
    assert server.connections == 2


def test_close_without_response_on_a_fresh_socket_is_an_error(
    connection: Connection, server: RawServer
) -> None:
    with pytest.raises(ConnectionClosed, match=f"127.0.0.1:{server.port}"):
        connection.request("GET", "/silent-close")
    assert server.connections == 1


def test_close_without_response_is_retried_only_once(
    connection: Connection, server: RawServer
) -> None:
    connection.request("GET", "/")
    with pytest.raises(ConnectionClosed):
        connection.request("GET", "/silent-close")
    assert server.connections == 2


def test_slow_server_raises_read_timeout(server: RawServer) -> None:
    connection = Connection("127.0.0.1", server.port, timeout=0.05)
    with pytest.raises(ReadTimeout):
        connection.request("GET", "/slow")
    assert not connection.is_open


def test_refused_connection_raises_connect_error() -> None:
    with socket.socket() as unused:
        unused.bind(("127.0.0.1", 0))
        port = unused.getsockname()[1]
        with pytest.raises(ConnectError, match="cannot connect"):
            Connection("127.0.0.1", port, timeout=5).request("GET", "/")


@pytest.mark.parametrize(
    ("path", "error"),
    [
        ("/bad-status", MalformedResponse),
        ("/bad-chunk", MalformedResponse),
        ("/truncated", IncompleteResponse),
        ("/huge-headers", HeadersTooLarge),
    ],
)
def test_malformed_responses_raise_and_the_connection_recovers(
    connection: Connection, path: str, error: type[Exception]
) -> None:
    with pytest.raises(error):
        connection.request("GET", path)
    assert not connection.is_open
    assert connection.request("GET", "/").body == b"hello"


def test_corrupt_gzip_raises_decoding_error() -> None:
    from swarm.protocols.fast.decoding import decode

    with pytest.raises(DecodingError, match="gzip"):
        decode(b"\x1f\x8bnot really gzip", "gzip")


def test_many_responses_on_one_socket_each_come_back_whole(
    connection: Connection, server: RawServer
) -> None:
    bodies = [connection.request("GET", path).body for path in ["/", "/chunked", "/", "/gzip"] * 3]
    assert bodies == [b"hello", b"hello world", b"hello", b"zipped" * 100] * 3
    assert server.connections == 1


def test_bytes_after_a_response_are_not_taken_for_the_next_one(
    connection: Connection, server: RawServer
) -> None:
    assert connection.request("GET", "/extra").body == b"asked"
    assert connection.request("GET", "/").body == b"hello"
    assert server.connections == 2  # the server that answered twice was not trusted again
