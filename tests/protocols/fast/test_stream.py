"""Streamed responses: the body is read from the socket as it is consumed, decoded on the way."""

from __future__ import annotations

import gzip
import zlib
from collections.abc import Iterator

import pytest
from protocols.fast.raw_server import BIG, RawServer

from swarm.protocols.fast import (
    Connection,
    DecodingError,
    IncompleteResponse,
    Response,
    StreamingBody,
)
from swarm.protocols.fast.decoding import decode
from swarm.protocols.fast.stream import StreamDecoder


@pytest.fixture
def connection(server: RawServer) -> Iterator[Connection]:
    connection = Connection("127.0.0.1", server.port, timeout=5)
    yield connection
    connection.close()


def stream_of(response: Response) -> StreamingBody:
    assert response.stream is not None
    return response.stream


@pytest.mark.parametrize("path", ["/big", "/big-chunked", "/big-until-close"])
def test_streamed_body_arrives_in_pieces_as_it_is_read(connection: Connection, path: str) -> None:
    response = connection.request("GET", path, stream=True)
    stream = stream_of(response)
    assert (response.status, response.body) == (200, b"")
    assert not stream.complete
    pieces = list(stream.iter_chunks(16 * 1024))
    assert b"".join(pieces) == BIG
    assert len(pieces) >= len(BIG) // (16 * 1024)
    assert max(len(piece) for piece in pieces) <= 16 * 1024
    assert stream.complete
    assert response.raw_size == len(BIG)


def test_read_all_after_some_chunks_returns_the_rest(connection: Connection) -> None:
    stream = stream_of(connection.request("GET", "/big", stream=True))
    chunks = stream.iter_chunks(1000)
    first = next(chunks)
    assert first + stream.read_all() == BIG
    assert stream.read_all() == b""


def test_a_stream_read_to_its_end_leaves_the_socket_for_the_next_request(
    connection: Connection, server: RawServer
) -> None:
    stream_of(connection.request("GET", "/big", stream=True)).read_all()
    assert connection.request("GET", "/").body == b"hello"
    assert server.connections == 1


def test_body_until_close_closes_the_socket_once_read(connection: Connection) -> None:
    response = connection.request("GET", "/big-until-close", stream=True)
    assert not response.keep_alive
    stream_of(response).read_all()
    assert not connection.is_open


def test_unread_stream_is_dropped_by_the_next_request(
    connection: Connection, server: RawServer
) -> None:
    stale = stream_of(connection.request("GET", "/big", stream=True))
    assert connection.request("GET", "/").body == b"hello"
    assert server.connections == 2
    with pytest.raises(IncompleteResponse, match="dropped"):
        stale.read_all()


def test_closing_a_stream_drops_its_socket(connection: Connection, server: RawServer) -> None:
    stream = stream_of(connection.request("GET", "/big", stream=True))
    stream.close()
    assert not connection.is_open
    assert stream.read_all() == b""
    assert connection.request("GET", "/").body == b"hello"


def test_gzip_is_decoded_as_it_streams(connection: Connection) -> None:
    response = connection.request("GET", "/big-gzip", stream=True)
    pieces = list(stream_of(response).iter_chunks())
    assert b"".join(pieces) == BIG
    assert len(pieces) > 1
    assert response.raw_size == int(response.headers["content-length"])


def test_decoding_a_stream_can_be_turned_off(connection: Connection) -> None:
    response = connection.request("GET", "/gzip", stream=True, decode_content=False)
    assert gzip.decompress(stream_of(response).read_all()) == b"zipped" * 100


def test_small_and_head_responses_stream_too(connection: Connection) -> None:
    assert stream_of(connection.request("GET", "/chunked", stream=True)).read_all() == (
        b"hello world"
    )
    head = connection.request("HEAD", "/", stream=True)
    assert stream_of(head).read_all() == b""
    assert head.headers["content-length"] == "5"


def test_cut_body_raises_while_streaming(connection: Connection) -> None:
    stream = stream_of(connection.request("GET", "/truncated", stream=True))
    with pytest.raises(IncompleteResponse):
        stream.read_all()
    assert not connection.is_open


def test_chunk_size_below_one_is_refused(connection: Connection) -> None:
    stream = stream_of(connection.request("GET", "/", stream=True))
    with pytest.raises(ValueError, match="at least 1"):
        stream.iter_chunks(0)


# StreamDecoder is pure: fed any split of an encoded body, it gives what decode() gives whole.
TEXT = b"streamed text " * 500


@pytest.mark.parametrize(
    ("encoded", "coding"),
    [
        (gzip.compress(TEXT), "gzip"),
        (zlib.compress(TEXT), "deflate"),
        (zlib.compress(TEXT)[2:-4], "deflate"),  # raw deflate, as some servers send it
        (gzip.compress(zlib.compress(TEXT)), "deflate, gzip"),
        (gzip.compress(TEXT), "gzip, br"),  # stops at the unknown coding, as decode() does
        (TEXT, "identity"),
    ],
)
@pytest.mark.parametrize("piece", [1, 7, 100_000])
def test_stream_decoder_matches_decode(encoded: bytes, coding: str, piece: int) -> None:
    decoder = StreamDecoder(coding)
    out = [decoder.feed(encoded[i : i + piece]) for i in range(0, len(encoded), piece)]
    assert b"".join(out) + decoder.finish() == decode(encoded, coding)


def test_stream_decoder_of_an_empty_body_gives_nothing() -> None:
    assert StreamDecoder("gzip").finish() == b""


@pytest.mark.parametrize(
    ("encoded", "coding"), [(gzip.compress(TEXT)[:-12], "gzip"), (b"\x78", "deflate")]
)
def test_stream_decoder_refuses_a_cut_stream(encoded: bytes, coding: str) -> None:
    decoder = StreamDecoder(coding)
    decoder.feed(encoded)
    with pytest.raises(DecodingError, match="ends early"):
        decoder.finish()


def test_stream_decoder_refuses_corrupt_bytes() -> None:
    with pytest.raises(DecodingError):
        StreamDecoder("gzip").feed(b"\x1f\x8bnot really gzip at all")
