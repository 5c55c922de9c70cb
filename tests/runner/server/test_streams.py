"""Media stream sockets through a real WebSocket on 127.0.0.1."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from websockets.exceptions import ConnectionClosed, InvalidStatus
from websockets.sync.client import ClientConnection, connect

from runner.server._streams import StreamLimits
from tests.runner.server.harness import Running, running_server

QUICK = StreamLimits(start_seconds=0.5, pending_per_address=2, pending_total=3)


def _stream_url(server: Running) -> str:
    return server.base.replace("http://", "ws://") + "/voice/webhook/stream"


def _mint(server: Running, call_id: str) -> str:
    # No flow step opens a stream yet (a later issue adds one); the service mints as a
    # document that opens one will.
    async def mint() -> str:
        return server.service.stream_tokens.mint(call_id)

    token: str = server.run(mint())
    return token


def _start(socket: ClientConnection, token: str | None) -> None:
    socket.send(json.dumps({"event": "connected", "protocol": "Call", "version": "1.0.0"}))
    parameters = {} if token is None else {"token": token}
    socket.send(
        json.dumps(
            {
                "event": "start",
                "start": {"streamSid": "MZ1", "callSid": "CA1", "customParameters": parameters},
            }
        )
    )


def _closed_with(socket: ClientConnection) -> int | None:
    with pytest.raises(ConnectionClosed) as closed:
        socket.recv(timeout=5)
    return closed.value.rcvd.code if closed.value.rcvd is not None else None


def test_a_stream_with_its_token_is_accepted_once(data_dir: Path) -> None:
    with running_server(data_dir, stream_limits=QUICK) as server:
        token = _mint(server, "call-1")
        with connect(_stream_url(server)) as socket:
            _start(socket, token)
            socket.send(json.dumps({"event": "media", "media": {"payload": "/w=="}}))
            socket.send(json.dumps({"event": "stop"}))
            assert _closed_with(socket) == 1000
        with connect(_stream_url(server)) as again:
            _start(again, token)
            assert _closed_with(again) == 1008


@pytest.mark.parametrize("token", [None, "made-up-token"])
def test_a_stream_without_a_valid_token_is_closed(data_dir: Path, token: str | None) -> None:
    with running_server(data_dir, stream_limits=QUICK) as server, connect(_stream_url(server)) as socket:
        _start(socket, token)
        assert _closed_with(socket) == 1008


def test_a_stream_that_never_starts_is_closed(data_dir: Path) -> None:
    with running_server(data_dir, stream_limits=QUICK) as server, connect(_stream_url(server)) as socket:
        socket.send(json.dumps({"event": "connected"}))
        assert _closed_with(socket) == 1008


def test_sockets_waiting_to_start_are_capped_per_address(data_dir: Path) -> None:
    limits = StreamLimits(start_seconds=5, pending_per_address=2)
    with (
        running_server(data_dir, stream_limits=limits) as server,
        connect(_stream_url(server)),
        connect(_stream_url(server)),
    ):
        with pytest.raises(InvalidStatus) as refused, connect(_stream_url(server)):
            pass
        assert refused.value.response.status_code == 403
