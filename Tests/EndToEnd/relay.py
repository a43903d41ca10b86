"""TCP relays that add latency and stalls to the traffic through them: the chaos runs' slow and lossy network.

This machine's kernel has no netem (nor any other tc qdisc), so latency and loss cannot be put on a link.
Instead a node is started with `STOWAGE_TEST_INTERNODE_ROUTES` naming, for each peer, a relay in front of it
(the server dials that relay instead of the peer), and with `--etcd` naming the relays in front of the etcd
members. Every connection a node opens to a peer or to etcd then runs through one relay, which can:
- delay every chunk of bytes by `delay` seconds plus up to `jitter` more, in order (a slow link);
- with probability `loss` per chunk, hold the stream 0.2–1 s first (what a lost segment costs TCP: a
  retransmission timeout), so calls on one connection stall while those on the others go on, and answers
  arrive out of the order the calls were made.
Settings are per target (a node `n<i>` or an etcd member `e<j>`) and change while connections are open.

With a `cut` function (partition runs, netns.py), a relay also honours the network's cuts: bytes between a
cut pair (the source named by its address) are held until the cut heals, as TCP would retransmit them.
"""

from __future__ import annotations

import asyncio
import random
import threading
import time
from dataclasses import dataclass
from typing import Callable


@dataclass
class Conditions:
    delay: float = 0.0
    jitter: float = 0.0
    loss: float = 0.0


class Relays:
    def __init__(self, host: str, seed: int, cut: Callable[[str, str], bool] | None = None,
                 source_name: Callable[[str], str | None] | None = None) -> None:
        self.host = host
        self.rng = random.Random(f"relay-{seed}")
        self.cut = cut
        self.source_name = source_name or (lambda _address: None)
        self.conditions: dict[str, Conditions] = {}
        self.loop = asyncio.new_event_loop()
        self.thread = threading.Thread(target=self.loop.run_forever, daemon=True)
        self.thread.start()
        self.servers: list[asyncio.base_events.Server] = []
        self.chunks = 0
        self.stalls = 0

    def add(self, target: str, upstream_host: str, upstream_port: int) -> int:
        """A relay to `upstream` for traffic to `target`; returns the port it listens on (on `host`)."""
        self.conditions.setdefault(target, Conditions())

        async def serve(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
            source = self.source_name(writer.get_extra_info("peername")[0])
            try:
                up_reader, up_writer = await asyncio.open_connection(upstream_host, upstream_port)
            except OSError:
                writer.close()
                return
            await asyncio.gather(
                self._pump(reader, up_writer, source, target), self._pump(up_reader, writer, source, target),
                return_exceptions=True)

        async def listen() -> int:
            server = await asyncio.start_server(serve, self.host, 0)
            self.servers.append(server)
            return server.sockets[0].getsockname()[1]

        return asyncio.run_coroutine_threadsafe(listen(), self.loop).result(timeout=10)

    def set(self, targets: list[str], delay: float = 0.0, jitter: float = 0.0, loss: float = 0.0) -> None:
        for target in targets:
            self.conditions[target] = Conditions(delay, jitter, loss)

    def clear(self) -> None:
        for target in self.conditions:
            self.conditions[target] = Conditions()

    def stop(self) -> None:
        async def close() -> None:
            for server in self.servers:
                server.close()
            for task in asyncio.all_tasks():
                if task is not asyncio.current_task():
                    task.cancel()

        try:
            asyncio.run_coroutine_threadsafe(close(), self.loop).result(timeout=10)
        finally:
            self.loop.call_soon_threadsafe(self.loop.stop)
            self.thread.join(timeout=10)

    async def _pump(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter, source: str | None,
                    target: str) -> None:
        """Copies one direction, each chunk released no earlier than its conditions say, in order."""
        queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

        async def deliver() -> None:
            while True:
                release, data = await queue.get()
                if not data:
                    break
                wait = release - time.monotonic()
                if wait > 0:
                    await asyncio.sleep(wait)
                while self.cut is not None and source is not None and self.cut(source, target):
                    await asyncio.sleep(0.05)
                writer.write(data)
                await writer.drain()
            writer.close()

        sender = asyncio.ensure_future(deliver())
        last = 0.0
        try:
            while True:
                data = await reader.read(1 << 16)
                conditions = self.conditions.get(target, Conditions())
                hold = conditions.delay + self.rng.uniform(0, conditions.jitter)
                if data and conditions.loss and self.rng.random() < conditions.loss:
                    hold += self.rng.uniform(0.2, 1.0)
                    self.stalls += 1
                self.chunks += 1
                last = max(last, time.monotonic() + hold)
                await queue.put((last, data))
                if not data:
                    break
        except (ConnectionError, asyncio.CancelledError):
            await queue.put((0.0, b""))
        await sender
