"""What every control API request goes through: loopback, the bearer token, a JSON body,
and the checks of its fields, each failing as a 400 that says which field and why."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from runner.addresses import parse_address

#: The longest a control request may ask to wait (continue, wait for the end).
MAX_WAIT_SECONDS = 600.0

Handler = Callable[[Request, dict[str, Any]], Awaitable[Response]]
#: The answer to an error a handler raised, or None for one it does not know (a 500).
ErrorAnswer = Callable[[Exception], Response | None]


class BadRequest(Exception):
    """The request's body or a field of it is not what the endpoint takes."""


def guarded(handler: Handler, token: str, answer: ErrorAnswer) -> Callable[[Request], Awaitable[Response]]:
    """``handler`` behind the loopback and token checks, given the JSON body, its errors
    answered by ``answer`` (a BadRequest: 400)."""

    async def endpoint(request: Request) -> Response:
        if not _from_loopback(request):
            return error_response(403, "the control API answers on loopback only")
        if not _authorized(request, token):
            return error_response(
                401, "missing or wrong bearer token (it is in the data folder, control.token)"
            )
        try:
            payload = await _json_body(request)
            return await handler(request, payload)
        except BadRequest as error:
            return error_response(400, str(error))
        except Exception as error:
            response = answer(error)
            if response is None:
                raise
            return response

    return endpoint


def error_response(status: int, message: str, **details: Any) -> JSONResponse:
    return JSONResponse({"error": message, **details}, status_code=status)


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


async def _json_body(request: Request) -> dict[str, Any]:
    if request.method == "GET":
        return {}
    body = await request.body()
    if not body.strip():
        return {}
    try:
        payload = json.loads(body)
    except json.JSONDecodeError as error:
        raise BadRequest(f"the body is not JSON: {error}") from None
    if not isinstance(payload, dict):
        raise BadRequest("the body must be a JSON object")
    return payload


def text_field(payload: dict[str, Any], key: str) -> str:
    value = payload.get(key)
    if not isinstance(value, str) or not value.strip():
        raise BadRequest(f"'{key}' must be non-empty text")
    return value


def optional_text(payload: dict[str, Any], key: str) -> str | None:
    return None if payload.get(key) is None else text_field(payload, key)


def text_values(value: Any, key: str) -> dict[str, str]:
    if not isinstance(value, dict) or not all(isinstance(item, str) for item in value.values()):
        raise BadRequest(f"'{key}' must be an object of text values")
    return value


def timeout_field(payload: dict[str, Any], default: float) -> float:
    value = payload.get("timeout", default)
    if isinstance(value, bool) or not isinstance(value, int | float) or not 0 < value <= MAX_WAIT_SECONDS:
        raise BadRequest(f"'timeout' must be seconds from 0 to {MAX_WAIT_SECONDS:.0f}")
    return float(value)
