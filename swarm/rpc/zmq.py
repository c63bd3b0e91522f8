"""The real transport: a ZeroMQ ROUTER on the master, a DEALER on every worker.

Both ends use ``zmq.green``, so a blocked ``recv`` parks only its greenlet. Frames on the
wire: a worker sends ``[payload]``; the master's ROUTER sees ``[identity, payload]``, the
identity being the worker's node id (utf-8), and replies the same way. ``payload`` is a
``Message`` envelope (``swarm.rpc.messages``).

Choices that matter to runners:

- ``ROUTER_HANDOVER``: a worker reconnecting with its id takes over its old connection at
  once, even if the master has not noticed the old one died.
- Sends never block and never raise for network reasons: a message to an unknown worker, or
  beyond a queue's high-water mark, is dropped (logged at debug). A worker's messages wait in
  its queue while the master is away, and go out when ZeroMQ reconnects by itself.
- Every refused handshake is made visible: the master logs it (``swarm.rpc.secret``), a
  worker logs an ERROR once and sets ``ZmqClient.refused``.
- ``recv`` on a closed transport raises ``RPCReceiveError``.
"""

from __future__ import annotations

import errno
import logging
import resource
import socket as stdlib_socket
from collections import deque
from collections.abc import Callable

import gevent
import zmq
import zmq.green as zmq_green
from gevent.event import Event
from zmq.utils.monitor import recv_monitor_message

from swarm.exceptions import ConfigError, ProtocolError, RPCReceiveError
from swarm.rpc.messages import Message
from swarm.rpc.secret import (
    RefusalLog,
    ZapAuthenticator,
    configure_client,
    configure_server,
    derive_keys,
    log_refusal,
    master_refusal_reason,
    worker_refusal_text,
)

logger = logging.getLogger(__name__)

# Same bound as Message.decode: libzmq drops a peer announcing a larger frame before
# allocating it, so a garbage length cannot cost the master memory.
MAX_MESSAGE_BYTES = 64 * 1024 * 1024

_KEEPALIVE: dict[int, int] = {
    # dead peers behind NATs and pulled cables are found by the heartbeats; keepalive keeps
    # idle connections open through middleboxes and frees the sockets of vanished peers
    zmq.TCP_KEEPALIVE: 1,
    zmq.TCP_KEEPALIVE_IDLE: 30,
    zmq.TCP_KEEPALIVE_INTVL: 10,
    zmq.TCP_KEEPALIVE_CNT: 6,
}
_SERVER_OPTIONS: dict[int, int] = {
    zmq.LINGER: 0,
    zmq.ROUTER_HANDOVER: 1,
    # unknown ids raise EHOSTUNREACH instead of vanishing, so the drop can be logged
    zmq.ROUTER_MANDATORY: 1,
    # per worker: minutes of its traffic; a fuller queue means the worker is gone or stuck
    zmq.SNDHWM: 200,
    zmq.RCVHWM: 200,
    zmq.MAXMSGSIZE: MAX_MESSAGE_BYTES,
    **_KEEPALIVE,
}
_CLIENT_OPTIONS: dict[int, int] = {
    zmq.LINGER: 0,
    # about a minute of heartbeats and reports while the master is away: later ones are
    # dropped, and a master coming back is not flooded with stale ones
    zmq.SNDHWM: 100,
    zmq.RCVHWM: 1000,
    zmq.MAXMSGSIZE: MAX_MESSAGE_BYTES,
    zmq.RECONNECT_IVL: 100,
    # back off to one attempt a second while the master is down
    zmq.RECONNECT_IVL_MAX: 1000,
    **_KEEPALIVE,
}

_NOBLOCK = int(zmq.NOBLOCK)  # plain ints: pyzmq's enum flags cost a call per use
_SNDMORE_NOBLOCK = int(zmq.SNDMORE | zmq.NOBLOCK)
#: Seconds a woken reader waits for more messages to take them in one batch.
_COALESCE = 0.001
#: At most this many messages are taken from ZeroMQ at once (the rest wait their turn).
_BATCH = 256
#: The longest a waiting reader trusts the descriptor's edge alone before it looks itself (s).
_RECHECK = 0.5

_BIND_HINTS = {
    errno.EADDRINUSE: "is another master running? (--master-bind-port)",
    errno.EACCES: "ports below 1024 need privileges (--master-bind-port)",
}
_DEFAULT_BIND_HINT = "is it an address of this machine? (--master-bind-host)"
_HANDSHAKE_FAILED = (
    zmq.EVENT_HANDSHAKE_FAILED_AUTH
    | zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
    | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
)


def _endpoint(host: str, port: int | str) -> tuple[str, bool]:
    """``tcp://host:port`` and whether it needs IPv6; "" and "*" mean every interface."""
    host = host or "*"
    if ":" in host and not host.startswith("["):
        return f"tcp://[{host}]:{port}", True
    return f"tcp://{host}:{port}", host.startswith("[")


def _configure(socket: zmq.Socket, options: dict[int, int], ipv6: bool) -> None:
    for option, value in options.items():
        socket.setsockopt(option, value)
    if ipv6:
        socket.setsockopt(zmq.IPV6, 1)


class _Monitor:
    """A greenlet passing the ``events`` of ``socket`` to ``handle(event, value)``."""

    def __init__(self, socket: zmq.Socket, events: int, handle: Callable[[int, int], None]):
        self._socket = socket
        self._pair = socket.get_monitor_socket(events)
        self._handle = handle
        self._greenlet = gevent.spawn(self._run)

    def _run(self) -> None:
        while True:
            event = recv_monitor_message(self._pair)
            self._handle(event["event"], event["value"])

    def close(self) -> None:
        self._greenlet.kill()
        self._socket.disable_monitor()
        self._pair.close(linger=0)


class ZmqServer:
    """The master's end: a ROUTER listening on ``bind_host:port`` (port 0: any free port).

    With ``secret``, only workers holding the same secret get through (CURVE, see
    ``swarm.rpc.secret``). ``ConfigError`` when the address cannot be bound. ``port`` is the
    bound port.
    """

    def __init__(self, bind_host: str, port: int, secret: str | None = None) -> None:
        self.bind_host = bind_host or "*"
        self._has_secret = bool(secret)
        self._refusals = RefusalLog()
        self._closed = False
        self._context = zmq_green.Context()
        self._context.setsockopt(zmq.LINGER, 0)
        keys = derive_keys(secret) if secret else None
        # before anything can connect: a CURVE server without a ZAP handler admits anyone
        self._zap = ZapAuthenticator(self._context, keys.client_public) if keys else None
        self._socket = self._context.socket(zmq.ROUTER)
        # The hot path bypasses zmq.green: a plain socket object over the same libzmq socket,
        # drained in batches without blocking, and one watcher on its file descriptor. Green
        # sockets re-check their state after every frame, which was a fifth of a busy master.
        self._raw: zmq.Socket[bytes] = zmq.Socket.shadow(self._socket.underlying)
        self._inbox: deque[list[bytes]] = deque()
        self._watcher = gevent.get_hub().loop.io(self._raw.getsockopt(zmq.FD), 1)
        self._wakeup: Event | None = None
        endpoint, ipv6 = _endpoint(self.bind_host, port)
        _configure(self._socket, _SERVER_OPTIONS, ipv6)
        if keys:
            configure_server(self._socket, keys)
        events = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL | zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL
        self._monitor = _Monitor(self._socket, events, self._on_handshake_failed)
        try:
            self._socket.bind(endpoint)
        except zmq.ZMQError as error:
            self.close()
            reason = zmq.strerror(error.errno or 0)
            hint = _BIND_HINTS.get(error.errno or 0, _DEFAULT_BIND_HINT)
            raise ConfigError(
                f"cannot listen on {self.bind_host}:{port}: {reason} — {hint}"
            ) from None
        self.port = int(self._socket.getsockopt_string(zmq.LAST_ENDPOINT).rsplit(":", 1)[1])

    def _on_handshake_failed(self, event: int, value: int) -> None:
        reason = master_refusal_reason(self._has_secret, event, value)
        if reason is None:
            logger.debug("a handshake failed with protocol error %#x", value)
        else:
            # ZeroMQ does not say who failed here: only the ZAP handler learns addresses
            log_refusal(self._refusals, None, reason)

    def send_to(self, node_id: str, message: Message) -> None:
        """Send ``message`` to ``node_id``; dropped if that worker is unknown or its queue full.

        ``ProtocolError`` only when ``message`` cannot be encoded.
        """
        payload = message.encode()
        if self._closed:
            return
        raw = self._raw
        try:
            raw.send(node_id.encode(), _SNDMORE_NOBLOCK)
            raw.send(payload, _NOBLOCK)
        except zmq.Again:
            logger.debug("dropped a %r message to %s: its queue is full", message.type, node_id)
        except zmq.ZMQError as error:
            if error.errno != errno.EHOSTUNREACH:
                raise
            logger.debug("dropped a %r message to %s: not connected", message.type, node_id)
        # ZeroMQ's descriptor signals edges: a send may have consumed the one telling a
        # waiting reader that messages arrived, so wake the reader to look for itself
        if self._wakeup is not None:
            self._wakeup.set()

    def recv(self) -> tuple[str, Message]:
        """The next message and its sender's id.

        ``ProtocolError`` (with ``node_id``) for an undecodable one or a wrong number of
        frames; the next call goes on with the following message.
        """
        inbox = self._inbox
        while not inbox:
            self._fill()
        frames = inbox.popleft()
        node_id = frames[0].decode("utf-8", "replace")
        try:
            if len(frames) != 2:
                raise ProtocolError(f"a message of {len(frames) - 1} frames, not 1")
            return node_id, Message.decode(frames[1])
        except ProtocolError as error:
            error.node_id = node_id
            raise

    def _fill(self) -> None:
        """Move every message waiting in ZeroMQ to the inbox; wait if there is none."""
        raw, inbox = self._raw, self._inbox
        try:
            while True:
                frames = [raw.recv(_NOBLOCK)]
                while raw.getsockopt(zmq.RCVMORE):
                    frames.append(raw.recv(_NOBLOCK))
                inbox.append(frames)
                if len(inbox) >= _BATCH:
                    return
        except zmq.Again:
            pass
        except zmq.ZMQError as error:
            raise RPCReceiveError(f"the master's socket is closed ({error})") from None
        if not inbox:
            self._wait_readable()

    def _wait_readable(self) -> None:
        if self._closed:
            raise RPCReceiveError("the master's socket is closed")
        wakeup = self._wakeup = Event()
        self._watcher.start(wakeup.set)
        try:
            # The edge may have come and gone before the watcher started. The wait is
            # bounded: an edge can still be lost (a master went deaf for seconds after a stop,
            # now and then, and marked its workers missing); a look every _RECHECK seconds
            # costs nothing and caps what a lost edge can cost.
            readable = int(self._raw.getsockopt(zmq.EVENTS)) & zmq.POLLIN
            if not readable and wakeup.wait(timeout=_RECHECK):
                # Let a few more messages arrive before taking them: a busy master then wakes
                # once per batch instead of once per message, for a millisecond of latency.
                gevent.sleep(_COALESCE)
        finally:
            self._watcher.stop()
            self._wakeup = None
        if self._closed:
            raise RPCReceiveError("the master's socket is closed")

    def close(self, linger: float = 0.0) -> None:
        """Stop listening (idempotent), giving queued messages up to ``linger`` seconds to go
        (the master's goodbyes to its workers); blocks only the calling greenlet."""
        if self._closed:
            return
        self._closed = True
        if self._wakeup is not None:
            self._wakeup.set()
        self._watcher.close()
        self._monitor.close()
        if self._zap:
            self._zap.close()
        self._socket.close(linger=max(0, round(linger * 1000)))
        # zmq_ctx_term waits for the linger in C: in a thread, the hub keeps running
        gevent.get_hub().threadpool.apply(self._context.term)


class ZmqClient:
    """A worker's end: a DEALER with identity ``node_id``, connected to ``host:port``.

    It keeps reconnecting while the master is down or restarting. ``ConfigError`` when
    ``host`` does not resolve; ``ValueError`` for a ``node_id`` ZeroMQ cannot carry (empty,
    over 255 utf-8 bytes, or starting with NUL). ``refused`` turns true while the master
    refuses this worker's handshake (a secret on one side only, or different secrets);
    ``on_refused(text)`` is called, and an ERROR logged, when that starts. A ``context``
    passed in is shared and left open by ``close``; otherwise the client owns its own.
    """

    def __init__(
        self,
        host: str,
        port: int,
        node_id: str,
        secret: str | None = None,
        *,
        context: zmq.Context | None = None,
        on_refused: Callable[[str], None] | None = None,
    ) -> None:
        _check_node_id(node_id)
        _check_resolves(host, port)
        endpoint, ipv6 = _endpoint(host, port)
        self.node_id = node_id
        self.address = endpoint.removeprefix("tcp://")
        self.refused = False
        self._on_refused = on_refused
        self._closed = False
        self._owns_context = context is None
        self._context = zmq_green.Context() if context is None else context
        self._socket = self._context.socket(zmq.DEALER)
        _configure(self._socket, _CLIENT_OPTIONS, ipv6)
        self._socket.setsockopt(zmq.IDENTITY, node_id.encode())
        if secret:
            configure_client(self._socket, derive_keys(secret))
        events = _HANDSHAKE_FAILED | zmq.EVENT_HANDSHAKE_SUCCEEDED
        self._monitor = _Monitor(self._socket, events, self._on_handshake)
        self._socket.connect(endpoint)

    def _on_handshake(self, event: int, _value: int) -> None:
        if event == zmq.EVENT_HANDSHAKE_SUCCEEDED:
            if self.refused:
                logger.info("the master at %s accepts this worker now", self.address)
            self.refused = False
        elif not self.refused:
            self.refused = True
            text = worker_refusal_text(self.address)
            logger.error(text)
            if self._on_refused is not None:
                self._on_refused(text)

    def send(self, message: Message) -> None:
        """Queue ``message`` for the master; dropped when the queue is full or closed.

        ``ProtocolError`` only when ``message`` cannot be encoded.
        """
        payload = message.encode()
        if self._closed:
            return
        try:
            self._socket.send(payload, flags=zmq.NOBLOCK)
        except zmq.Again:
            logger.debug("dropped a %r message to the master: queue full", message.type)

    def recv(self) -> Message:
        """The next message from the master; ``ProtocolError`` for an undecodable one."""
        try:
            frames = self._socket.recv_multipart()
        except zmq.ZMQError as error:
            raise RPCReceiveError(f"the worker's socket is closed ({error})") from None
        if len(frames) != 1:
            raise ProtocolError(f"a message of {len(frames)} frames, not 1")
        return Message.decode(frames[0])

    def close(self, linger: float = 0.0) -> None:
        """Drop the link (idempotent), giving queued messages up to ``linger`` seconds to go.

        Blocks the calling greenlet (only) for at most ``linger`` seconds, and only when the
        client owns its context.
        """
        if self._closed:
            return
        self._closed = True
        self._monitor.close()
        self._socket.close(linger=max(0, round(linger * 1000)))
        if self._owns_context:
            # zmq_ctx_term waits for the linger in C: in a thread, the hub keeps running
            gevent.get_hub().threadpool.apply(self._context.term)


def _check_node_id(node_id: str) -> None:
    identity = node_id.encode()
    if not 0 < len(identity) <= 255 or identity.startswith(b"\0"):
        raise ValueError(f"node id {node_id!r}: 1 to 255 utf-8 bytes, not starting with NUL")


def _check_resolves(host: str, port: int) -> None:
    try:
        # the idna check first: from gevent's resolver thread a UnicodeError prints a traceback
        host.encode("idna")
        stdlib_socket.getaddrinfo(host.strip("[]"), port, type=stdlib_socket.SOCK_STREAM)
    except (stdlib_socket.gaierror, UnicodeError) as error:
        raise ConfigError(f"cannot resolve master host {host!r}: {error}") from None


def raise_open_file_limit(wanted: int = 65536) -> str | None:
    """Raise this process's open file limit toward ``wanted``; a warning text if it falls short.

    A master holds one file per connected worker: at the common default of 1,024 it stalls
    near a thousand workers. The soft limit is raised as far as the hard limit allows (never
    lowered); the text says the limit reached and how to raise it, for the caller to log.
    """
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = soft_limit_to_set(soft, hard, wanted)
    if target != soft:
        try:
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
            soft = target
        except (ValueError, OSError) as error:
            logger.debug("cannot raise the open file limit to %d: %s", target, error)
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return None
    return (
        f"the open file limit is {soft} (hard limit {_limit_text(hard)}), below the {wanted} "
        "a master with many workers may need (one per worker): raise it with "
        f"`ulimit -n {wanted}` before starting swarm, or the container's limit "
        f"(docker run --ulimit nofile={wanted}:{wanted}, LimitNOFILE= in systemd)"
    )


def soft_limit_to_set(soft: int, hard: int, wanted: int) -> int:
    """The soft RLIMIT_NOFILE to ask for: ``wanted`` capped by ``hard``, never below ``soft``.

    ``RLIM_INFINITY`` may stand for ``soft`` or ``hard``.
    """
    if soft == resource.RLIM_INFINITY or soft >= wanted:
        return soft
    if hard == resource.RLIM_INFINITY:
        return wanted
    return max(soft, min(wanted, hard))


def _limit_text(limit: int) -> str:
    return "unlimited" if limit == resource.RLIM_INFINITY else str(limit)
