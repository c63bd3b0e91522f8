"""``--master-secret``: ZeroMQ CURVE keys derived from a shared secret, and the master's gate.

Why CURVE: it is ZeroMQ's own security mechanism (RFC 26, CurveZMQ), built into libzmq, so
the link stays one ROUTER and many DEALERs with nothing in front of them. Every connection
does an authenticated key exchange (Curve25519) and then encrypts and authenticates every
frame (XSalsa20-Poly1305) with short-term keys, so:

- nobody without the secret can join the master as a worker, or pose as the master to a
  worker (a client must know the server's public key, the server only admits the one client
  public key); both sides log a refusal, the master with the peer's address when libzmq
  tells it (only the ZAP handler learns addresses, and a worker with another secret never
  reaches it: its first handshake message is sealed for another server key);
- nobody on the network can read the traffic (userfile, statistics, custom messages) or
  change it in flight, and recorded traffic stays unreadable even if the secret leaks later
  (forward secrecy of the short-term keys).

What it does not protect: anyone who holds the secret *is* a legitimate node, so a leaked
secret lets its holder join as a worker (and run the userfile the master sends) or pose as the
master; change it everywhere when it leaks. Every worker shares one client key, so the master
cannot tell workers apart cryptographically (their node ids are what they claim). Without
``--master-secret`` the link is plain text and open to anyone who can reach the port.

Keys are derived, not exchanged: scrypt (deliberately slow, to make guessing a weak secret
from recorded handshakes expensive) turns the secret into a root key, and HMAC-SHA256 with
distinct labels turns the root into the server's and the clients' Curve25519 secret keys.
Every node holding the secret computes the same four keys; nobody else can.

The master admits clients through a ZAP handler (RFC 27): a greenlet answering libzmq's
requests on ``inproc://zeromq.zap.01`` of the master's own context. pyzmq's ``zmq.auth``
runs its authenticator in a thread, which does not mix with gevent.
"""

from __future__ import annotations

import functools
import hashlib
import hmac
import logging
from dataclasses import dataclass

import gevent
import zmq
import zmq.utils.z85

logger = logging.getLogger(__name__)

ZAP_ENDPOINT = "inproc://zeromq.zap.01"
ZAP_DOMAIN = "swarm"

_ROOT_SALT = b"swarm --master-secret v1"
_SERVER_LABEL = b"swarm curve server key v1"
_CLIENT_LABEL = b"swarm curve client key v1"
# scrypt at 16 MiB and about 50 ms: once per process and secret (cached), costly per guess
_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}

_ZAP_VERSION = b"1.0"
_MIN_ZAP_REQUEST = 6  # version, request id, domain, address, identity, mechanism

#: What either side says when the other does not hold the same secret.
SECRET_HINT = "wrong or missing --master-secret (it must be the same on the master and workers)"


@dataclass(frozen=True)
class CurveKeys:
    """The CURVE keypairs of one secret, Z85-encoded (40 bytes each), as libzmq takes them."""

    server_public: bytes
    server_secret: bytes
    client_public: bytes
    client_secret: bytes


@functools.lru_cache(maxsize=4)
def derive_keys(secret: str) -> CurveKeys:
    """The server and client keypairs of ``secret``: the same on every node, for every run.

    ``secret`` must be non-empty (``ValueError`` otherwise): an empty secret would be a key
    everybody knows.
    """
    if not secret:
        raise ValueError("an empty --master-secret protects nothing")
    root = hashlib.scrypt(secret.encode("utf-8"), salt=_ROOT_SALT, **_SCRYPT)
    server_secret = _z85_key(root, _SERVER_LABEL)
    client_secret = _z85_key(root, _CLIENT_LABEL)
    return CurveKeys(
        server_public=zmq.curve_public(server_secret),
        server_secret=server_secret,
        client_public=zmq.curve_public(client_secret),
        client_secret=client_secret,
    )


def _z85_key(root: bytes, label: bytes) -> bytes:
    # any 32 bytes make a Curve25519 secret key: libsodium clamps them itself
    return zmq.utils.z85.encode(hmac.new(root, label, hashlib.sha256).digest())


def configure_server(socket: zmq.Socket, keys: CurveKeys) -> None:
    """Make ``socket`` a CURVE server with ``keys`` (before it binds)."""
    socket.setsockopt(zmq.ZAP_DOMAIN, ZAP_DOMAIN.encode())
    socket.setsockopt(zmq.CURVE_SERVER, 1)
    socket.setsockopt(zmq.CURVE_SECRETKEY, keys.server_secret)


def configure_client(socket: zmq.Socket, keys: CurveKeys) -> None:
    """Make ``socket`` a CURVE client of the server of ``keys`` (before it connects)."""
    socket.setsockopt(zmq.CURVE_SERVERKEY, keys.server_public)
    socket.setsockopt(zmq.CURVE_PUBLICKEY, keys.client_public)
    socket.setsockopt(zmq.CURVE_SECRETKEY, keys.client_secret)


def zap_reply(request: list[bytes], client_public: bytes) -> tuple[list[bytes], bool]:
    """The ZAP reply to ``request`` and whether it admits the peer.

    Admits exactly a CURVE handshake whose client key is ``client_public`` (Z85); refuses
    everything else, including malformed requests, with status 400.
    """
    if len(request) < _MIN_ZAP_REQUEST or request[0] != _ZAP_VERSION:
        request_id = request[1] if len(request) > 1 else b""
        return [_ZAP_VERSION, request_id, b"400", b"malformed ZAP request", b"", b""], False
    request_id, mechanism, credentials = request[1], request[5], request[6:]
    expected = zmq.utils.z85.decode(client_public)
    admitted = mechanism == b"CURVE" and len(credentials) == 1 and credentials[0] == expected
    if admitted:
        return [_ZAP_VERSION, request_id, b"200", b"OK", b"worker", b""], True
    return [_ZAP_VERSION, request_id, b"400", b"unknown client key", b"", b""], False


# why the master refused a handshake, by (this master has a secret, libzmq's error code)
_REFUSAL_REASONS: dict[tuple[bool, int], str] = {
    (True, zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH): (
        "it has no --master-secret, and this master requires the same one on every worker"
    ),
    (True, zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC): SECRET_HINT,
    (False, zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH): (
        "it uses a --master-secret and this master does not (set it on both or neither)"
    ),
}
# With a secret on one side only, either side may notice first: the other sees a hang-up.
_HANGUP_REASON = (
    "it hung up during the handshake (a --master-secret on one side only, or not a swarm worker)"
)


def master_refusal_reason(has_secret: bool, event: int, value: int) -> str | None:
    """Why a master (with a secret or not) refused a worker, from a failed-handshake event.

    ``event`` and ``value`` are a libzmq monitor event and its value (an error code for
    ``EVENT_HANDSHAKE_FAILED_PROTOCOL``); None when the failure does not point at the secret.
    """
    if event == zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL:
        return _HANGUP_REASON
    if event == zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL:
        return _REFUSAL_REASONS.get((has_secret, value))
    return None


def worker_refusal_text(address: str) -> str:
    """What a worker says when the master at ``address`` refuses its handshake."""
    return f"the master at {address} refused this worker: {SECRET_HINT}"


class RefusalLog:
    """Decides which refusals deserve a log line: the 1st, 10th, 100th, ... of each peer.

    A refused worker retries many times a second; logging each attempt would drown the log.
    At most ``max_peers`` peers are remembered (then the count starts afresh).
    """

    def __init__(self, max_peers: int = 1024) -> None:
        self._counts: dict[str, int] = {}
        self._max_peers = max_peers

    def note(self, peer: str) -> int | None:
        """Count one refusal of ``peer``; its running count when it should be logged."""
        if peer not in self._counts and len(self._counts) >= self._max_peers:
            self._counts.clear()
        count = self._counts.get(peer, 0) + 1
        self._counts[peer] = count
        return count if _is_power_of_ten(count) else None

    def forget(self, peer: str) -> None:
        """``peer`` was admitted: its next refusal is news again."""
        self._counts.pop(peer, None)


def _is_power_of_ten(count: int) -> bool:
    while count % 10 == 0:
        count //= 10
    return count == 1


def log_refusal(refusals: RefusalLog, peer: str | None, reason: str) -> None:
    """Log at WARNING that the master refused a worker (at ``peer`` if known), if it is news."""
    source = f"a worker from {peer}" if peer else "a worker"
    count = refusals.note(peer or reason)  # unknown peers: one count per reason
    if count is None:
        logger.debug("refused %s again: %s", source, reason)
    elif count == 1:
        logger.warning("refused %s: %s", source, reason)
    else:
        logger.warning("refused %s (%d times so far): %s", source, count, reason)


class ZapAuthenticator:
    """The master's gate: a greenlet admitting only the client key of a secret.

    It must be started before the server socket binds: a CURVE server with no ZAP handler
    admits every client that knows the server's public key.
    """

    def __init__(self, context: zmq.Context, client_public: bytes) -> None:
        self._client_public = client_public
        self._refusals = RefusalLog()
        self._socket = context.socket(zmq.REP)
        self._socket.setsockopt(zmq.LINGER, 0)
        try:
            self._socket.bind(ZAP_ENDPOINT)
        except zmq.ZMQError:
            self._socket.close()
            raise
        self._greenlet = gevent.spawn(self._serve)

    def _serve(self) -> None:
        while True:
            request = self._socket.recv_multipart()
            reply, admitted = zap_reply(request, self._client_public)
            self._socket.send_multipart(reply)
            peer = request[3].decode("utf-8", "replace") if len(request) > 3 else "?"
            if admitted:
                self._refusals.forget(peer)
            else:
                log_refusal(self._refusals, peer, SECRET_HINT)

    def close(self) -> None:
        """Stop answering (idempotent); the server socket must be closed too."""
        self._greenlet.kill()
        self._socket.close()
