"""``ResponseParser``, ``encode_request`` and ``decode``: the client's pure parts, no sockets."""

from __future__ import annotations

import gzip
import zlib

import pytest

from swarm.protocols.fast import (
    DecodingError,
    HeadersTooLarge,
    IncompleteResponse,
    MalformedResponse,
)
from swarm.protocols.fast.decoding import decode
from swarm.protocols.fast.parser import ResponseParser
from swarm.protocols.fast.request import encode_request, host_header

CHUNKED = b"HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n"


def test_response_fed_one_byte_at_a_time_completes_on_its_last_byte() -> None:
    parser = ResponseParser()
    done = [parser.feed(CHUNKED[i : i + 1]) for i in range(len(CHUNKED))]
    assert done == [False] * (len(CHUNKED) - 1) + [True]
    assert parser.response().body == b"abcde"
    assert parser.response().keep_alive


@pytest.mark.parametrize(
    ("head", "keep_alive"),
    [
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\n\r\n", True),
        (b"HTTP/1.1 200 OK\r\nContent-Length: 0\r\nConnection: close\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\n\r\n", False),
        (b"HTTP/1.0 200 OK\r\nContent-Length: 0\r\nConnection: keep-alive\r\n\r\n", True),
    ],
)
def test_keep_alive_follows_version_and_connection_header(head: bytes, keep_alive: bool) -> None:
    parser = ResponseParser()
    assert parser.feed(head)
    assert parser.response().keep_alive is keep_alive


def test_body_delimited_by_close_completes_at_eof() -> None:
    parser = ResponseParser()
    assert not parser.feed(b"HTTP/1.1 200 OK\r\n\r\npart")
    assert parser.feed_eof()
    assert parser.response().body == b"part"
    assert not parser.response().keep_alive


def test_eof_before_any_byte_is_not_a_response() -> None:
    assert ResponseParser().feed_eof() is False


@pytest.mark.parametrize(
    "partial",
    [
        b"HTTP/1.1 200 OK\r\nContent-Le",
        b"HTTP/1.1 200 OK\r\nContent-Length: 9\r\n\r\nabc",
        CHUNKED[:-5],
    ],
)
def test_eof_inside_a_framed_response_is_incomplete(partial: bytes) -> None:
    parser = ResponseParser()
    parser.feed(partial)
    with pytest.raises(IncompleteResponse):
        parser.feed_eof()


def test_no_content_status_completes_without_body() -> None:
    parser = ResponseParser()
    assert parser.feed(b"HTTP/1.1 204 No Content\r\n\r\n")
    assert parser.response().status == 204


def test_head_only_completes_after_headers() -> None:
    parser = ResponseParser(head_only=True)
    assert parser.feed(b"HTTP/1.1 200 OK\r\nContent-Length: 10\r\n\r\n")
    assert parser.response().body == b""


@pytest.mark.parametrize(
    "data",
    [b"HTTX/1.1 200 OK\r\n\r\n", b"HTTP/1.1 2x0 OK\r\n\r\n", CHUNKED.replace(b"3\r\n", b"q\r\n")],
)
def test_malformed_bytes_raise(data: bytes) -> None:
    with pytest.raises(MalformedResponse):
        ResponseParser().feed(data)


def test_headers_over_the_limit_raise_even_before_they_end() -> None:
    parser = ResponseParser(max_header_bytes=100)
    with pytest.raises(HeadersTooLarge):
        parser.feed(b"HTTP/1.1 200 OK\r\nX-Big: " + b"a" * 200)


def test_request_gets_host_and_length() -> None:
    data = encode_request("POST", "/p?q=1", [("X-A", "1")], b"body", "example.com:8080")
    assert data == (
        b"POST /p?q=1 HTTP/1.1\r\nX-A: 1\r\nHost: example.com:8080\r\nContent-Length: 4\r\n\r\nbody"
    )


def test_request_keeps_a_given_host_and_sends_no_length_for_empty_get() -> None:
    data = encode_request("GET", "/", [("host", "other")], b"", "example.com")
    assert data == b"GET / HTTP/1.1\r\nhost: other\r\n\r\n"


def test_header_with_a_newline_is_refused() -> None:
    with pytest.raises(ValueError, match="CR or LF"):
        encode_request("GET", "/", [("X-A", "1\r\nX-Injected: 1")], b"", "h")


@pytest.mark.parametrize(
    ("host", "port", "expected"),
    [("a.b", 80, "a.b"), ("a.b", 8080, "a.b:8080"), ("::1", 8080, "[::1]:8080")],
)
def test_host_header(host: str, port: int, expected: str) -> None:
    assert host_header(host, port) == expected


@pytest.mark.parametrize(
    ("encoded", "coding"),
    [
        (gzip.compress(b"data"), "gzip"),
        (zlib.compress(b"data"), "deflate"),
        (zlib.compress(b"data")[2:-4], "Deflate"),  # raw deflate, as some servers send it
        (b"data", "identity"),
        (b"data", None),
        (b"data", "br"),  # unknown codings are left as they are
        (gzip.compress(zlib.compress(b"data")), "deflate, gzip"),
    ],
)
def test_decode(encoded: bytes, coding: str | None) -> None:
    assert decode(encoded, coding) == b"data"


def test_truncated_gzip_is_a_decoding_error() -> None:
    with pytest.raises(DecodingError):
        decode(gzip.compress(b"data" * 100)[:-12], "gzip")
