"""A streamed response's body, read from its connection only as the caller consumes it.

``Connection.request(..., stream=True)`` returns once the headers are in; the ``Response`` then
carries a ``StreamingBody`` as ``response.stream``. Its body bytes are pulled from the socket by
``iter_chunks``/``read_all`` and decoded from gzip/deflate piece by piece (``StreamDecoder``), so
a large body never has to sit in memory whole.
"""

from __future__ import annotations

import zlib
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING

from swarm.protocols.fast.errors import DecodingError

if TYPE_CHECKING:
    from swarm.protocols.fast.parser import ResponseParser
    from swarm.protocols.fast.response import Response

_GZIP_WBITS = 16 + zlib.MAX_WBITS
_ZLIB_WBITS = zlib.MAX_WBITS
_RAW_DEFLATE_WBITS = -zlib.MAX_WBITS


def _is_zlib_header(first: bytes) -> bool:
    """Whether two bytes open a zlib stream (RFC 1950: method 8, header a multiple of 31)."""
    return first[0] & 0x0F == 8 and (first[0] << 8 | first[1]) % 31 == 0


class _Inflater:
    """One coding undone incrementally; ``deflate`` picks zlib or raw from the first two bytes,
    since some servers send a raw deflate stream where RFC 9110 says zlib-wrapped."""

    __slots__ = ("_held", "_inflater")

    def __init__(self, coding: str) -> None:
        self._held = b""
        self._inflater = zlib.decompressobj(_GZIP_WBITS) if coding != "deflate" else None

    def feed(self, data: bytes) -> bytes:
        if self._inflater is None:
            self._held += data
            if len(self._held) < 2:
                return b""
            wbits = _ZLIB_WBITS if _is_zlib_header(self._held) else _RAW_DEFLATE_WBITS
            self._inflater = zlib.decompressobj(wbits)
            data, self._held = self._held, b""
        return self._inflater.decompress(data)

    def finish(self) -> bytes:
        if self._inflater is None:
            if self._held:
                raise zlib.error("compressed stream ends early")
            return b""
        data = self._inflater.flush()
        if not self._inflater.eof:
            raise zlib.error("compressed stream ends early")
        return data


_INFLATED = {"gzip": "gzip", "x-gzip": "gzip", "deflate": "deflate"}


class StreamDecoder:
    """Undoes ``content_encoding`` on a body fed in pieces, as ``decoding.decode`` does whole.

    Codings are undone in reverse order, stopping at the first unknown one (the rest stays
    encoded); a body of no bytes at all decodes to none. A corrupt or cut stream raises
    ``DecodingError`` from ``feed`` or ``finish``.
    """

    __slots__ = ("_fed", "_stages")

    def __init__(self, content_encoding: str) -> None:
        self._stages: list[_Inflater] = []
        self._fed = False
        codings = [c.strip().lower() for c in content_encoding.split(",") if c.strip()]
        for coding in reversed(codings):
            if coding == "identity":
                continue
            if coding not in _INFLATED:
                break
            self._stages.append(_Inflater(_INFLATED[coding]))

    def feed(self, data: bytes) -> bytes:
        """Decode the next raw bytes; returns what they decode to so far (maybe nothing)."""
        self._fed = self._fed or bool(data)
        try:
            for stage in self._stages:
                data = stage.feed(data)
        except zlib.error as error:
            raise DecodingError(f"cannot decode a streamed body: {error}") from error
        return data

    def finish(self) -> bytes:
        """The last decoded bytes, once the raw body has ended; checks the streams ended too."""
        if not self._fed:
            return b""
        data = b""
        try:
            for stage in self._stages:
                data = stage.feed(data) + stage.finish()
        except zlib.error as error:
            raise DecodingError(f"cannot decode a streamed body: {error}") from error
        return data


class StreamingBody:
    """The body of a streamed response; each byte is handed out once, whichever way it is read
    (``iter_chunks`` and ``read_all`` may be mixed: each continues where the last stopped).

    ``pull()`` is the connection's: it reads more of the response from the socket into
    ``parser`` and raises the client's errors (``IncompleteResponse`` when the connection was
    given to a later request before the body was read). ``release()`` tells the connection the
    rest of the body is not wanted. While the body is read, the response's ``raw_size`` counts
    the raw body bytes so far; it is the full size once ``complete``.
    """

    __slots__ = (
        "_decoder",
        "_done",
        "_offset",
        "_parser",
        "_pending",
        "_pull",
        "_release",
        "_response",
    )

    def __init__(
        self,
        response: Response,
        parser: ResponseParser,
        pull: Callable[[], None],
        release: Callable[[], None],
        decoder: StreamDecoder | None,
    ) -> None:
        self._response = response
        self._parser = parser
        self._pull = pull
        self._release = release
        self._decoder = decoder
        self._done = False
        # Decoded bytes not handed out yet: _pending from _offset on.
        self._pending = b""
        self._offset = 0

    @property
    def complete(self) -> bool:
        """Whether every byte of the body has been handed out (or ``close`` gave it up)."""
        return self._done and self._offset == len(self._pending)

    def iter_chunks(self, size: int | None = None) -> Iterator[bytes]:
        """Yield the rest of the body (decoded when the request asked) as it arrives.

        With ``size``, no piece is longer than ``size`` bytes; without, pieces are as received.
        Raises ``ValueError`` at once for a ``size`` below 1, and the client's errors while
        iterating when the connection fails mid-body.
        """
        if size is not None and size < 1:
            raise ValueError(f"chunk size must be at least 1, not {size}")
        return self._chunks(size)

    def read_all(self) -> bytes:
        """The rest of the body (all of it when nothing was read yet), decoded when asked."""
        return b"".join(self._chunks(None))

    def close(self) -> None:
        """Give up the rest of the body; the connection drops its socket if the body was unread.

        Closing a complete body does nothing.
        """
        self._pending, self._offset = b"", 0
        if not self._done:
            self._done = True
            self._release()

    def _chunks(self, size: int | None) -> Iterator[bytes]:
        while not self.complete:
            if self._offset == len(self._pending):
                self._pending, self._offset = self._next(), 0
                continue
            end = len(self._pending) if size is None else self._offset + size
            piece = self._pending[self._offset : end]
            self._offset += len(piece)
            yield piece

    def _next(self) -> bytes:
        """The next decoded bytes, pulling from the socket once when none are parsed yet."""
        raw = self._parser.take_body()
        if not raw:
            if self._parser.complete:
                self._done = True
                return self._decoder.finish() if self._decoder is not None else b""
            self._pull()
            return b""
        self._response.raw_size += len(raw)
        return self._decoder.feed(raw) if self._decoder is not None else raw
