"""A real HTTP server that answers 200 and then sends its body one byte every `interval` seconds,
for ever: what issue 9 used to hold a verifier's fetches (the timeout applied per socket read).

    with SlowServer() as slow:
        slow.url            # http://127.0.0.1:PORT/credential.json
        slow.connections    # how many clients it is holding now
"""

from __future__ import annotations

import socket
import threading
from types import TracebackType


class SlowServer:
    def __init__(self, interval: float = 2.0) -> None:
        self.interval = interval
        self._listener = socket.create_server(("127.0.0.1", 0))
        self._listener.settimeout(0.1)  # accept() wakes up to notice stop()
        self.port = int(self._listener.getsockname()[1])
        self._stop = threading.Event()
        self._lock = threading.Lock()
        self._clients: list[socket.socket] = []
        self._threads: list[threading.Thread] = []

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/credential.json"

    @property
    def origin(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def connections(self) -> int:
        with self._lock:
            return len(self._clients)

    def __enter__(self) -> SlowServer:
        accept = threading.Thread(target=self._accept, name="slow-server", daemon=True)
        accept.start()
        self._threads.append(accept)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()

    def stop(self) -> None:
        """Close every connection and stop (idempotent)."""
        self._stop.set()
        with self._lock:
            for client in self._clients:
                client.close()
        for thread in self._threads:
            thread.join(timeout=10)
        self._listener.close()

    def _accept(self) -> None:
        while not self._stop.is_set():
            try:
                client, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            client.settimeout(None)
            with self._lock:
                self._clients.append(client)
            trickle = threading.Thread(target=self._trickle, args=(client,), daemon=True)
            trickle.start()
            self._threads.append(trickle)

    def _trickle(self, client: socket.socket) -> None:
        try:
            client.recv(65536)
            client.sendall(
                b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: 1000000\r\n\r\n{"
            )
            while not self._stop.wait(self.interval):
                client.sendall(b" ")
        except OSError:
            pass
        finally:
            client.close()
            with self._lock:
                if client in self._clients:
                    self._clients.remove(client)
