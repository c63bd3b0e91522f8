"""HTTPS through ``tls.connection_factory`` against a real TLS server on 127.0.0.1."""

from __future__ import annotations

import socket
import ssl
from collections.abc import Callable, Iterator
from pathlib import Path

import gevent
import pytest
from certs import self_signed
from protocols.fast.raw_server import BIG, RawServer

from swarm.protocols.fast import (
    ConnectError,
    ConnectionPool,
    ConnectTimeout,
    ReadTimeout,
    TLSError,
)
from swarm.protocols.fast.tls import ClientCert, connection_factory


class TLSServer(RawServer):
    """``RawServer`` behind TLS; a failed handshake just drops the client, as servers do."""

    def __init__(self, context: ssl.SSLContext) -> None:
        super().__init__()
        self._context = context

    def _handle(self, sock: gevent.socket.socket, address: object) -> None:
        try:
            tls = self._context.wrap_socket(sock, server_side=True)
        except OSError:  # ssl.SSLError included: the client refused us, or we refused it
            sock.close()
            return
        super()._handle(tls, address)


@pytest.fixture(scope="module")
def cert(tmp_path_factory: pytest.TempPathFactory) -> tuple[str, str]:
    """A self-signed certificate for 127.0.0.1 and its key; the certificate is its own CA."""
    return self_signed(tmp_path_factory.mktemp("tls"))


def serve(context: ssl.SSLContext) -> Iterator[TLSServer]:
    server = TLSServer(context)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def server(cert: tuple[str, str]) -> Iterator[TLSServer]:
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    yield from serve(context)


@pytest.fixture
def mutual_server(cert: tuple[str, str]) -> Iterator[TLSServer]:
    """A server that also asks the client for a certificate signed by ``cert``."""
    context = ssl.SSLContext(ssl.PROTOCOL_TLS_SERVER)
    context.load_cert_chain(*cert)
    context.load_verify_locations(cert[0])
    context.verify_mode = ssl.CERT_REQUIRED
    yield from serve(context)


PoolMaker = Callable[..., ConnectionPool]


@pytest.fixture
def make_pool() -> Iterator[PoolMaker]:
    """``make_pool(timeout, verify=..., cert=...)``: a pool of TLS connections, closed after."""
    pools: list[ConnectionPool] = []

    def make(
        timeout: float = 5, *, verify: bool | str = True, cert: ClientCert | None = None
    ) -> ConnectionPool:
        pools.append(ConnectionPool(timeout, connection_factory(verify=verify, cert=cert)))
        return pools[-1]

    yield make
    for pool in pools:
        pool.close()


def get(pool: ConnectionPool, port: int, path: str = "/", host: str = "127.0.0.1") -> bytes:
    return pool.get("https", host, port).request("GET", path).body


def test_server_signed_by_the_given_ca_is_trusted(
    make_pool: PoolMaker, server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(verify=cert[0])
    assert get(pool, server.port) == b"hello"
    assert server.requests[0].headers["host"] == f"127.0.0.1:{server.port}"


def test_server_not_signed_by_a_trusted_ca_is_refused(
    make_pool: PoolMaker, server: TLSServer
) -> None:
    pool = make_pool()
    with pytest.raises(TLSError, match=f"127.0.0.1:{server.port}.*certificate verify failed"):
        get(pool, server.port)
    assert server.requests == []


def test_verify_false_accepts_any_certificate(make_pool: PoolMaker, server: TLSServer) -> None:
    pool = make_pool(verify=False)
    assert get(pool, server.port) == b"hello"


def test_certificate_for_another_host_is_refused(
    make_pool: PoolMaker, server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(verify=cert[0])
    with pytest.raises(TLSError, match=f"localhost:{server.port}.*match"):
        get(pool, server.port, host="localhost")  # the certificate names 127.0.0.1 only


def test_tls_error_is_a_connect_error(make_pool: PoolMaker, server: TLSServer) -> None:
    with pytest.raises(ConnectError):
        get(make_pool(), server.port)


def test_requests_share_one_tls_connection(
    make_pool: PoolMaker, server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(verify=cert[0])
    assert [get(pool, server.port) for _ in range(3)] == [b"hello"] * 3
    assert server.connections == 1


def test_tls_connection_closed_by_the_server_while_idle_is_retried(
    make_pool: PoolMaker, server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(verify=cert[0])
    assert get(pool, server.port, "/drop-after") == b"kept?"  # closed without saying so
    assert pool.get("https", "127.0.0.1", server.port).is_open
    assert get(pool, server.port) == b"hello"
    assert server.connections == 2


def test_large_and_streamed_bodies_cross_tls(
    make_pool: PoolMaker, server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(verify=cert[0])
    connection = pool.get("https", "127.0.0.1", server.port)
    assert connection.request("GET", "/big-chunked").body == BIG
    stream = connection.request("GET", "/big", stream=True).stream
    assert stream is not None
    assert stream.read_all() == BIG
    assert connection.request("GET", "/big-gzip").body == BIG
    assert server.connections == 1


def test_client_certificate_is_presented(
    make_pool: PoolMaker, mutual_server: TLSServer, cert: tuple[str, str], tmp_path: Path
) -> None:
    combined = tmp_path / "client.pem"
    combined.write_text(Path(cert[0]).read_text() + Path(cert[1]).read_text())
    for client_cert in (cert, str(combined)):
        pool = make_pool(verify=cert[0], cert=client_cert)
        assert get(pool, mutual_server.port) == b"hello"
    assert mutual_server.connections == 2


def test_missing_client_certificate_is_a_tls_error(
    make_pool: PoolMaker, mutual_server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(verify=cert[0])
    with pytest.raises(TLSError, match=f"127.0.0.1:{mutual_server.port}"):
        get(pool, mutual_server.port)
    assert mutual_server.requests == []


def test_slow_tls_server_raises_read_timeout(
    make_pool: PoolMaker, server: TLSServer, cert: tuple[str, str]
) -> None:
    pool = make_pool(0.05, verify=cert[0])
    with pytest.raises(ReadTimeout, match="no response within"):
        get(pool, server.port, "/slow")
    assert not pool.get("https", "127.0.0.1", server.port).is_open


def test_handshake_that_never_answers_times_out(make_pool: PoolMaker) -> None:
    with socket.socket() as listener:
        # The kernel completes the TCP connect from its backlog; nobody ever answers the hello.
        listener.bind(("127.0.0.1", 0))
        listener.listen(1)
        pool = make_pool(0.05, verify=False)
        with pytest.raises(ConnectTimeout, match="timed out"):
            get(pool, listener.getsockname()[1])


def test_http_stays_plain_and_other_schemes_are_refused(
    make_pool: PoolMaker, cert: tuple[str, str]
) -> None:
    plain = RawServer()
    plain.start()
    try:
        pool = make_pool(verify=cert[0])
        assert pool.get("http", "127.0.0.1", plain.port).request("GET", "/").body == b"hello"
    finally:
        plain.stop()
    with pytest.raises(ValueError, match="'ftp'"):
        pool.get("ftp", "127.0.0.1", 21)


def test_https_host_header_leaves_out_the_default_port(make_pool: PoolMaker) -> None:
    pool = make_pool(verify=False)
    assert pool.get("https", "example.com", 443).host_header == "example.com"
    assert pool.get("https", "example.com", 8443).host_header == "example.com:8443"


def test_missing_ca_file_is_refused_when_the_factory_is_made(tmp_path: Path) -> None:
    with pytest.raises(OSError):
        connection_factory(verify=str(tmp_path / "missing.pem"))
