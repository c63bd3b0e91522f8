"""One message between a master and a worker, and its versioned msgpack envelope.

On the wire a message is the msgpack array ``[version, type, data, node_id]``: an array rather
than a map because the keys would cost bytes and time on every heartbeat. ``node_id`` is the
worker the message comes from or, from the master, goes to (so a host's relay knows which of
its workers a message is for). ``data`` holds only
what msgpack carries natively (None, bools, ints, floats, str, bytes, lists, dicts), so the
statistics ship as ``RequestStats.take_report``'s lists and dicts.

Message types (the ``type`` field) and their direction::

    ready              worker -> master   I am here: version, host, pid, user classes
    ack                master -> worker   of "ready" (worker index), or of a "stats" (its seq)
    reconnect          master -> worker   I do not know you (a restarted master): send "ready"
    userfile           both               "-f -": the request, and the file's name and text
    spawn              master -> worker   run exactly these users per class (and options)
    spawning           worker -> master   ramping
    spawning_complete  worker -> master   the users of the last "spawn" are running
    heartbeat          both               worker: state, CPU, memory, users; master: the reply
    heartbeats         relay -> master    a host's workers' heartbeats of the last second
    stats              worker -> master   a statistics delta (final ones are acknowledged)
    stop               master -> worker   stop every user
    stopped            worker -> master   every user stopped
    quit               both               master: end the process; worker: I am leaving
    exception          worker -> master   an exception raised by user code
    logs               worker -> master   log lines for the master's UI
    custom             both               ``runner.send_message`` of a userfile or plugin
"""

from __future__ import annotations

from typing import Any, NamedTuple

import msgpack

from swarm.exceptions import ProtocolError

#: Bumped whenever a message changes shape; nodes of different versions refuse each other.
PROTOCOL_VERSION = 1

READY = "ready"
ACK = "ack"
RECONNECT = "reconnect"
USERFILE = "userfile"
SPAWN = "spawn"
SPAWNING = "spawning"
SPAWNING_COMPLETE = "spawning_complete"
HEARTBEAT = "heartbeat"
HEARTBEATS = "heartbeats"
STATS = "stats"
STOP = "stop"
STOPPED = "stopped"
QUIT = "quit"
EXCEPTION = "exception"
LOGS = "logs"
CUSTOM = "custom"

MESSAGE_TYPES = frozenset(
    {
        READY,
        ACK,
        RECONNECT,
        USERFILE,
        SPAWN,
        SPAWNING,
        SPAWNING_COMPLETE,
        HEARTBEAT,
        HEARTBEATS,
        STATS,
        STOP,
        STOPPED,
        QUIT,
        EXCEPTION,
        LOGS,
        CUSTOM,
    }
)

#: What a handler may raise on data that is not what its message type promises (a missing
#: key, a wrong type, a number out of range, nesting too deep): the message is then
#: ignored and counted, never allowed to end the receiving loop.
MALFORMED = (LookupError, TypeError, ValueError, AttributeError, ArithmeticError, RecursionError)

# msgpack limits for a message from an untrusted peer: a garbage length prefix must not make
# the decoder allocate gigabytes. Stats reports of thousands of endpoints stay far below.
_MAX_BYTES = 64 * 1024 * 1024


class Message(NamedTuple):
    """A message of ``type`` carrying ``data``, from the worker ``node_id`` or to it."""

    type: str
    data: Any
    node_id: str

    def encode(self) -> bytes:
        """The message in its envelope, ready for the wire."""
        try:
            return msgpack.packb(
                [PROTOCOL_VERSION, self.type, self.data, self.node_id], use_bin_type=True
            )
        except (TypeError, ValueError, OverflowError) as error:
            raise ProtocolError(f"cannot encode a {self.type!r} message: {error}") from error

    @classmethod
    def decode(cls, raw: bytes) -> Message:
        """The message ``raw`` holds; ``ProtocolError`` says why when it holds none."""
        if len(raw) > _MAX_BYTES:
            raise ProtocolError(f"message of {len(raw)} bytes is larger than {_MAX_BYTES}")
        try:
            envelope = msgpack.unpackb(raw, raw=False, strict_map_key=False)
        except Exception as error:  # msgpack raises many types for garbage
            raise ProtocolError(f"not a msgpack message ({type(error).__name__})") from None
        if not isinstance(envelope, list) or len(envelope) != 4:
            raise ProtocolError("not a swarm message envelope")
        version, kind, data, node_id = envelope
        if version != PROTOCOL_VERSION:
            raise ProtocolError(
                f"protocol version {version!r}, this node speaks {PROTOCOL_VERSION}: "
                "run the same swarm version on the master and the workers"
            )
        if kind not in MESSAGE_TYPES:
            raise ProtocolError(f"unknown message type {kind!r}")
        if not isinstance(node_id, str):
            raise ProtocolError(f"a {kind!r} message without a node id")
        return cls(kind, data, node_id)
