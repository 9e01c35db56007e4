"""A real HTTP server on loopback for tests that send requests out (webhooks, calendar
feeds)."""

from __future__ import annotations

import contextlib
import threading
from collections.abc import Callable, Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any


@contextlib.contextmanager
def http_server(
    handle: Callable[[BaseHTTPRequestHandler], None], *, method: str = "POST"
) -> Iterator[str]:
    """Serve on 127.0.0.1 (a free port), calling ``handle(request)`` for every request of
    ``method`` (webhooks POST; calendar feeds are read with GET), and yield the base URL
    (``http://127.0.0.1:<port>/hooks/``)."""

    class Handler(BaseHTTPRequestHandler):
        def answer(self) -> None:
            with contextlib.suppress(OSError):  # the sender went away mid-answer
                handle(self)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    setattr(Handler, f"do_{method}", Handler.answer)
    server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}/hooks/"
    finally:
        server.shutdown()
        server.server_close()
