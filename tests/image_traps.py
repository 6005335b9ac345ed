"""Images that would show a renderer reading from the server: a real PNG file, /etc/passwd, a
named pipe (opening it blocks) and a URL on a loopback HTTP server that records requests."""

import os
import threading
from contextlib import contextmanager
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest
from PIL import Image


@dataclass
class Traps:
    markdown: str
    fifo: Path
    url: str
    requests: list[str]


@contextmanager
def image_traps(folder: Path):
    png = folder / "graph.png"
    Image.new("RGB", (8, 8), "red").save(png)
    fifo = folder / "pipe.png"
    os.mkfifo(fifo)
    requests: list[str] = []

    class Handler(BaseHTTPRequestHandler):
        def do_GET(self):  # noqa: N802 - http.server's name
            requests.append(self.path)
            self.send_response(200)
            self.send_header("Content-Type", "image/png")
            self.end_headers()

        def log_message(self, *args):
            pass

    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    threading.Thread(target=server.serve_forever, daemon=True).start()
    url = f"http://127.0.0.1:{server.server_address[1]}/graph.png"
    markdown = (
        f"Graphs:\n\n![graph]({png})\n\n![users](/etc/passwd)\n\n![pipe]({fifo})\n\n"
        f"![remote]({url})\n"
    )
    try:
        yield Traps(markdown, fifo, url, requests)
    finally:
        server.shutdown()
        server.server_close()


def finishes_quickly(render, fifo: Path):
    """Run `render`. A watchdog releases a render blocked opening the named pipe (by opening
    its other end) and the test then fails; a render that never opens it is never waited for."""
    done, released = threading.Event(), threading.Event()

    def watch():
        if done.wait(timeout=20):
            return
        while not done.is_set():
            try:  # succeeds only while someone waits to read the pipe
                os.close(os.open(fifo, os.O_WRONLY | os.O_NONBLOCK))
                released.set()
            except OSError:
                done.wait(timeout=0.1)

    watchdog = threading.Thread(target=watch, daemon=True)
    watchdog.start()
    try:
        return render()
    finally:
        done.set()
        watchdog.join()
        if released.is_set():
            pytest.fail("the renderer opened the named pipe")
