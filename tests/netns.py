"""A small private network of Linux network namespaces: one "host" per swarm process.

Each host is a namespace with one veth link to a bridge living in a hub namespace. The root
namespace gets nothing but an ``unreachable`` route for the subnet, so no packet of these
hosts can leave the machine. Creating namespaces needs root and iproute2; ``available()``
says why not when they are missing, for the test to skip with that reason.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import uuid
from collections.abc import Sequence

#: A subnet that no real network of the test machines uses; SWARM_TEST_SUBNET overrides it.
SUBNET = os.environ.get("SWARM_TEST_SUBNET", "10.231.7")


def available() -> str | None:
    """None when namespaces can be made here, else the reason they cannot."""
    if os.geteuid() != 0:
        return "network namespaces need root"
    if shutil.which("ip") is None:
        return "network namespaces need iproute2 (the ip command)"
    return None


def _ip(*args: str) -> None:
    subprocess.run(["ip", *args], check=True, capture_output=True, text=True, timeout=30)


class Network:
    """Hosts by name, with addresses ``SUBNET.<n>``; ``cut(name)`` pulls a host's cable."""

    def __init__(self, hosts: dict[str, int]) -> None:
        tag = uuid.uuid4().hex[:6]
        self.prefix = f"sw{tag}"
        self.hub = f"{self.prefix}-hub"
        self.addresses = {name: f"{SUBNET}.{n}" for name, n in hosts.items()}
        self.namespaces = {name: f"{self.prefix}-{name}" for name in hosts}
        self._made: list[str] = []
        self._guarded = False

    def up(self) -> Network:
        _ip("route", "replace", "unreachable", f"{SUBNET}.0/24")
        self._guarded = True
        self._add_namespace(self.hub)
        _ip("-n", self.hub, "link", "add", "br0", "type", "bridge")
        _ip("-n", self.hub, "link", "set", "br0", "up")
        for index, (name, ns) in enumerate(self.namespaces.items()):
            self._add_namespace(ns)
            peer = f"{self.prefix}v{index}"  # interface names: at most 15 characters
            _ip("-n", ns, "link", "add", "eth0", "type", "veth", "peer", "name", peer,
                "netns", self.hub)  # fmt: skip
            _ip("-n", self.hub, "link", "set", peer, "master", "br0")
            _ip("-n", self.hub, "link", "set", peer, "up")
            _ip("-n", ns, "addr", "add", f"{self.addresses[name]}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
        return self

    def _add_namespace(self, ns: str) -> None:
        _ip("netns", "add", ns)
        self._made.append(ns)
        _ip("-n", ns, "link", "set", "lo", "up")

    def command(self, host: str, argv: Sequence[str]) -> list[str]:
        """``argv`` run inside ``host``'s namespace (``ip netns exec`` execs: same PID)."""
        return ["ip", "netns", "exec", self.namespaces[host], *argv]

    def cut(self, host: str) -> None:
        _ip("-n", self.namespaces[host], "link", "set", "eth0", "down")

    def down(self) -> None:
        """Delete every namespace this network made (their links and the bridge go with them)."""
        for ns in reversed(self._made):
            subprocess.run(["ip", "netns", "del", ns], check=False, capture_output=True, timeout=30)
        self._made.clear()
        if self._guarded:
            subprocess.run(
                ["ip", "route", "del", "unreachable", f"{SUBNET}.0/24"],
                check=False,
                capture_output=True,
                timeout=30,
            )
            self._guarded = False
