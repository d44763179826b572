"""A tiny webhook receiver on 127.0.0.1 for tests and the bench: records every POST (headers, body,
arrival time) and answers from a script of statuses (200 once the script is used up)."""
from __future__ import annotations

import http.server
import threading
import time


class Receiver:
    def __init__(self, path: str = "/hooks/records") -> None:
        self.script: list[tuple[int, dict[str, str]]] = []
        self.received: list[tuple[dict[str, str], bytes, float]] = []
        self.arrived = threading.Condition()
        receiver = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def do_POST(self):  # noqa: N802 — http.server's name
                body = self.rfile.read(int(self.headers.get("content-length") or 0))
                with receiver.arrived:
                    receiver.received.append(({k.lower(): v for k, v in self.headers.items()}, body, time.time()))
                    status, headers = receiver.script.pop(0) if receiver.script else (200, {})
                    receiver.arrived.notify_all()
                reply = f"answer {status} ".encode() + b"x" * 3000  # longer than the 1 KB the log keeps
                self.send_response(status)
                for name, value in headers.items():
                    self.send_header(name, value)
                self.send_header("content-length", str(len(reply)))
                self.end_headers()
                self.wfile.write(reply)

            def log_message(self, *args):
                pass

        self.server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}{path}"
        threading.Thread(target=self.server.serve_forever, daemon=True, name="receiver").start()

    def wait_for(self, count: int, timeout: float) -> list[tuple[dict[str, str], bytes, float]]:
        """The first `count` requests, once they have come (a deadline, not a sleep)."""
        with self.arrived:
            self.arrived.wait_for(lambda: len(self.received) >= count, timeout=timeout)
            return list(self.received)

    def close(self) -> None:
        self.server.shutdown()
        self.server.server_close()
