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


def raw_html(url: str) -> str:
    """Markdown that a viewer honouring raw HTML and any image scheme would make load `url`
    or a server file: every element that fetches, an HTML block, and images of schemes our
    own parser refuses."""
    return "\n\n".join(
        [
            f'Inline <img src="{url}" alt="graph"> in a sentence.',
            "![passwd](file:///etc/passwd) and ![dot](data:image/svg+xml;base64,PHN2Zy8+)",
            f'<picture><source srcset="{url}"><img src="{url}"></picture>',
            f'<video src="{url}" poster="{url}"></video> <audio src="{url}"></audio>',
            f'<iframe src="{url}"></iframe>',
            f'<object data="{url}"></object><embed src="{url}">',
            f'<link rel="stylesheet" href="{url}">',
            f'<svg><image href="{url}"/></svg>',
            f'<div>\n<img src="{url}">\n</div>',
        ]
    )


# The elements a Markdown viewer draws for Markdown itself: none of them loads anything.
MARKDOWN_ELEMENTS = {"p", "a", "code", "pre", "em", "strong", "ul", "ol", "li", "blockquote"}
MARKDOWN_ELEMENTS |= {"h1", "h2", "h3", "h4", "h5", "h6", "hr", "br"}


def viewer_elements(markdown: str) -> set[str]:
    """The elements a lenient Markdown viewer (raw HTML honoured, any link scheme) draws."""
    from html.parser import HTMLParser

    from markdown_it import MarkdownIt

    viewer = MarkdownIt("commonmark", {"html": True})
    viewer.validateLink = lambda url: True
    found: set[str] = set()

    class Elements(HTMLParser):
        def handle_starttag(self, tag, attrs):
            found.add(tag)

    Elements().feed(viewer.render(markdown))
    return found
