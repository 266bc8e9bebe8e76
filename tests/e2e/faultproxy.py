"""A TCP proxy that injects network faults between a replicator and central.

Each accepted connection gets a fate drawn from a seeded generator: pass through, refuse (close
at once), delay, reset in the middle of the request body, or truncate the response. Runs an
asyncio loop in a thread of its own; ``faulty = False`` lets everything through (the network
heals).
"""

from __future__ import annotations

import asyncio
import random
import threading
from collections import Counter

FATES = ("pass", "pass", "refuse", "delay", "reset_request", "truncate_response")


class FaultProxy:
    def __init__(self, target_port: int, seed: int) -> None:
        self.target_port = target_port
        self.faulty = True
        self.fates: Counter[str] = Counter()
        self._rng = random.Random(seed)
        self._loop = asyncio.new_event_loop()
        self._ready = threading.Event()
        self._thread = threading.Thread(target=self._run, name="fault-proxy", daemon=True)
        self.port = 0

    @property
    def injected(self) -> int:
        """Connections that met a fault so far."""
        return sum(n for fate, n in self.fates.items() if fate != "pass")

    def start(self) -> str:
        self._thread.start()
        self._ready.wait(10)
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        self._loop.call_soon_threadsafe(self._loop.stop)
        self._thread.join(10)

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)
        server = self._loop.run_until_complete(asyncio.start_server(self._handle, "127.0.0.1", 0))
        self.port = server.sockets[0].getsockname()[1]
        self._ready.set()
        try:
            self._loop.run_forever()
        finally:
            server.close()
            self._loop.close()

    def _fate(self) -> str:
        fate = self._rng.choice(FATES) if self.faulty else "pass"
        self.fates[fate] += 1
        return fate

    async def _handle(self, client_r: asyncio.StreamReader, client_w: asyncio.StreamWriter):
        fate = self._fate()
        try:
            if fate == "refuse":
                return
            if fate == "delay":
                await asyncio.sleep(self._rng.uniform(0.1, 1.5))
            try:
                up_r, up_w = await asyncio.open_connection("127.0.0.1", self.target_port)
            except OSError:
                return  # central is down: the client sees its connection closed
            budget = self._rng.randint(50, 4000)
            upload = self._pipe(client_r, up_w, budget if fate == "reset_request" else None)
            download = self._pipe(up_r, client_w, budget if fate == "truncate_response" else None)
            await asyncio.wait(
                [asyncio.ensure_future(upload), asyncio.ensure_future(download)],
                return_when=asyncio.FIRST_COMPLETED,
            )
            up_w.close()
        except (ConnectionError, OSError):
            pass
        finally:
            client_w.close()

    @staticmethod
    async def _pipe(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter, limit: int | None
    ) -> None:
        """Copy bytes until EOF, or until ``limit`` bytes have passed (then cut)."""
        sent = 0
        try:
            while True:
                chunk = await reader.read(4096)
                if not chunk:
                    return
                if limit is not None and sent + len(chunk) >= limit:
                    writer.write(chunk[: max(0, limit - sent)])
                    await writer.drain()
                    return
                writer.write(chunk)
                await writer.drain()
                sent += len(chunk)
        except (ConnectionError, OSError):
            return
