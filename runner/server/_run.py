"""Running the app on uvicorn: in the foreground (``callflow serve``) or on a thread of
its own (``callflow call`` with no server running, and the tests)."""

from __future__ import annotations

import asyncio
import gc
import signal
import socket
import threading
import time
from collections.abc import Callable
from types import FrameType

import uvicorn
from starlette.types import ASGIApp

#: Seconds in-flight requests get to finish when the server stops (Ctrl-C).
GRACEFUL_SHUTDOWN_SECONDS = 10
#: How often a serving process looks whether a signal asked it to stop, in seconds.
STOP_POLL_SECONDS = 0.05
#: New objects between two young garbage collections in ``callflow serve`` (Python: 700).
YOUNG_COLLECTION_EVERY = 10_000


def bind(host: str, port: int) -> socket.socket:
    """A listening socket; OSError (the port is taken, say) before anything else starts."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    # IPPROTO_TCP named outright: asyncio turns Nagle's algorithm off (TCP_NODELAY) only
    # on sockets that say they are TCP. Without it every answer written in pieces waits
    # ~40 ms for the client's delayed ACK.
    sock = socket.socket(family, socket.SOCK_STREAM, socket.IPPROTO_TCP)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    try:
        sock.bind((host, port))
        sock.listen(2048)
    except OSError:
        sock.close()
        raise
    sock.set_inheritable(True)
    return sock


def _config(app: ASGIApp) -> uvicorn.Config:
    return uvicorn.Config(
        app,
        lifespan="on",
        log_level="warning",
        access_log=False,
        timeout_graceful_shutdown=GRACEFUL_SHUTDOWN_SECONDS,
        # uvicorn would take the client's address and scheme from X-Forwarded-* headers
        # of any request from 127.0.0.1. Which forwarding headers are believed is the
        # config's call (webhook_security, see _public_url), and the per-address limit
        # and the control API's loopback check need the address the socket saw.
        proxy_headers=False,
    )


def new_event_loop() -> asyncio.AbstractEventLoop:
    """uvloop's event loop where it is installed (not on Windows), else asyncio's.

    With uvloop and httptools a uvicorn worker answers about three times the requests
    a second it does on asyncio and h11 (bench/webhook_turn.py's do-nothing row).
    """
    try:
        import uvloop
    except ImportError:
        return asyncio.new_event_loop()
    return uvloop.new_event_loop()


def serve_foreground(
    app: ASGIApp, sock: socket.socket, on_stopping: Callable[[], None] = lambda: None
) -> None:
    """Serve until Ctrl-C (SIGINT) or SIGTERM; in-flight requests are drained first.

    ``on_stopping`` is called once the signal has come, before the drain: requests that
    would wait long (for a call's end, say) are answered then rather than cut off.
    """
    server = uvicorn.Server(_config(app))
    # Everything made so far (modules, compiled flows, machines) lives as long as the
    # process: out of the collector's sight, full collections have less to walk.
    gc.collect()
    gc.freeze()
    # A young collection every 10,000 new objects, not 700. The older generations are
    # walked once per 10 and 100 young collections, so at the default the whole heap,
    # with every call in flight, was walked every 70,000 objects. Measured over 30,000
    # calls left waiting at a menu: 1 full collection instead of 6, 0.19 s of collecting
    # instead of 0.88 s, the longest pause 42 ms instead of 216 ms.
    gc.set_threshold(YOUNG_COLLECTION_EVERY, *gc.get_threshold()[1:])

    def stop(signum: int, frame: FrameType | None) -> None:
        server.should_exit = True

    # uvicorn takes SIGINT and SIGTERM while it serves, drains, then puts back the
    # handlers it found and raises the signal again. Found by default, SIGTERM would
    # then kill the process (exit -15, as if the drain had failed) and SIGINT raise a
    # KeyboardInterrupt; this handler takes the signal as what it was, a request to stop
    # (also when one comes before uvicorn has taken over).
    previous = {number: signal.signal(number, stop) for number in (signal.SIGINT, signal.SIGTERM)}
    try:
        with asyncio.Runner(loop_factory=new_event_loop) as runner:
            runner.run(_serve_until_stopped(server, sock, on_stopping))
    finally:
        for number, handler in previous.items():
            signal.signal(number, handler)


async def _serve_until_stopped(
    server: uvicorn.Server, sock: socket.socket, on_stopping: Callable[[], None]
) -> None:
    watcher = asyncio.ensure_future(_call_when_stopping(server, on_stopping))
    try:
        await server.serve(sockets=[sock])
    finally:
        watcher.cancel()


async def _call_when_stopping(server: uvicorn.Server, on_stopping: Callable[[], None]) -> None:
    while not server.should_exit:
        await asyncio.sleep(STOP_POLL_SECONDS)
    on_stopping()


class BackgroundServer:
    """The app on a thread of its own, for as long as the caller needs it."""

    def __init__(self, app: ASGIApp, sock: socket.socket) -> None:
        self.sock = sock
        self.server = uvicorn.Server(_config(app))
        self.thread = threading.Thread(target=self._run, name="callflow-server", daemon=True)
        self.error: BaseException | None = None
        #: The server's event loop, where the app and the call service live.
        self.loop = new_event_loop()

    @property
    def port(self) -> int:
        return int(self.sock.getsockname()[1])

    def _run(self) -> None:
        try:
            self.loop.run_until_complete(self.server.serve(sockets=[self.sock]))
        except BaseException as error:  # reported to the thread that waits for start-up
            self.error = error
        finally:
            self.loop.close()

    def start(self, timeout: float = 15.0) -> BackgroundServer:
        self.thread.start()
        deadline = time.monotonic() + timeout
        while not self.server.started:
            if self.error is not None or not self.thread.is_alive():
                raise RuntimeError(f"the server did not start: {self.error}")
            if time.monotonic() > deadline:
                raise RuntimeError("the server did not start in time")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self.server.should_exit = True
        self.thread.join(timeout=GRACEFUL_SHUTDOWN_SECONDS + 5)

    def __enter__(self) -> BackgroundServer:
        return self.start()

    def __exit__(self, *exc_info: object) -> None:
        self.stop()
