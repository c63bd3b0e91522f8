"""``python -m swarm.demo`` as a real process: serves, and exits cleanly on a signal."""

from __future__ import annotations

import signal
import subprocess
import sys
from collections.abc import Iterator

import gevent
import pytest
import requests

from swarm.demo import DemoTarget

pytestmark = pytest.mark.integration

#: A safety net against a hung process, never a way to wait for something.
LIMIT_S = 30


@pytest.fixture
def demo_process() -> Iterator[subprocess.Popen[str]]:
    process = subprocess.Popen(
        [sys.executable, "-m", "swarm.demo", "--port", "0", "--latency-scale", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    yield process
    if process.poll() is None:
        process.kill()
        process.wait(LIMIT_S)
    for stream in (process.stdout, process.stderr):
        if stream is not None:
            stream.close()


@pytest.mark.parametrize("sig", [signal.SIGTERM, signal.SIGINT])
def test_it_serves_until_a_signal_and_exits_cleanly(
    demo_process: subprocess.Popen[str], sig: signal.Signals
) -> None:
    assert demo_process.stdout is not None and demo_process.stderr is not None
    with gevent.Timeout(LIMIT_S):
        banner = demo_process.stdout.readline()
    url = banner.split(" on ")[1].split()[0]
    assert url.startswith("http://127.0.0.1:")
    assert requests.get(f"{url}/products").status_code == 200
    demo_process.send_signal(sig)
    assert demo_process.wait(LIMIT_S) == 0
    assert "Traceback" not in demo_process.stderr.read()


def test_a_taken_port_is_an_error_not_a_traceback() -> None:
    with DemoTarget(latency_scale=0) as taken:
        port = taken.port
        done = subprocess.run(
            [sys.executable, "-m", "swarm.demo", "--port", str(port)],
            capture_output=True,
            text=True,
            timeout=LIMIT_S,
            check=False,
        )
    assert done.returncode == 1
    assert f"cannot listen on 127.0.0.1:{port}" in done.stderr
    assert "Traceback" not in done.stderr
