"""Request arguments to bytes: params, bodies and basic auth, as requests encodes them."""

from __future__ import annotations

import io

import pytest

from swarm.protocols.fast.payload import FORM, JSON, basic_auth, encode_body, with_params


@pytest.mark.parametrize(
    ("target", "params", "expected"),
    [
        ("/s", {"q": "a b", "n": 1}, "/s?q=a+b&n=1"),
        ("/s?x=0", [("t", "1"), ("t", "2")], "/s?x=0&t=1&t=2"),
        ("/s", {"tag": ["a", "b"], "skip": None}, "/s?tag=a&tag=b"),
        ("/s#top", {"q": "1"}, "/s?q=1#top"),
        ("/s", "raw=1&b", "/s?raw=1&b"),
        ("/s", b"x=1", "/s?x=1"),
        ("/s", {}, "/s"),
        ("/s", {"skip": None}, "/s"),
    ],
)
def test_params_extend_the_query(target: str, params: object, expected: str) -> None:
    assert with_params(target, params) == expected


@pytest.mark.parametrize(
    ("data", "json", "expected"),
    [
        (b"\x00raw", None, (b"\x00raw", None)),
        ("é", None, ("é".encode(), None)),
        ({"a": "1", "b": ["x", "y"]}, None, (b"a=1&b=x&b=y", FORM)),
        ([("a", "1")], {"ignored": True}, (b"a=1", FORM)),
        (io.BytesIO(b"file"), None, (b"file", None)),
        (None, {"a": [1, None]}, (b'{"a": [1, null]}', JSON)),
        (None, None, (b"", None)),
    ],
)
def test_bodies_are_encoded_with_their_content_type(
    data: object, json: object, expected: tuple[bytes, str | None]
) -> None:
    assert encode_body(data, json) == expected


def test_json_refuses_what_json_cannot_carry() -> None:
    with pytest.raises(ValueError):
        encode_body(None, {"x": float("nan")})


def test_basic_auth_encodes_utf8_credentials() -> None:
    assert basic_auth("ann", "pw") == "Basic YW5uOnB3"
    assert basic_auth("zoë", b"\xff") == "Basic em/Dqzr/"
