"""The ZeroMQ transport on real sockets (127.0.0.1, ephemeral ports); every wait is bounded."""

from __future__ import annotations

import socket
from collections.abc import Callable

import gevent
import msgpack
import pytest
import zmq

from swarm.exceptions import ConfigError, ProtocolError, RPCReceiveError
from swarm.rpc.messages import PROTOCOL_VERSION, Message
from swarm.rpc.zmq import ZmqClient, ZmqServer

BOUND = 5  # seconds: a safety bound on blocking calls, not a wait


def ready(node_id: str, **data: object) -> Message:
    return Message("ready", data, node_id)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def recv_good(server: ZmqServer, attempts: int = 20) -> tuple[str, Message]:
    """The next decodable message, skipping protocol errors (a bounded number of them)."""
    for _ in range(attempts):
        try:
            return server.recv()
        except ProtocolError:
            continue
    raise AssertionError(f"no good message in {attempts}")


def test_round_trips_with_several_workers(server: ZmqServer, connect: Callable) -> None:
    clients = [connect(server, f"host_{n}") for n in range(3)]
    with gevent.Timeout(BOUND):
        for client in clients:
            client.send(ready(client.node_id, pid=len(client.node_id)))
        received = dict(server.recv() for _ in clients)
        assert received == {c.node_id: ready(c.node_id, pid=6) for c in clients}
        for index, client in enumerate(clients):
            server.send_to(client.node_id, Message("ack", {"index": index}, "master"))
        assert [c.recv().data for c in clients] == [{"index": 0}, {"index": 1}, {"index": 2}]


def test_replies_go_to_the_named_worker_only(server: ZmqServer, connect: Callable) -> None:
    first, second = connect(server, "first"), connect(server, "second")
    with gevent.Timeout(BOUND):
        first.send(ready("first"))
        second.send(ready("second"))
        server.recv()
        server.recv()
        server.send_to("second", Message("spawn", {"A": 2}, "master"))
        server.send_to("first", Message("spawn", {"A": 1}, "master"))
        server.send_to("second", Message("stop", None, "master"))
        assert first.recv().data == {"A": 1}
        assert second.recv().data == {"A": 2}
        assert second.recv().type == "stop"


def test_a_reconnecting_worker_takes_over_its_id(server: ZmqServer, connect: Callable) -> None:
    old = connect(server, "worker")
    with gevent.Timeout(BOUND):
        old.send(ready("worker", generation=1))
        assert server.recv()[1].data == {"generation": 1}
        new = connect(server, "worker")
        new.send(ready("worker", generation=2))
        assert server.recv()[1].data == {"generation": 2}
        server.send_to("worker", Message("ack", "to the new one", "master"))
        assert new.recv().data == "to the new one"


def test_send_to_an_unknown_worker_is_dropped(server: ZmqServer, connect: Callable) -> None:
    server.send_to("nobody", Message("stop", None, "master"))
    client = connect(server, "somebody")
    with gevent.Timeout(BOUND):
        client.send(ready("somebody"))
        assert server.recv()[0] == "somebody"


def test_send_cannot_encode_is_a_protocol_error(server: ZmqServer, connect: Callable) -> None:
    client = connect(server, "w")
    with pytest.raises(ProtocolError):
        client.send(Message("custom", {1, 2}, "w"))
    with pytest.raises(ProtocolError):
        server.send_to("w", Message("custom", {1, 2}, "master"))


@pytest.mark.parametrize(
    ("frames", "error"),
    [
        ([b"\xc1 not msgpack"], "not a msgpack message"),
        ([msgpack.packb([PROTOCOL_VERSION + 1, "ready", None, "raw"])], "protocol version"),
        ([msgpack.packb([PROTOCOL_VERSION, "hello", None, "raw"])], "unknown message type"),
        ([b"", Message("ready", None, "raw").encode()], "2 frames"),
        ([Message("ready", None, "raw").encode(), b"tail"], "2 frames"),
    ],
    ids=["not msgpack", "wrong version", "unknown type", "REQ envelope", "extra frame"],
)
def test_garbage_names_its_sender_and_the_next_message_is_served(
    server: ZmqServer, raw_context: zmq.Context, frames: list[bytes], error: str
) -> None:
    raw = raw_context.socket(zmq.DEALER)
    raw.setsockopt(zmq.IDENTITY, b"raw")
    raw.connect(f"tcp://127.0.0.1:{server.port}")
    with gevent.Timeout(BOUND):
        raw.send_multipart(frames)
        raw.send(Message("heartbeat", {"state": "running"}, "raw").encode())
        with pytest.raises(ProtocolError, match=error) as raised:
            server.recv()
        assert raised.value.node_id == "raw"
        assert server.recv() == ("raw", Message("heartbeat", {"state": "running"}, "raw"))


def test_a_binary_identity_is_reported_readably(
    server: ZmqServer, raw_context: zmq.Context
) -> None:
    raw = raw_context.socket(zmq.DEALER)
    raw.setsockopt(zmq.IDENTITY, b"w\xff\xfe")
    raw.connect(f"tcp://127.0.0.1:{server.port}")
    with gevent.Timeout(BOUND):
        raw.send(b"\xc1")
        with pytest.raises(ProtocolError) as raised:
            server.recv()
    assert raised.value.node_id == "w\ufffd\ufffd"


@pytest.mark.parametrize(
    "garbage",
    [
        b"GET / HTTP/1.1\r\nHost: x\r\n\r\n",
        b"\xff" + bytes(range(256)) * 4,
        b"\x00" * 64,
        b"\x05hello\x06\x00world",  # ZMTP 1.0 framing: without a secret, a garbage message
    ],
    ids=["http", "zmtp3-like", "zeros", "zmtp1"],
)
@pytest.mark.parametrize("secret", [None, "s3cret"])
def test_raw_tcp_garbage_leaves_the_master_serving(
    closing: Callable, connect: Callable, garbage: bytes, secret: str | None
) -> None:
    server = closing(ZmqServer("127.0.0.1", 0, secret))
    with gevent.Timeout(BOUND):
        with socket.create_connection(("127.0.0.1", server.port)) as stranger:
            stranger.sendall(garbage)
        client = connect(server, "honest", secret)
        client.send(ready("honest"))
        assert recv_good(server) == ("honest", ready("honest"))


def test_the_client_reports_garbage_from_the_master(raw_context: zmq.Context, connect) -> None:
    router = raw_context.socket(zmq.ROUTER)
    port = router.bind_to_random_port("tcp://127.0.0.1")
    client = connect(port, "w")
    with gevent.Timeout(BOUND):
        client.send(ready("w"))
        identity, _ = router.recv_multipart()
        router.send_multipart([identity, b"\xc1"])
        router.send_multipart([identity, b"a", b"b"])
        router.send_multipart([identity, Message("ack", 0, "master").encode()])
        with pytest.raises(ProtocolError, match="not a msgpack"):
            client.recv()
        with pytest.raises(ProtocolError, match="2 frames"):
            client.recv()
        assert client.recv() == Message("ack", 0, "master")


def test_a_worker_started_before_its_master_gets_through(
    closing: Callable, connect: Callable
) -> None:
    port = free_port()
    client = connect(port, "early")
    for n in range(1500):  # beyond the high-water mark: the surplus is dropped, nothing raises
        client.send(Message("heartbeat", n, "early"))
    server = closing(ZmqServer("127.0.0.1", port))
    with gevent.Timeout(BOUND):
        # queued while the master was away, delivered in order once it listens
        assert server.recv() == ("early", Message("heartbeat", 0, "early"))
        assert server.recv()[1].data == 1


def test_a_bound_port_is_a_config_error(server: ZmqServer) -> None:
    with pytest.raises(ConfigError) as raised:
        ZmqServer("127.0.0.1", server.port)
    text = str(raised.value)
    assert f"cannot listen on 127.0.0.1:{server.port}" in text
    assert "Address already in use" in text
    assert "another master" in text


def test_an_address_of_another_machine_is_a_config_error() -> None:
    with pytest.raises(
        ConfigError, match=r"cannot listen on 192\.0\.2\.1:0: Cannot assign .*--master-bind-host"
    ):
        ZmqServer("192.0.2.1", 0)  # TEST-NET-1: never an address of this machine


@pytest.mark.parametrize("host", ["*", ""])
def test_every_interface_and_an_ephemeral_port(host: str, closing: Callable, connect) -> None:
    server = closing(ZmqServer(host, 0))
    assert server.port > 0
    client = connect(server, "w")
    with gevent.Timeout(BOUND):
        client.send(ready("w"))
        assert server.recv()[0] == "w"


def test_a_master_host_that_does_not_resolve_is_a_config_error() -> None:
    # a label over 63 characters fails to encode, before any DNS query
    host = "x" * 64 + ".invalid"
    with pytest.raises(ConfigError, match=r"cannot resolve master host 'x+\.invalid'"):
        ZmqClient(host, 5557, "w")


@pytest.mark.parametrize("node_id", ["", "x" * 256, "\0w"])
def test_a_node_id_zeromq_cannot_carry_is_refused(node_id: str) -> None:
    with pytest.raises(ValueError, match="node id"):
        ZmqClient("127.0.0.1", 5557, node_id)


def test_close_is_idempotent_and_silences_sends(server: ZmqServer, connect: Callable) -> None:
    client = connect(server, "w")
    client.close()
    client.close(linger=1.0)
    client.send(ready("w"))
    server.close()
    server.close()
    server.send_to("w", ready("master"))
    with pytest.raises(RPCReceiveError):
        server.recv()
    with pytest.raises(RPCReceiveError):
        client.recv()


def test_close_wakes_a_blocked_recv(server: ZmqServer, connect: Callable) -> None:
    client = connect(server, "w")

    def receive(recv: Callable[[], object]) -> object:
        try:
            return recv()
        except RPCReceiveError as error:
            return error

    receivers = [gevent.spawn(receive, server.recv), gevent.spawn(receive, client.recv)]
    gevent.idle()  # both greenlets are now parked in recv
    server.close()
    client.close()
    with gevent.Timeout(BOUND):
        assert [type(receiver.get()) for receiver in receivers] == [RPCReceiveError] * 2


def test_close_with_linger_delivers_the_last_messages(server: ZmqServer, connect: Callable) -> None:
    client = connect(server, "leaving")
    with gevent.Timeout(BOUND):
        client.send(ready("leaving"))
        server.recv()
        client.send(Message("stats", {"final": True}, "leaving"))
        client.send(Message("quit", None, "leaving"))
        client.close(linger=2.0)
        assert server.recv()[1].type == "stats"
        assert server.recv()[1].type == "quit"


def test_close_with_linger_is_bounded_when_the_master_is_gone(connect: Callable) -> None:
    client = connect(free_port(), "orphan")
    client.send(Message("quit", None, "orphan"))
    with gevent.Timeout(BOUND):
        client.close(linger=0.2)


def test_clients_can_share_a_context(server: ZmqServer, connect, raw_context) -> None:
    clients = [connect(server, f"w{n}", context=raw_context) for n in range(2)]
    with gevent.Timeout(BOUND):
        for client in clients:
            client.send(ready(client.node_id))
        assert {server.recv()[0] for _ in clients} == {"w0", "w1"}
    for client in clients:
        client.close(linger=0.5)
    assert not raw_context.closed
