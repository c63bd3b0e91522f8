"""Swarm processes under test: output collected line by line, waits bounded by a timeout."""

from __future__ import annotations

import re
import socket
import subprocess

import gevent
from gevent.event import Event

#: A userfile most integration tests load the demo shop with: two GETs, back to back.
SHOPPER = """
    from swarm import HttpUser, constant, task

    class Shopper(HttpUser):
        wait_time = constant(0.02)

        @task(3)
        def products(self):
            self.client.get("/products")

        @task(1)
        def product(self):
            self.client.get("/product/3", name="/product/[id]")
"""

#: A bound on any wait for a process or a log line: a broken run fails instead of hanging.
LIMIT_S = 60


def free_port() -> int:
    """A TCP port that was free on 127.0.0.1 a moment ago."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class Node:
    """A swarm process whose output is collected line by line as it comes."""

    def __init__(self, proc: subprocess.Popen[str]) -> None:
        self.proc = proc
        self.out: list[str] = []
        self.err: list[str] = []
        self._news = Event()  # set whenever a line arrives or a stream ends
        self._readers = [
            gevent.spawn(self._read, proc.stdout, self.out),
            gevent.spawn(self._read, proc.stderr, self.err),
        ]

    def _read(self, stream, lines: list[str]) -> None:  # type: ignore[no-untyped-def]
        for line in stream:
            lines.append(line)
            self._news.set()
        self._news.set()

    def wait_for(self, pattern: str, stream: str = "stderr") -> re.Match[str]:
        """The first line of ``stream`` matching ``pattern``, once it has been written."""
        lines, reader = (self.err, self._readers[1]) if stream == "stderr" else (
            self.out, self._readers[0])  # fmt: skip
        regex = re.compile(pattern)
        with gevent.Timeout(LIMIT_S, AssertionError(f"no {pattern!r} in:\n{self.stderr}")):
            seen = 0
            while True:
                for line in lines[seen:]:
                    match = regex.search(line)
                    if match:
                        return match
                seen = len(lines)
                if reader.dead:
                    raise AssertionError(f"exited before {pattern!r}:\n{self.stderr}")
                self._news.clear()
                if len(lines) == seen and not reader.dead:
                    self._news.wait()

    def finish(self) -> int:
        """Wait for the process to exit by itself and for its output to be read."""
        code = self.proc.wait(timeout=LIMIT_S)
        gevent.joinall(self._readers, timeout=LIMIT_S)
        return code

    @property
    def stdout(self) -> str:
        return "".join(self.out)

    @property
    def stderr(self) -> str:
        return "".join(self.err)
