"""The control API: place, look at and steer calls over HTTP, for the CLI and agents.

Loopback only, with the bearer token from the data folder; JSON in and out, and every
error as ``{"error": ...}`` with its status.
"""

from __future__ import annotations

import contextlib
from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from runner.builtin import MessageCallError, message_call
from runner.engine import InputError
from runner.providers import ProviderError
from runner.providers.mock import MockProvider
from runner.script import CallerAction, ScriptError, parse_input
from runner.server._control_request import (
    BadRequest,
    Handler,
    error_response,
    guarded,
    optional_text,
    text_field,
    text_values,
    timeout_field,
)
from runner.server._metrics import Metrics
from runner.server._statuses import status_for
from runner.service import CallService, ServiceError


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
        return guarded(handler, self._token, self._answer_error)

    def _answer_error(self, error: Exception) -> Response | None:
        if isinstance(error, InputError):
            return error_response(400, str(error))
        if isinstance(error, ServiceError):
            return error_response(status_for(error), str(error))
        if isinstance(error, ProviderError):
            self._metrics.errors.labels("provider").inc()
            return error_response(502, str(error))
        return None

    async def _initiate(self, request: Request, payload: dict[str, Any]) -> Response:
        flow, variables, to = _what_to_call(payload)
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
        status = {
            **self._service.record(call_id).as_json(),
            "waiting_for": self._service.waiting_for(call_id),
        }
        asked = self._service.consult_asked(call_id)
        if asked is not None:
            status["consult"] = asked.as_json()
        return JSONResponse(status)

    async def _speak(self, request: Request, payload: dict[str, Any]) -> Response:
        await self._service.speak(request.path_params["call_id"], text_field(payload, "text"))
        return JSONResponse({"ok": True})

    async def _continue(self, request: Request, payload: dict[str, Any]) -> Response:
        call_id, text = request.path_params["call_id"], text_field(payload, "text")
        heard = await self._service.continue_call(call_id, text, timeout_field(payload, 30.0))
        return JSONResponse({"heard": heard})

    async def _dtmf(self, request: Request, payload: dict[str, Any]) -> Response:
        await self._service.send_digits(request.path_params["call_id"], _digits(payload))
        return JSONResponse({"ok": True})

    async def _end(self, request: Request, payload: dict[str, Any]) -> Response:
        record = await self._service.end_call(request.path_params["call_id"])
        return JSONResponse(record.as_json())

    async def _wait(self, request: Request, payload: dict[str, Any]) -> Response:
        record = await self._service.wait_ended(request.path_params["call_id"], timeout_field(payload, 60.0))
        return JSONResponse(record.as_json())


# -- what a call request says ---------------------------------------------------------

_MESSAGE_FIELDS = ("mode", "dtmf_sequence")


def _what_to_call(payload: dict[str, Any]) -> tuple[str, dict[str, str], str | None]:
    """The flow's name, its inputs and the number to call: a loaded flow named by ``flow``,
    or the built-in flow that says ``message``."""
    has_flow, has_message = payload.get("flow") is not None, payload.get("message") is not None
    if has_flow and has_message:
        raise BadRequest("give 'flow' or 'message', not both")
    if has_message:
        return _message_call(payload)
    if not has_flow:
        raise BadRequest("give 'flow' (the name of a loaded flow) or 'message' (the text to say)")
    given = [key for key in _MESSAGE_FIELDS if payload.get(key) is not None]
    if given:
        raise BadRequest(f"'{given[0]}' goes with 'message'; a flow sets its own")
    variables = text_values(payload.get("vars", {}), "vars")
    return text_field(payload, "flow"), variables, optional_text(payload, "to")


def _message_call(payload: dict[str, Any]) -> tuple[str, dict[str, str], str]:
    """``message``, ``mode`` and ``dtmf_sequence`` as the built-in flow that places them."""
    if payload.get("vars"):
        raise BadRequest(
            "'vars' are a flow's inputs; a 'message' call takes 'to', 'mode' and 'dtmf_sequence'"
        )
    to = optional_text(payload, "to")
    if to is None:
        raise BadRequest("'to' is needed with 'message': the number to call")
    message, dtmf_sequence = payload["message"], payload.get("dtmf_sequence")
    mode = "notify" if payload.get("mode") is None else payload["mode"]
    if not isinstance(message, str):
        raise BadRequest("'message' must be text")
    if not isinstance(mode, str):
        raise BadRequest("'mode' must be 'notify' or 'conversation'")
    if dtmf_sequence is not None and not isinstance(dtmf_sequence, str):
        raise BadRequest("'dtmf_sequence' must be text")
    try:
        call = message_call(to, message, mode, dtmf_sequence)
    except MessageCallError as error:
        raise BadRequest(str(error)) from None
    return call.flow_name, call.variables, to


def _callee_script(value: Any) -> list[CallerAction]:
    """``inputs``: the callee's actions in the ``--input`` language."""
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise BadRequest("'inputs' must be a list of text")
    try:
        return [parse_input(text) for text in value]
    except ScriptError as error:
        raise BadRequest(str(error)) from None


def _digits(payload: dict[str, Any]) -> str:
    digits = text_field(payload, "digits")
    if any(char not in "0123456789*#wWpP," for char in digits):
        raise BadRequest(f"'digits' takes 0-9 * # w W p P , only, found '{digits}'")
    return digits
