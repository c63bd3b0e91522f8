"""Serialise one HTTP/1.1 request to bytes; pure, no I/O.

The connection adds only what HTTP/1.1 requires (``Host``, and ``Content-Length`` when a body is
sent or the method usually carries one); defaults such as ``User-Agent`` or ``Accept-Encoding``
belong to the client layer above.
"""

from __future__ import annotations

from collections.abc import Iterable

#: Methods whose requests say ``Content-Length: 0`` even when empty, as requests and curl do.
_BODY_METHODS = frozenset({"POST", "PUT", "PATCH"})


def host_header(host: str, port: int, default_port: int = 80) -> str:
    """The ``Host`` value for ``host:port``: the port is left out when it is the default, and
    an IPv6 literal is bracketed."""
    name = f"[{host}]" if ":" in host and not host.startswith("[") else host
    return name if port == default_port else f"{name}:{port}"


def encode_request(
    method: str,
    target: str,
    headers: Iterable[tuple[str, str]],
    body: bytes,
    host: str,
) -> bytes:
    """Return the bytes of the request ``method target HTTP/1.1`` with ``headers`` and ``body``.

    ``host`` becomes the ``Host`` header unless ``headers`` has one; ``Content-Length`` is added
    unless given or ``Transfer-Encoding`` is given. Names and values are sent as given, encoded
    as Latin-1 (what HTTP/1.1 allows); a CR or LF in them raises ``ValueError`` because it would
    let a value smuggle a header or a second request.
    """
    fields = [f"{n}: {v}\r\n" for n, v in headers]
    head = f"{method} {target} HTTP/1.1\r\n" + "".join(fields)
    # Exactly the CRLFs put in above, or a value carried its own line break.
    lines = len(fields) + 1
    if head.count("\n") != lines or head.count("\r") != lines:
        raise ValueError(f"a CR or LF inside a request line or header: {head!r}")
    # One lower-cased copy of the head answers "was it given?" for every header at once.
    given = head.lower()
    if "\nhost:" not in given:
        head += f"Host: {host}\r\n"
    if (body or method in _BODY_METHODS) and (
        "\ncontent-length:" not in given and "\ntransfer-encoding:" not in given
    ):
        head += f"Content-Length: {len(body)}\r\n"
    return (head + "\r\n").encode("latin-1") + body
