"""A small OpenAI-compatible chat-completions server on 127.0.0.1 for tests of
the real litellm path. Replies are scripted: each request pops the next one,
or, with ``responder``, a function of the request writes the reply (a judge
that reads the answer it was sent). ``flavour="ollama"`` serves Ollama's
model list (``GET /api/tags``) instead of ``/v1/models``, for detection tests."""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass, field
from email.message import Message
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable


@dataclass
class Scripted:
    status: int = 200
    content: str = ""  # the assistant message (for 200)
    delay_s: float = 0.0
    body: dict | None = None  # a raw body instead of a completion


@dataclass
class ChatServer:
    replies: list[Scripted] = field(default_factory=list)
    requests: list[dict] = field(default_factory=list)
    # Request headers as received: HTTP header names are case-insensitive, and
    # so is Message.get().
    headers: list[Message] = field(default_factory=list)
    responder: Callable[[dict], str] | None = None  # request -> assistant message
    models: list[str] = field(default_factory=lambda: ["test-model"])
    flavour: str = "openai"  # or "ollama"
    list_delay_s: float = 0.0  # a slow model list (detection timeouts)
    gets: list[str] = field(default_factory=list)

    def start(self) -> "ChatServer":
        server = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args):  # keep test output clean
                pass

            def _send(self, status: int, body: dict) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                try:
                    self.wfile.write(data)
                except (BrokenPipeError, ConnectionResetError):
                    pass

            def do_GET(self):
                server.gets.append(self.path)
                if server.list_delay_s:
                    time.sleep(server.list_delay_s)
                if server.flavour == "openai" and self.path.rstrip("/").endswith("/models"):
                    self._send(200, {"object": "list", "data": [{"id": m, "object": "model"} for m in server.models]})
                elif server.flavour == "ollama" and self.path.rstrip("/") == "/api/tags":
                    self._send(200, {"models": [{"name": m, "model": m, "size": 1} for m in server.models]})
                else:
                    self._send(404, {"error": {"message": "not found"}})

            def do_POST(self):
                length = int(self.headers.get("Content-Length", 0))
                req = json.loads(self.rfile.read(length) or b"{}")
                server.requests.append(req)
                server.headers.append(self.headers)
                if server.replies:
                    reply = server.replies.pop(0)
                elif server.responder is not None:
                    reply = Scripted(content=server.responder(req))
                else:
                    reply = Scripted(500, body={"error": {"message": "no scripted reply"}})
                if reply.delay_s:
                    time.sleep(reply.delay_s)
                if reply.body is not None:
                    self._send(reply.status, reply.body)
                    return
                if reply.status != 200:
                    self._send(reply.status, {"error": {"message": f"scripted error {reply.status}", "type": "test", "code": reply.status}})
                    return
                self._send(200, {
                    "id": "chatcmpl-test", "object": "chat.completion", "created": int(time.time()), "model": req.get("model", "test-model"),
                    "choices": [{"index": 0, "message": {"role": "assistant", "content": reply.content}, "finish_reason": "stop"}],
                    "usage": {"prompt_tokens": 10, "completion_tokens": 10, "total_tokens": 20},
                })

        self._httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self._httpd.daemon_threads = True
        self.port = self._httpd.server_address[1]
        self._thread = threading.Thread(target=self._httpd.serve_forever, daemon=True)
        self._thread.start()
        return self

    @property
    def address(self) -> str:
        return f"127.0.0.1:{self.port}"

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def stop(self) -> None:
        self._httpd.shutdown()
        self._httpd.server_close()
