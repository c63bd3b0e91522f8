"""--master-secret: derived keys, the ZAP gate, and the four secret combinations on real sockets."""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import TYPE_CHECKING

import gevent
import gevent.event
import pytest
import zmq
import zmq.utils.z85

from swarm.rpc.messages import Message
from swarm.rpc.secret import RefusalLog, derive_keys, master_refusal_reason, zap_reply
from swarm.rpc.zmq import ZmqClient, ZmqServer

if TYPE_CHECKING:
    from conftest import LogWatch  # tests/rpc/conftest.py, the fixture's type only

BOUND = 5  # seconds: a safety bound on blocking calls, not a wait


def test_every_node_derives_the_same_keys() -> None:
    derive_keys.cache_clear()
    first = derive_keys("correct horse")
    derive_keys.cache_clear()
    assert derive_keys("correct horse") == first


def test_keys_are_distinct_per_role_and_per_secret() -> None:
    keys, other = derive_keys("correct horse"), derive_keys("correct horse!")
    assert len({keys.server_secret, keys.client_secret, other.server_secret}) == 3
    assert len({keys.server_public, keys.client_public, other.client_public}) == 3
    assert keys.server_public == zmq.curve_public(keys.server_secret)
    assert keys.client_public == zmq.curve_public(keys.client_secret)
    assert all(len(key) == 40 for key in (keys.server_secret, keys.client_public))


def test_an_empty_secret_is_refused() -> None:
    with pytest.raises(ValueError, match="empty"):
        derive_keys("")


def zap_request(mechanism: bytes, *credentials: bytes) -> list[bytes]:
    return [b"1.0", b"7", b"swarm", b"10.0.0.5", b"", mechanism, *credentials]


def test_zap_admits_exactly_the_client_key() -> None:
    keys = derive_keys("s3cret")
    key = zmq.utils.z85.decode(keys.client_public)
    reply, admitted = zap_reply(zap_request(b"CURVE", key), keys.client_public)
    assert admitted
    assert reply[:3] == [b"1.0", b"7", b"200"]


@pytest.mark.parametrize(
    "request_",
    [
        zap_request(b"CURVE", zmq.utils.z85.decode(derive_keys("other").client_public)),
        zap_request(b"CURVE", zmq.utils.z85.decode(derive_keys("s3cret").server_public)),
        zap_request(b"NULL"),
        zap_request(b"PLAIN", b"user", b"s3cret"),
        zap_request(b"CURVE"),
    ],
    ids=["other secret", "server key", "NULL", "PLAIN", "no credentials"],
)
def test_zap_refuses_everything_else(request_: list[bytes]) -> None:
    reply, admitted = zap_reply(request_, derive_keys("s3cret").client_public)
    assert not admitted
    assert reply[:3] == [b"1.0", b"7", b"400"]


@pytest.mark.parametrize(
    "request_", [[b"1.0", b"7"], [b"2.0", b"7", b"", b"", b"", b"CURVE", b"k"], []]
)
def test_zap_refuses_malformed_requests(request_: list[bytes]) -> None:
    reply, admitted = zap_reply(request_, derive_keys("s3cret").client_public)
    assert not admitted
    assert reply[2] == b"400"
    assert len(reply) == 6


def test_refusals_are_logged_at_1_10_100_per_peer() -> None:
    refusals = RefusalLog()
    logged = [n for n in range(1, 1001) if refusals.note("10.0.0.5") is not None]
    assert logged == [1, 10, 100, 1000]
    assert refusals.note("10.0.0.6") == 1


def test_an_admitted_peer_is_news_again_when_refused() -> None:
    refusals = RefusalLog()
    refusals.note("10.0.0.5")
    refusals.forget("10.0.0.5")
    assert refusals.note("10.0.0.5") == 1


def test_the_refusal_log_is_bounded() -> None:
    refusals = RefusalLog(max_peers=3)
    for peer in ("a", "b", "c", "d"):
        refusals.note(peer)
    # "a" was forgotten when "d" arrived, so it counts afresh
    assert refusals.note("a") == 1


@pytest.mark.parametrize(("master", "worker"), [("s3cret", "s3cret"), (None, None)])
def test_matching_secrets_link_both_ways(
    closing: Callable, connect: Callable, master: str | None, worker: str | None
) -> None:
    server = closing(ZmqServer("127.0.0.1", 0, master))
    client = connect(server, "w", worker)
    with gevent.Timeout(BOUND):
        client.send(Message("ready", {"secret": worker is not None}, "w"))
        assert server.recv() == ("w", Message("ready", {"secret": worker is not None}, "w"))
        server.send_to("w", Message("ack", 0, "master"))
        assert client.recv() == Message("ack", 0, "master")
    assert not client.refused


@pytest.mark.parametrize(
    ("master", "worker", "master_says"),
    [
        ("s3cret", "guess", "refused a worker: wrong or missing --master-secret"),
        ("s3cret", None, "it has no --master-secret"),
        (None, "s3cret", "it uses a --master-secret and this master does not"),
    ],
    ids=["different secrets", "only the master", "only the worker"],
)
def test_a_worker_without_the_masters_secret_is_refused_loudly(
    closing: Callable,
    connect: Callable,
    rpc_log: LogWatch,
    master: str | None,
    worker: str | None,
    master_says: str,
) -> None:
    server = closing(ZmqServer("127.0.0.1", 0, master))
    refusal = gevent.event.AsyncResult()
    outsider = connect(server, "outsider", worker, on_refused=refusal.set)
    outsider.send(Message("ready", None, "outsider"))
    with gevent.Timeout(BOUND):
        text = refusal.get()
        said = rpc_log.wait_for("refused a worker", logging.WARNING)
        # whichever side notices a mechanism mismatch first, the other sees a hang-up
        assert master_says in said or "hung up during the handshake" in said
        # the refused worker's message never arrives: the next one is the honest worker's
        honest = connect(server, "honest", master)
        honest.send(Message("ready", None, "honest"))
        assert server.recv()[0] == "honest"
    assert outsider.refused
    assert text == (
        f"the master at 127.0.0.1:{server.port} refused this worker: wrong or missing "
        "--master-secret (it must be the same on the master and workers)"
    )
    assert rpc_log.messages(logging.ERROR) == [text]  # once, however often it retried


def test_knowing_the_server_key_is_not_enough(
    closing: Callable, raw_context: zmq.Context, rpc_log: LogWatch
) -> None:
    server = closing(ZmqServer("127.0.0.1", 0, "s3cret"))
    intruder = raw_context.socket(zmq.DEALER)
    public, secret = zmq.curve_keypair()
    intruder.setsockopt(zmq.CURVE_SERVERKEY, derive_keys("s3cret").server_public)
    intruder.setsockopt(zmq.CURVE_PUBLICKEY, public)
    intruder.setsockopt(zmq.CURVE_SECRETKEY, secret)
    intruder.setsockopt(zmq.IDENTITY, b"intruder")
    intruder.connect(f"tcp://127.0.0.1:{server.port}")
    intruder.send(Message("ready", None, "intruder").encode())
    with gevent.Timeout(BOUND):
        # the ZAP handler learns the peer's address, so its line names it
        rpc_log.wait_for("refused a worker from 127.0.0.1: wrong or missing", logging.WARNING)
        honest = closing(ZmqClient("127.0.0.1", server.port, "honest", "s3cret"))
        honest.send(Message("ready", None, "honest"))
        assert server.recv()[0] == "honest"


PROTOCOL = zmq.EVENT_HANDSHAKE_FAILED_PROTOCOL
MISMATCH = zmq.PROTOCOL_ERROR_ZMTP_MECHANISM_MISMATCH


@pytest.mark.parametrize(
    ("has_secret", "event", "value", "says"),
    [
        (True, PROTOCOL, MISMATCH, "it has no --master-secret"),
        (False, PROTOCOL, MISMATCH, "it uses a --master-secret and this master does not"),
        (True, PROTOCOL, zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC, "wrong or missing"),
        (True, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 104, "hung up during the handshake"),
        (False, zmq.EVENT_HANDSHAKE_FAILED_NO_DETAIL, 32, "hung up during the handshake"),
    ],
)
def test_the_master_names_the_secret_when_it_is_the_cause(
    has_secret: bool, event: int, value: int, says: str
) -> None:
    reason = master_refusal_reason(has_secret, event, value)
    assert reason is not None
    assert says in reason


@pytest.mark.parametrize(
    ("has_secret", "value"),
    [
        (False, zmq.PROTOCOL_ERROR_ZMTP_CRYPTOGRAPHIC),  # no CURVE here: not about a secret
        (True, zmq.PROTOCOL_ERROR_ZMTP_UNEXPECTED_COMMAND),  # a stranger speaking garbage
        (False, zmq.PROTOCOL_ERROR_ZMTP_MALFORMED_COMMAND_READY),
    ],
)
def test_other_protocol_errors_are_not_blamed_on_the_secret(has_secret: bool, value: int) -> None:
    assert master_refusal_reason(has_secret, PROTOCOL, value) is None
