"""The envelope: what survives a round trip, and every way a message can be unreadable."""

from __future__ import annotations

import random

import msgpack
import pytest

from swarm.exceptions import ProtocolError
from swarm.rpc.messages import MESSAGE_TYPES, PROTOCOL_VERSION, Message

STATS_LIKE = {
    "entries": [{"name": "/cart", "method": "GET", "histogram": {1024: 3, 2048: 1}}],
    "errors": {"GET /cart 500": 2},
    "ratio": 0.25,
    "raw": b"\x00\xff",
    "nothing": None,
    "flag": True,
    "big": 2**62,
    "text": "é ✓",
}


@pytest.mark.parametrize("kind", sorted(MESSAGE_TYPES))
def test_every_type_round_trips(kind: str) -> None:
    message = Message(kind, STATS_LIKE, "host_0123abcd")
    assert Message.decode(message.encode()) == message


def test_integer_map_keys_survive() -> None:
    # histogram buckets are integer keys: the decoder must not insist on string keys
    decoded = Message.decode(Message("stats", {7: 1, -3: 2}, "w").encode())
    assert decoded.data == {7: 1, -3: 2}


def test_tuples_come_back_as_lists() -> None:
    assert Message.decode(Message("custom", (1, 2), "w").encode()).data == [1, 2]


@pytest.mark.parametrize("data", [{1, 2}, object(), 2**64])
def test_unencodable_data_is_a_protocol_error(data: object) -> None:
    with pytest.raises(ProtocolError, match="cannot encode a 'custom' message"):
        Message("custom", data, "w").encode()


def pack(*envelope: object) -> bytes:
    return msgpack.packb(list(envelope), use_bin_type=True)


GARBAGE = {
    "empty": b"",
    "reserved byte": b"\xc1",
    "truncated": pack(PROTOCOL_VERSION, "heartbeat", {"a": 1}, "w")[:-3],
    "text": b"GET / HTTP/1.1\r\n\r\n",
    "map": msgpack.packb({"type": "heartbeat"}),
    "integer": msgpack.packb(7),
    "three fields": pack(PROTOCOL_VERSION, "heartbeat", None),
    "five fields": pack(PROTOCOL_VERSION, "heartbeat", None, "w", "x"),
    "node id None": pack(PROTOCOL_VERSION, "heartbeat", None, None),
    "node id int": pack(PROTOCOL_VERSION, "heartbeat", None, 5),
    "node id bytes": pack(PROTOCOL_VERSION, "heartbeat", None, b"w"),
    "huge array header": b"\xdd\xff\xff\xff\xff",
    "huge string header": b"\xdb\xff\xff\xff\xff",
}


@pytest.mark.parametrize("raw", GARBAGE.values(), ids=GARBAGE.keys())
def test_garbage_is_a_protocol_error(raw: bytes) -> None:
    with pytest.raises(ProtocolError):
        Message.decode(raw)


@pytest.mark.parametrize("version", [0, PROTOCOL_VERSION + 1, str(PROTOCOL_VERSION), None])
def test_another_version_is_refused_with_advice(version: object) -> None:
    with pytest.raises(ProtocolError, match="same swarm version"):
        Message.decode(pack(version, "heartbeat", None, "w"))


@pytest.mark.parametrize("kind", ["client_ready", "HEARTBEAT", "", 3])
def test_unknown_type_is_refused(kind: object) -> None:
    with pytest.raises(ProtocolError, match="unknown message type"):
        Message.decode(pack(PROTOCOL_VERSION, kind, None, "w"))


def test_oversized_message_is_refused_before_decoding() -> None:
    with pytest.raises(ProtocolError, match="larger than"):
        Message.decode(b"\x00" * (64 * 1024 * 1024 + 1))


def test_random_bytes_never_raise_anything_but_protocol_error() -> None:
    rng = random.Random(20240527)
    valid = Message("heartbeat", {"state": "running", "cpu": 12.5}, "w").encode()
    for _ in range(2000):
        blob = bytearray(valid)
        for _ in range(rng.randint(1, 4)):
            blob[rng.randrange(len(blob))] = rng.randrange(256)
        candidates = [bytes(blob), rng.randbytes(rng.randint(0, 64))]
        for raw in candidates:
            try:
                decoded = Message.decode(raw)
            except ProtocolError:
                continue
            assert decoded.type in MESSAGE_TYPES
            assert isinstance(decoded.node_id, str)
