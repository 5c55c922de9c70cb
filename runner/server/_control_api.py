"""The control API: place, look at and steer calls over HTTP, for the CLI and agents.

Loopback only, with the bearer token from the data folder; JSON in and out, and every
error as ``{"error": ...}`` with its status.
"""

from __future__ import annotations

import contextlib
import hmac
import json
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from runner.addresses import parse_address
from runner.engine import InputError
from runner.providers import ProviderError
from runner.providers.mock import MockProvider
from runner.script import CallerAction, ScriptError, parse_input
from runner.server._metrics import Metrics
from runner.server._statuses import status_for
from runner.service import CallService, ServiceError

#: The longest a control request may ask to wait (continue, wait for the end).
MAX_WAIT_SECONDS = 600.0

Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]


class ControlApi:
    """The control API's routes over one call service."""

    def __init__(self, service: CallService, token: str, metrics: Metrics) -> None:
        self._service = service
        self._token = token
        self._metrics = metrics

    def routes(self) -> list[BaseRoute]:
        calls = "/api/calls"
        return [
            Route(calls, self._endpoint(self._initiate), methods=["POST"]),
            Route(calls + "/{call_id}", self._endpoint(self._status), methods=["GET"]),
            Route(calls + "/{call_id}/speak", self._endpoint(self._speak), methods=["POST"]),
            Route(calls + "/{call_id}/continue", self._endpoint(self._continue), methods=["POST"]),
            Route(calls + "/{call_id}/dtmf", self._endpoint(self._dtmf), methods=["POST"]),
            Route(calls + "/{call_id}/end", self._endpoint(self._end), methods=["POST"]),
            Route(calls + "/{call_id}/wait", self._endpoint(self._wait), methods=["POST"]),
        ]

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        """``handler`` behind the loopback and token checks, given the JSON body, its errors
        answered with their status."""

        async def endpoint(request: Request) -> Response:
            if not _from_loopback(request):
                return _error(403, "the control API answers on loopback only")
            if not _authorized(request, self._token):
                return _error(401, "missing or wrong bearer token (it is in the data folder, control.token)")
            try:
                payload = await _json_body(request)
                return await handler(request, payload)
            except (_BadRequest, InputError) as error:
                return _error(400, str(error))
            except ServiceError as error:
                return _error(status_for(error), str(error))
            except ProviderError as error:
                self._metrics.errors.labels("provider").inc()
                return _error(502, str(error))

        return endpoint

    async def _initiate(self, request: Request, payload: dict[str, Any]) -> Response:
        flow = _text(payload, "flow")
        variables = _strings(payload.get("vars", {}), "vars")
        to = _optional_text(payload, "to")
        script = _callee_script(payload.get("inputs", []))
        call_id = self._service.new_call_id()
        with self._callee_plays(call_id, script):
            record = await self._service.place_call(flow, variables, to=to, call_id=call_id)
        return JSONResponse(record.as_json(), status_code=201)

    def _callee_plays(
        self, call_id: str, script: Sequence[CallerAction]
    ) -> contextlib.AbstractContextManager[None]:
        """Hand the callee's script to the mock carrier, which plays the callee; a real
        carrier's callee is a person, and the script (checked all the same) goes nowhere."""
        provider = self._service.provider
        if isinstance(provider, MockProvider):
            return provider.scripted_callee(call_id, script)
        return contextlib.nullcontext()

    async def _status(self, request: Request, payload: dict[str, Any]) -> Response:
        call_id = request.path_params["call_id"]
        record = self._service.record(call_id)
        return JSONResponse({**record.as_json(), "waiting_for": self._service.waiting_for(call_id)})

    async def _speak(self, request: Request, payload: dict[str, Any]) -> Response:
        await self._service.speak(request.path_params["call_id"], _text(payload, "text"))
        return JSONResponse({"ok": True})

    async def _continue(self, request: Request, payload: dict[str, Any]) -> Response:
        call_id, text = request.path_params["call_id"], _text(payload, "text")
        heard = await self._service.continue_call(call_id, text, _timeout(payload, 30.0))
        return JSONResponse({"heard": heard})

    async def _dtmf(self, request: Request, payload: dict[str, Any]) -> Response:
        await self._service.send_digits(request.path_params["call_id"], _digits(payload))
        return JSONResponse({"ok": True})

    async def _end(self, request: Request, payload: dict[str, Any]) -> Response:
        record = await self._service.end_call(request.path_params["call_id"])
        return JSONResponse(record.as_json())

    async def _wait(self, request: Request, payload: dict[str, Any]) -> Response:
        record = await self._service.wait_ended(request.path_params["call_id"], _timeout(payload, 60.0))
        return JSONResponse(record.as_json())


# -- who may ask ---------------------------------------------------------------------


def _from_loopback(request: Request) -> bool:
    address = parse_address(request.client.host if request.client is not None else "")
    return address is not None and address.is_loopback


def _authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    # As bytes: compare_digest refuses str that is not ASCII, and a header may hold any
    # byte (Starlette decodes headers as Latin-1, so this gives back the bytes sent).
    return hmac.compare_digest(value.strip().encode("latin-1"), token.encode())


# -- what the request says -------------------------------------------------------------


class _BadRequest(Exception):
    pass


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


async def _json_body(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return {}
    body = await request.body()
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        raise _BadRequest(f"the body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise _BadRequest("the body must be a JSON object")
    return payload


def _text(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise _BadRequest(f"'{key}' must be non-empty text")
    return value


def _optional_text(payload: dict[str, Any], key: str) -> str | None:
    return None if payload.get(key) is None else _text(payload, key)


def _strings(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise _BadRequest(f"'{key}' must be an object of text values")
    return value


def _callee_script(value: Any) -> list[CallerAction]:
    """``inputs``: the callee's actions in the ``--input`` language."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _BadRequest("'inputs' must be a list of text")
    try:
        return [parse_input(text) for text in value]
    except ScriptError as error:
        raise _BadRequest(str(error)) from None


def _digits(payload: dict[str, Any]) -> str:
    digits = _text(payload, "digits")
    if any(char not in "0123456789*#wWpP," for char in digits):
        raise _BadRequest(f"'digits' takes 0-9 * # w W p P , only, found '{digits}'")
    return digits


def _timeout(payload: dict[str, Any], default: float) -> float:
    value = payload.get("timeout", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_WAIT_SECONDS:
        raise _BadRequest(f"'timeout' must be seconds from 0 to {MAX_WAIT_SECONDS:.0f}")
    return float(value)
