"""Undo a response's ``Content-Encoding`` (gzip, deflate or none); pure, no I/O."""

from __future__ import annotations

import zlib
from collections.abc import Callable

from swarm.protocols.fast.errors import DecodingError

#: What the client may offer in ``Accept-Encoding``: exactly the codings ``decode`` undoes.
ACCEPT_ENCODING = "gzip, deflate"

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


def _inflate(body: bytes, wbits: int) -> bytes:
    decompressor = zlib.decompressobj(wbits)
    data = decompressor.decompress(body) + decompressor.flush()
    if not decompressor.eof:
        raise zlib.error("compressed stream ends early")
    return data


def _gunzip(body: bytes) -> bytes:
    return _inflate(body, _GZIP_WBITS)


def _deflate(body: bytes) -> bytes:
    # RFC 9110 says zlib-wrapped, but some servers send a raw deflate stream; browsers accept both.
    try:
        return _inflate(body, _ZLIB_WBITS)
    except zlib.error:
        return _inflate(body, _RAW_DEFLATE_WBITS)


_DECODERS: dict[str, Callable[[bytes], bytes]] = {
    "gzip": _gunzip,
    "x-gzip": _gunzip,
    "deflate": _deflate,
    "identity": bytes,
}


def decode(body: bytes, content_encoding: str | None) -> bytes:
    """Return ``body`` with ``content_encoding`` undone (codings applied in order are undone in
    reverse). An empty body or no encoding returns the body as is; decoding stops at the first
    unknown coding, leaving the rest encoded as requests does; a corrupt stream raises
    ``DecodingError``.
    """
    if not body or not content_encoding:
        return body
    codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
    for coding in reversed(codings):
        decoder = _DECODERS.get(coding)
        if decoder is None:
            return body
        try:
            body = decoder(body)
        except zlib.error as error:
            raise DecodingError(f"cannot decode a {coding} body: {error}") from error
    return body
