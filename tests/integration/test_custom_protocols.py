"""The custom-protocol examples, run by the real swarm command against real servers.

The servers count what they answered, so each report is checked against the server's own
count: every call made is reported once, and every refused call is reported as a failure.
"""

from __future__ import annotations

import threading
from collections import Counter
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any
from xmlrpc.server import SimpleXMLRPCServer

import pytest
from gevent.server import StreamServer

if TYPE_CHECKING:
    from conftest import SwarmCommand  # tests/integration/conftest.py, the fixture's type only

pytestmark = pytest.mark.integration

EXAMPLES = Path(__file__).resolve().parents[2] / "examples"


def run_example(swarm_cmd: SwarmCommand, example: str, host: str) -> Any:
    """Run ``examples/<example>`` headless for 2 s with 2 users; the finished process."""
    return swarm_cmd.run(
        "-f", str(EXAMPLES / example), "--headless", "-u", "2", "-r", "2", "-t", "2s",
        "-s", "5", "-H", host, "--json-file", "report",
    )  # fmt: skip


def entries_by_name(report: list[dict[str, Any]]) -> dict[str, dict[str, Any]]:
    return {e["name"]: e for e in report}


class CountingXmlRpcServer:
    """An XML-RPC server on 127.0.0.1 with ``add`` and ``divide``, counting calls by method."""

    def __init__(self) -> None:
        self.calls: Counter[str] = Counter()
        self.server = SimpleXMLRPCServer(("127.0.0.1", 0), logRequests=False, allow_none=True)
        self.server.register_function(self._counted("add", lambda a, b: a + b), "add")
        self.server.register_function(self._counted("divide", lambda a, b: a / b), "divide")
        self.thread = threading.Thread(
            target=self.server.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )

    def _counted(self, method: str, func: Callable[..., Any]) -> Callable[..., Any]:
        def counted(*args: Any) -> Any:
            self.calls[method] += 1
            return func(*args)

        return counted

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.server.server_address[1]}/"


@pytest.fixture
def xmlrpc_server() -> Iterator[CountingXmlRpcServer]:
    server = CountingXmlRpcServer()
    server.thread.start()
    yield server
    server.server.shutdown()
    server.server.server_close()
    server.thread.join()


class LineServer:
    """A TCP server on 127.0.0.1 answering each line with ``reply(line)``; counts lines."""

    def __init__(self, reply: Callable[[bytes], bytes]) -> None:
        self.reply = reply
        self.lines: Counter[bytes] = Counter()
        self.connections = 0
        self.server = StreamServer(("127.0.0.1", 0), self._handle)

    def _handle(self, sock: Any, _address: Any) -> None:
        self.connections += 1
        with sock, sock.makefile("rb") as reader:
            for line in reader:
                self.lines[line.split(b" ", 1)[0].strip()] += 1
                sock.sendall(self.reply(line))

    @property
    def host(self) -> str:
        return f"tcp://127.0.0.1:{self.server.server_port}"


@pytest.fixture
def line_server() -> Iterator[Callable[[Callable[[bytes], bytes]], LineServer]]:
    started: list[LineServer] = []

    def start(reply: Callable[[bytes], bytes]) -> LineServer:
        server = LineServer(reply)
        server.server.start()
        started.append(server)
        return server

    yield start
    for server in started:
        server.server.stop()


def test_xmlrpc_calls_are_reported_and_faults_are_failures(
    swarm_cmd: SwarmCommand, xmlrpc_server: CountingXmlRpcServer
) -> None:
    result = run_example(swarm_cmd, "xmlrpc_user.py", xmlrpc_server.url)

    assert result.returncode == 1, result.stderr  # failed requests: exit code on error
    entries = entries_by_name(swarm_cmd.json_report())
    assert set(entries) == {"add", "divide"}
    add, divide = entries["add"], entries["divide"]
    assert add["method"] == divide["method"] == "xmlrpc"
    assert add["num_requests"] == xmlrpc_server.calls["add"] > 0
    assert add["num_failures"] == 0
    assert add["total_content_length"] > 0
    assert divide["num_requests"] == xmlrpc_server.calls["divide"] > 0
    assert divide["num_failures"] == divide["num_requests"]
    assert "Fault" in result.stdout and "division by zero" in result.stdout


def test_line_protocol_exchanges_are_reported_one_per_line(
    swarm_cmd: SwarmCommand, line_server: Callable[..., LineServer]
) -> None:
    server = line_server(lambda line: line)
    result = run_example(swarm_cmd, "raw_tcp_user.py", server.host)

    assert result.returncode == 0, result.stderr
    entries = entries_by_name(swarm_cmd.json_report())
    assert set(entries) == {"connect", "HELLO", "PING"}
    assert all(e["method"] == "tcp" and e["num_failures"] == 0 for e in entries.values())
    assert entries["connect"]["num_requests"] == server.connections == 2
    assert entries["HELLO"]["num_requests"] == server.lines[b"HELLO"] > 0
    assert entries["PING"]["num_requests"] == server.lines[b"PING"] > 0
    # every reply is the line sent back, newline included
    assert entries["PING"]["total_content_length"] == 5 * entries["PING"]["num_requests"]


def test_a_wrong_reply_is_a_failure_of_that_request(
    swarm_cmd: SwarmCommand, line_server: Callable[..., LineServer]
) -> None:
    server = line_server(lambda line: line.upper())  # "HELLO swarm" comes back changed
    result = run_example(swarm_cmd, "raw_tcp_user.py", server.host)

    assert result.returncode == 1, result.stderr
    entries = entries_by_name(swarm_cmd.json_report())
    assert entries["HELLO"]["num_failures"] == entries["HELLO"]["num_requests"] > 0
    assert entries["PING"]["num_failures"] == 0
    assert "expected 'HELLO swarm', got 'HELLO SWARM'" in result.stdout
