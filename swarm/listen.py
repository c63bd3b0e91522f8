"""Opening a listening TCP socket for one of swarm's own servers, with a clear error."""

from __future__ import annotations

import socket

from swarm.exceptions import ConfigError

#: Connections the kernel queues for a server before it accepts them.
LISTEN_BACKLOG = 128


def listening_socket(host: str, port: int, what: str) -> socket.socket:
    """A socket listening on ``host:port`` (port 0: any free one).

    ``*`` (as Locust's ``--web-host`` takes it) and ``""`` mean every IPv4 interface.
    ``ConfigError`` naming ``what`` is served, the address and the reason, with nothing left
    open, when it cannot be bound.
    """
    if host == "*":
        host = ""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    listener = socket.socket(family, socket.SOCK_STREAM)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(LISTEN_BACKLOG)
    except OSError as error:
        listener.close()
        raise ConfigError(
            f"cannot serve {what} on {host or '*'}:{port}: {error.strerror or error}"
        ) from None
    return listener
