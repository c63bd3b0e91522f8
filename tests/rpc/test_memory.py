"""The in-memory twin behaves as the wire does: routing, drops, cuts and garbage."""

from __future__ import annotations

import gevent
import pytest

from swarm.exceptions import ProtocolError
from swarm.rpc.memory import MemoryNetwork
from swarm.rpc.messages import Message


def test_round_trips_route_by_node_id() -> None:
    network = MemoryNetwork()
    first, second = network.client("a"), network.client("b")
    first.send(Message("ready", {"pid": 1}, "a"))
    second.send(Message("ready", {"pid": 2}, "b"))
    assert network.server.recv() == ("a", Message("ready", {"pid": 1}, "a"))
    assert network.server.recv() == ("b", Message("ready", {"pid": 2}, "b"))
    network.server.send_to("b", Message("ack", {"index": 1}, "master"))
    network.server.send_to("a", Message("ack", {"index": 0}, "master"))
    assert second.recv().data == {"index": 1}
    assert first.recv().data == {"index": 0}


def test_send_to_an_unknown_node_is_dropped() -> None:
    network = MemoryNetwork()
    network.server.send_to("nobody", Message("stop", None, "master"))


def test_messages_pass_through_the_encoder() -> None:
    network = MemoryNetwork()
    client = network.client("a")
    with pytest.raises(ProtocolError):
        client.send(Message("custom", {1, 2}, "a"))


def test_a_cut_worker_is_silent() -> None:
    network = MemoryNetwork()
    cut, alive = network.client("cut"), network.client("alive")
    network.cut("cut")
    cut.send(Message("heartbeat", None, "cut"))
    alive.send(Message("heartbeat", None, "alive"))
    # the queue is in order: had the cut worker's message passed, it would come first
    assert network.server.recv()[0] == "alive"


def test_garbage_is_a_protocol_error_naming_the_node_and_the_next_message_is_served() -> None:
    network = MemoryNetwork()
    client = network.client("a")
    network.inject("a", b"\xc1garbage")
    client.send(Message("heartbeat", None, "a"))
    with pytest.raises(ProtocolError) as raised:
        network.server.recv()
    assert raised.value.node_id == "a"
    assert network.server.recv() == ("a", Message("heartbeat", None, "a"))


def test_recv_blocks_only_its_greenlet() -> None:
    network = MemoryNetwork()
    client = network.client("a")
    waiting = gevent.spawn(network.server.recv)
    client.send(Message("ready", None, "a"))
    with gevent.Timeout(5):
        assert waiting.get() == ("a", Message("ready", None, "a"))


def test_closed_ends_send_nothing() -> None:
    network = MemoryNetwork()
    closed, alive = network.client("closed"), network.client("alive")
    closed.close()
    closed.send(Message("heartbeat", None, "closed"))
    alive.send(Message("heartbeat", None, "alive"))
    assert network.server.recv()[0] == "alive"
