"""A user's keep-alive connections, one per server, keyed by ``(scheme, host, port)``.

A swarm user runs one request at a time, so one connection per server is enough: the pool hands
out the same ``Connection`` for every request to that server and never shares it between users.
How a connection is made for a scheme is a seam (``connection_factory``): plain ``http`` is
built in, ``https`` comes with TLS.
"""

from __future__ import annotations

from collections.abc import Callable

from swarm.protocols.fast.connection import Connection

#: ``(scheme, host, port)``: the servers a pool tells apart.
PoolKey = tuple[str, str, int]

#: Makes a connection: ``factory(scheme, host, port, timeout)``.
ConnectionFactory = Callable[[str, str, int, "float | None"], Connection]


def plain_connection(scheme: str, host: str, port: int, timeout: float | None) -> Connection:
    """The default factory: a TCP connection for ``http``; other schemes raise ``ValueError``."""
    if scheme != "http":
        raise ValueError(f"unsupported URL scheme {scheme!r} (only 'http' for now)")
    return Connection(host, port, timeout)


class ConnectionPool:
    """One user's connections; not shared between greenlets.

    ``get(scheme, host, port)`` returns the pool's connection to that server, making it on first
    use with ``timeout``. Scheme and host are compared in lower case, as URLs do.
    """

    def __init__(
        self,
        timeout: float | None = None,
        connection_factory: ConnectionFactory = plain_connection,
    ) -> None:
        self.timeout = timeout
        self._factory = connection_factory
        self._connections: dict[PoolKey, Connection] = {}

    def get(self, scheme: str, host: str, port: int) -> Connection:
        """The connection to ``scheme://host:port``, made on first use."""
        key = (scheme.lower(), host.lower(), port)
        connection = self._connections.get(key)
        if connection is None:
            connection = self._factory(key[0], key[1], port, self.timeout)
            self._connections[key] = connection
        return connection

    def __len__(self) -> int:
        return len(self._connections)

    def close(self) -> None:
        """Close every connection's socket and forget them (a user's on_stop calls this)."""
        connections = list(self._connections.values())
        self._connections.clear()
        for connection in connections:
            connection.close()
