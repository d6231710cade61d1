"""A real local HTTP receiver for the webhook tests, and the settings that let webhooks
call it (a loopback address is refused by default)."""

from __future__ import annotations

import json
import threading
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest

# The live workers of these tests: the sharing tests' own fixture.
from tests.sharing.conftest import qcluster  # noqa: F401


@dataclass
class Received:
    path: str
    headers: dict[str, str]
    body: bytes

    @property
    def json(self) -> dict:
        return json.loads(self.body)


@dataclass
class Receiver:
    """Answers each POST with `status` (or the next of `statuses`), records what it got."""

    status: int = 200
    statuses: list[int] = field(default_factory=list)
    headers: dict[str, str] = field(default_factory=dict)
    received: list[Received] = field(default_factory=list)
    url: str = ""
    hold: threading.Event | None = None  # set: answers only once it is released
    lock: threading.Lock = field(default_factory=threading.Lock)

    def events(self, topic: str | None = None) -> list[dict]:
        with self.lock:
            bodies = [r.json for r in self.received]
        return [b for b in bodies if topic is None or b.get("topic") == topic]


def _handler(receiver: Receiver):
    class Handler(BaseHTTPRequestHandler):
        def do_POST(self):  # noqa: N802 — http.server's name
            body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
            with receiver.lock:
                receiver.received.append(Received(self.path, dict(self.headers), body))
                status = receiver.statuses.pop(0) if receiver.statuses else receiver.status
            if receiver.hold is not None:
                receiver.hold.wait(30)
            answer = json.dumps({"recebido": status < 300, "status": status}).encode()
            self.send_response(status)
            for name, value in receiver.headers.items():
                self.send_header(name, value)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(answer)))
            self.end_headers()
            self.wfile.write(answer)

        def log_message(self, *args):
            pass

    return Handler


@pytest.fixture
def receiver():
    yield from _serve()


@pytest.fixture
def other_receiver():
    yield from _serve()


def _serve():
    state = Receiver()
    server = ThreadingHTTPServer(("127.0.0.1", 0), _handler(state))
    state.url = f"http://127.0.0.1:{server.server_address[1]}/omie/webhook"
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield state
    if state.hold is not None:
        state.hold.set()
    server.shutdown()
    server.server_close()


@pytest.fixture
def private_allowed(settings):
    """As an on-premise install would: the receiver is on 127.0.0.1."""
    settings.WEBHOOKS_ALLOW_PRIVATE = True
    settings.WEBHOOKS_RETRY_DELAYS = [0.1, 0.1]
    settings.WEBHOOKS_INLINE_WAIT = 2
    settings.WEBHOOKS_KICK_WINDOW = 0  # deliver() called here returns as soon as the queue is empty


# The workers' settings for the same (they read the environment): the engine's qcluster,
# and the webhooks queue's, which delivers (settings.Q_QUEUE).
WORKER_ENV = {"WEBHOOKS_ALLOW_PRIVATE": "1", "WEBHOOKS_RETRY_DELAYS": "0.3,0.3", "WEBHOOKS_INLINE_WAIT": "2"}
WEBHOOKS_WORKER_ENV = {**WORKER_ENV, "Q_QUEUE": "webhooks"}

