"""HTTPS for the fast client: a ``ConnectionPool`` factory that opens TLS connections.

``connection_factory(verify=..., cert=...)`` builds one ``ssl.SSLContext`` (building one is
costly: it loads the CA bundle) and every ``https`` connection it makes wraps its TCP socket with
that context; ``http`` connections stay plain. The options mean what they mean in requests:
``verify`` is True (trust the CA bundle requests uses), False (check nothing) or the path of a CA
bundle file or directory; ``cert`` is the client certificate, one file or ``(cert, key)``.
"""

from __future__ import annotations

import os
import socket
import ssl
from functools import cache, partial

import certifi

from swarm.protocols.fast.connection import Connection, open_tcp
from swarm.protocols.fast.errors import TLSError
from swarm.protocols.fast.pool import ConnectionFactory

#: What ``cert`` may be: a file holding certificate and key, or ``(certificate, key)`` files.
ClientCert = str | tuple[str, str]

_HTTPS_PORT = 443


def make_context(verify: bool | str = True, cert: ClientCert | None = None) -> ssl.SSLContext:
    """A client-side context for ``verify`` and ``cert`` (see the module docstring).

    Raises ``OSError`` or ``ssl.SSLError`` when a named file is missing or not PEM.
    """
    if verify is False:
        context = ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT)
        context.check_hostname = False
        context.verify_mode = ssl.CERT_NONE
    elif verify is True:
        context = ssl.create_default_context(cafile=certifi.where())
    elif os.path.isdir(verify):
        context = ssl.create_default_context(capath=verify)
    else:
        context = ssl.create_default_context(cafile=verify)
    # Say so in the handshake: a server that also speaks HTTP/2 must not pick it for us.
    context.set_alpn_protocols(["http/1.1"])
    if isinstance(cert, tuple):
        context.load_cert_chain(*cert)
    elif cert is not None:
        context.load_cert_chain(cert)
    return context


def open_tls(context: ssl.SSLContext, host: str, port: int, timeout: float | None) -> socket.socket:
    """Open a TCP socket to ``host:port`` and complete a TLS handshake for ``host`` over it.

    A failed handshake raises ``TLSError`` naming ``host:port``; a handshake that stalls past
    ``timeout`` raises ``TimeoutError`` and a reset ``OSError``, as connecting does (the
    connection turns those into ``ConnectTimeout`` and ``ConnectError``).
    """
    sock = open_tcp(host, port, timeout)
    try:
        return context.wrap_socket(sock, server_hostname=host)
    except ssl.SSLError as error:
        sock.close()
        raise TLSError(f"{host}:{port}: TLS handshake failed: {error}") from error
    except BaseException:
        sock.close()
        raise


@cache
def connection_factory(
    *, verify: bool | str = True, cert: ClientCert | None = None
) -> ConnectionFactory:
    """A factory for ``ConnectionPool`` that makes ``https`` connections (and plain ``http``).

    One factory per ``(verify, cert)`` in the process: thousands of users share its TLS context
    (about 12 KiB each would be a third of a user's memory). The context is built here, once,
    and shared by every connection the factory makes; a bad
    ``verify`` or ``cert`` file raises here rather than at the first request. Other schemes raise
    ``ValueError`` when a connection is asked for.
    """
    opener = partial(open_tls, make_context(verify, cert))

    def make(scheme: str, host: str, port: int, timeout: float | None) -> Connection:
        if scheme == "https":
            return Connection(host, port, timeout, open_socket=opener, default_port=_HTTPS_PORT)
        if scheme == "http":
            return Connection(host, port, timeout)
        raise ValueError(f"unsupported URL scheme {scheme!r} (only 'http' and 'https')")

    return make
