"""Network namespaces for partition tests: every stowage node and etcd member in its own namespace, joined
by veth pairs to one bridge in the test's namespace (where the clients run), on a private /24.

Partitions are routes: a namespace that must not reach an address routes it via a gateway that does not
exist, so its packets vanish without an error (as on a cut cable: a connection stalls, then the peer's ARP
fails), while every other path stays up. `partition([["n1", "n2"], ["n3", "n4", "e0"]])` cuts every pair
across the groups (members of no group keep every link); `heal()` removes every cut. Clients in the test's
namespace reach every member all along, so a node cut off from its peers and etcd still answers clients:
the case where it must answer 503 rather than a wrong answer.

Needs root (CAP_NET_ADMIN) and iproute2; `available()` says whether this machine can. Every name carries a
random tag, so concurrent runs on one machine do not collide; `stop()` deletes what `start()` made.
"""

from __future__ import annotations

import random
import subprocess


def _ip(*args: str, check: bool = True) -> subprocess.CompletedProcess:
    return subprocess.run(["ip", *args], capture_output=True, text=True, check=check)


def available() -> bool:
    """Whether namespaces can be made here (root with iproute2)."""
    tag = f"stowprobe{random.randrange(1 << 16):04x}"
    try:
        if _ip("netns", "add", tag, check=False).returncode != 0:
            return False
        _ip("netns", "del", tag, check=False)
        return True
    except FileNotFoundError:
        return False


class Network:
    """Members named `n1`…`nN` (nodes) and `e0`…`eM-1` (etcd members)."""

    def __init__(self, nodes: int, etcd_members: int = 1) -> None:
        rng = random.SystemRandom()
        self.tag = f"{rng.randrange(1 << 16):04x}"
        self.prefix = f"10.{rng.randrange(100, 200)}.{rng.randrange(256)}"
        self.names = [f"n{i + 1}" for i in range(nodes)] + [f"e{j}" for j in range(etcd_members)]
        self.bridge = f"stb{self.tag}"
        self.dead_gateway = f"{self.prefix}.253"
        self.cuts: set[tuple[str, str]] = set()
        self.started = False

    def address(self, name: str) -> str:
        number = int(name[1:]) if name.startswith("n") else 100 + int(name[1:])
        return f"{self.prefix}.{number}"

    def name_of(self, address: str) -> str | None:
        """The member an address belongs to (the inverse of `address`), if any."""
        if not address.startswith(self.prefix + "."):
            return None
        number = int(address.rsplit(".", 1)[1])
        if 1 <= number < 100:
            return f"n{number}"
        if 100 <= number < 200:
            return f"e{number - 100}"
        return None

    def namespace(self, name: str) -> str:
        return f"stow-{self.tag}-{name}"

    def exec_prefix(self, name: str) -> list[str]:
        """Runs a command inside `name`'s namespace (`ip netns exec` execs it: the PID is the command's)."""
        return ["ip", "netns", "exec", self.namespace(name)]

    def start(self) -> "Network":
        self.started = True
        _ip("link", "add", self.bridge, "type", "bridge")
        _ip("addr", "add", f"{self.prefix}.254/24", "dev", self.bridge)
        _ip("link", "set", self.bridge, "up")
        for name in self.names:
            ns, outside, inside = self.namespace(name), f"st{self.tag}{name}", f"st{self.tag}{name}p"
            _ip("netns", "add", ns)
            _ip("link", "add", outside, "type", "veth", "peer", "name", inside)
            _ip("link", "set", outside, "master", self.bridge)
            _ip("link", "set", outside, "up")
            _ip("link", "set", inside, "netns", ns)
            _ip("-n", ns, "link", "set", inside, "name", "eth0")
            _ip("-n", ns, "addr", "add", f"{self.address(name)}/24", "dev", "eth0")
            _ip("-n", ns, "link", "set", "eth0", "up")
            _ip("-n", ns, "link", "set", "lo", "up")
        return self

    def cut(self, a: str, b: str) -> None:
        """Drops every packet between `a` and `b`, both ways."""
        for source, target in ((a, b), (b, a)):
            if (source, target) in self.cuts:
                continue
            _ip("-n", self.namespace(source), "route", "replace", f"{self.address(target)}/32", "via", self.dead_gateway)
            self.cuts.add((source, target))

    def uncut(self, a: str, b: str) -> None:
        """Restores the link between `a` and `b`, both ways."""
        for source, target in ((a, b), (b, a)):
            if (source, target) in self.cuts:
                _ip("-n", self.namespace(source), "route", "del", f"{self.address(target)}/32", check=False)
                _ip("-n", self.namespace(source), "neigh", "flush", "all", check=False)
                self.cuts.discard((source, target))

    def partition(self, groups: list[list[str]]) -> None:
        """Cuts every pair of members in different groups."""
        for index, group in enumerate(groups):
            for other in groups[index + 1:]:
                for a in group:
                    for b in other:
                        self.cut(a, b)

    def isolate(self, name: str) -> None:
        """Cuts `name` from every other member (clients still reach it)."""
        for other in self.names:
            if other != name:
                self.cut(name, other)

    def heal(self) -> None:
        for source, target in sorted(self.cuts):
            _ip("-n", self.namespace(source), "route", "del", f"{self.address(target)}/32", check=False)
        for name in {source for source, _ in self.cuts}:
            # Forget the neighbours whose resolution failed during the cut, so traffic resumes at once.
            _ip("-n", self.namespace(name), "neigh", "flush", "all", check=False)
        self.cuts.clear()

    def stop(self) -> None:
        if not self.started:
            return
        for name in self.names:
            _ip("netns", "del", self.namespace(name), check=False)
            # Gone with the namespace, unless a process kept it alive a moment longer.
            _ip("link", "del", f"st{self.tag}{name}", check=False)
        _ip("link", "del", self.bridge, check=False)
        self.started = False
