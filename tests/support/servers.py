"""Real servers on 127.0.0.1 for tests: llama.cpp's OpenAI-compatible server and small fakes."""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_http(url: str, timeout: float = 120.0, proc: subprocess.Popen | None = None) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc is not None and proc.poll() is not None:
            raise RuntimeError(f"server exited early with code {proc.returncode}")
        try:
            with urllib.request.urlopen(url, timeout=2):
                return
        except OSError as exc:
            if getattr(exc, "code", None):  # an HTTP error still means the server is up
                return
            time.sleep(0.3)
    raise TimeoutError(f"{url} did not come up within {timeout} s")


class LlamaServer:
    """`python -m companion.llm.serve` (llama_cpp.server with our CPU guard) on a GGUF file, on a free loopback port."""

    def __init__(self, model_path: str, *, api_key: str | None = None, model_alias: str = "tiny"):
        self.port = free_port()
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        cmd = [sys.executable, "-m", "companion.llm.serve", "--model", model_path,
               "--host", "127.0.0.1", "--port", str(self.port), "--n_ctx", "1024",
               "--n_threads", "1", "--model_alias", model_alias, "--verbose", "False"]
        if api_key:
            cmd += ["--api_key", api_key]
        self.proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        try:
            wait_http(f"http://127.0.0.1:{self.port}/v1/models", proc=self.proc)
        except Exception:
            self.stop()
            raise

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()


class RecordingServer:
    """An OpenAI-compatible stub on 127.0.0.1 that records request headers and can misbehave.

    `behaviour` is a list consumed per request: "ok", "ok-stream", "401", "404", "429", "500",
    "half-stream", "bad-sse", "hang".
    """

    def __init__(self, behaviour: list[str] | None = None, reply: str = "What matters most here?"):
        self.requests: list[dict] = []
        self.behaviour = list(behaviour or [])
        self.reply = reply
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_GET(self):
                outer.requests.append({"path": self.path, "headers": dict(self.headers)})
                self._json(200, {"object": "list", "data": [{"id": "stub", "object": "model"}]})

            def do_POST(self):
                length = int(self.headers.get("Content-Length") or 0)
                body = json.loads(self.rfile.read(length) or b"{}")
                outer.requests.append({"path": self.path, "headers": dict(self.headers), "body": body})
                mode = outer.behaviour.pop(0) if outer.behaviour else ("ok-stream" if body.get("stream") else "ok")
                if mode in {"401", "404", "429", "500"}:
                    self._json(int(mode), {"error": {"message": f"stub {mode}", "type": "error"}})
                elif mode == "hang":
                    time.sleep(30)
                elif mode == "ok":
                    self._json(200, {
                        "id": "x", "object": "chat.completion", "created": 0, "model": "stub",
                        "choices": [{"index": 0, "finish_reason": "stop",
                                     "message": {"role": "assistant", "content": outer.reply}}],
                    })
                else:
                    self._stream(mode)

            def _json(self, code, payload):
                data = json.dumps(payload).encode()
                self.send_response(code)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def _stream(self, mode):
                self.send_response(200)
                self.send_header("Content-Type", "text/event-stream")
                self.send_header("Transfer-Encoding", "chunked")
                self.end_headers()
                words = outer.reply.split(" ")
                for i, word in enumerate(words):
                    if mode == "half-stream" and i == len(words) // 2:
                        self.wfile.flush()
                        self.connection.shutdown(socket.SHUT_RDWR)
                        return
                    piece = word + (" " if i < len(words) - 1 else "")
                    event = {"id": "x", "object": "chat.completion.chunk", "created": 0, "model": "stub",
                             "choices": [{"index": 0, "delta": {"content": piece}, "finish_reason": None}]}
                    line = f"data: {json.dumps(event)}\n\n"
                    if mode == "bad-sse" and i == 1:
                        line = "data: {not json at all\n\n"
                    self._chunk(line.encode())
                self._chunk(b"data: [DONE]\n\n")
                self._chunk(b"")

            def _chunk(self, data: bytes):
                self.wfile.write(f"{len(data):x}\r\n".encode() + data + b"\r\n")
                self.wfile.flush()

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.base_url = f"http://127.0.0.1:{self.port}/v1"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()
