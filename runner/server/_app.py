"""The Starlette app: the voice webhook, /healthz, /metrics and the control API."""

from __future__ import annotations

import contextlib
import hmac
import ipaddress
import json
import logging
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from runner.engine import InputError
from runner.providers._errors import ProviderError, WebhookFormatError
from runner.server._guard import GuardLimits, SignatureCheck, WebhookAnswer, WebhookGuard
from runner.server._metrics import Metrics
from runner.server._public_url import PublicUrl
from runner.server._streams import StreamGate, StreamLimits
from runner.service import CallService, ServiceError
from runner.types import CallRecord, Direction, Lifecycle

logger = logging.getLogger("callflow.server")

XML = "application/xml"
STREAM_SUFFIX = "/stream"
#: The longest a control request may ask to wait (continue, wait for the end).
MAX_WAIT_SECONDS = 600.0


@dataclass(frozen=True)
class AppSettings:
    webhook_path: str = "/voice/webhook"
    control_token: str = ""


def build_app(
    service: CallService,
    settings: AppSettings,
    *,
    check: SignatureCheck | None,
    public_url: PublicUrl,
    limits: GuardLimits | None = None,
    metrics: Metrics | None = None,
    stream_limits: StreamLimits | None = None,
) -> ASGIApp:
    """The app. ``check`` None turns signature verification off (local development only)."""
    metrics = metrics or Metrics()
    path = settings.webhook_path.rstrip("/") or "/"
    # Each label's counter found once, not on every call.
    started_by = {direction.value: metrics.calls_started.labels(direction.value) for direction in Direction}
    service.on_start = lambda record: started_by[record.direction.value].inc()
    service.on_end = lambda record: metrics.ended(str(record.end_reason)).inc()
    service.on_restore = lambda record: metrics.calls_restored.inc()
    # Read when /metrics is scraped, not set on every webhook.
    metrics.calls_in_flight.set_function(lambda: service.calls_in_flight)

    async def answer_webhook(query: dict[str, str], params: dict[str, str]) -> WebhookAnswer:
        started = time.perf_counter()
        try:
            return WebhookAnswer(200, await service.webhook(query, params))
        except WebhookFormatError as error:
            metrics.errors.labels("webhook-format").inc()
            return WebhookAnswer(400, str(error), "text/plain")
        except ServiceError as error:
            metrics.errors.labels("webhook-" + type(error).__name__).inc()
            return WebhookAnswer(error.status, str(error), "text/plain")
        finally:
            metrics.webhook_seconds.observe(time.perf_counter() - started)

    webhook = WebhookGuard(
        answer_webhook,
        check,
        public_url,
        limits=limits or GuardLimits(),
        on_refusal=lambda reason: metrics.errors.labels("webhook-refused").inc(),
        on_repeat=metrics.webhook_repeats.inc,
    )

    async def healthz(request: Request) -> Response:
        return JSONResponse(
            {
                "ok": True,
                "service": "callflow",
                "provider": service.provider.name,
                "calls_in_flight": service.calls_in_flight,
            }
        )

    async def metrics_text(request: Request) -> Response:
        by_state = service.calls_by_state()
        for state in Lifecycle:
            metrics.calls_by_state.labels(state.value).set(by_state.get(state.value, 0))
        return Response(metrics.text(), media_type="text/plain; version=0.0.4")

    def control(
        handler: Callable[[Request, dict[str, Any]], Awaitable[Response]],
    ) -> Callable[[Request], Awaitable[Response]]:
        """Loopback only, bearer token, JSON in and out, errors as JSON with a status."""

        async def endpoint(request: Request) -> Response:
            if not _from_loopback(request):
                return _error(403, "the control API answers on loopback only")
            if not _authorized(request, settings.control_token):
                return _error(401, "missing or wrong bearer token (it is in the data folder, control.token)")
            try:
                payload = await _json_body(request)
                return await handler(request, payload)
            except _BadRequest as error:
                return _error(400, str(error))
            except InputError as error:
                return _error(400, str(error))
            except ServiceError as error:
                return _error(error.status, str(error))
            except ProviderError as error:
                metrics.errors.labels("provider").inc()
                return _error(502, str(error))

        return endpoint

    async def initiate(request: Request, payload: dict[str, Any]) -> Response:
        record = await service.place_call(
            _text(payload, "flow"),
            _strings(payload.get("vars", {}), "vars"),
            to=_optional_text(payload, "to"),
            callee_script=_string_list(payload.get("inputs", []), "inputs"),
        )
        return JSONResponse(_record_json(record), status_code=201)

    async def status(request: Request, payload: dict[str, Any]) -> Response:
        call_id = request.path_params["call_id"]
        return JSONResponse(
            {**_record_json(service.record(call_id)), "waiting_for": service.waiting_for(call_id)}
        )

    async def speak(request: Request, payload: dict[str, Any]) -> Response:
        await service.speak(request.path_params["call_id"], _text(payload, "text"))
        return JSONResponse({"ok": True})

    async def continue_(request: Request, payload: dict[str, Any]) -> Response:
        heard = await service.continue_call(
            request.path_params["call_id"], _text(payload, "text"), _timeout(payload, 30.0)
        )
        return JSONResponse({"heard": heard})

    async def dtmf(request: Request, payload: dict[str, Any]) -> Response:
        await service.send_digits(request.path_params["call_id"], _digits(payload))
        return JSONResponse({"ok": True})

    async def end(request: Request, payload: dict[str, Any]) -> Response:
        record = await service.end_call(request.path_params["call_id"])
        return JSONResponse(_record_json(record))

    async def wait(request: Request, payload: dict[str, Any]) -> Response:
        record = await service.wait_ended(request.path_params["call_id"], _timeout(payload, 60.0))
        return JSONResponse(_record_json(record))

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        try:
            yield
        finally:
            await service.stop()

    routes: list[BaseRoute] = [
        Route(path, webhook),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_text, methods=["GET"]),
        Route("/api/calls", control(initiate), methods=["POST"]),
        Route("/api/calls/{call_id}", control(status), methods=["GET"]),
        Route("/api/calls/{call_id}/speak", control(speak), methods=["POST"]),
        Route("/api/calls/{call_id}/continue", control(continue_), methods=["POST"]),
        Route("/api/calls/{call_id}/dtmf", control(dtmf), methods=["POST"]),
        Route("/api/calls/{call_id}/end", control(end), methods=["POST"]),
        Route("/api/calls/{call_id}/wait", control(wait), methods=["POST"]),
    ]
    if path != "/":
        routes.append(Route(path + "/", webhook))
    # Media streams open at the webhook path + /stream, with a token the document minted.
    stream_path = (path.rstrip("/") or "") + STREAM_SUFFIX
    routes.append(WebSocketRoute(stream_path, StreamGate(service.stream_tokens, limits=stream_limits).handle))
    app = Starlette(routes=routes, lifespan=lifespan)
    return _WebhookFirst(app, webhook, {path, path + "/"})


class _WebhookFirst:
    """The voice webhook's requests straight to its guard, everything else to the app.

    The guard is a whole ASGI app of its own (methods, limits, errors); Starlette's
    middleware and router around it cost about a tenth of a webhook turn. An exception
    in the guard still becomes a 500, from uvicorn.
    """

    def __init__(self, app: Starlette, webhook: ASGIApp, paths: set[str]) -> None:
        self.app = app
        self.webhook = webhook
        self.paths = frozenset(paths)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"] in self.paths:
            await self.webhook(scope, receive, send)
        else:
            await self.app(scope, receive, send)


class _BadRequest(Exception):
    pass


def _error(status: int, message: str) -> JSONResponse:
    return JSONResponse({"error": message}, status_code=status)


def _from_loopback(request: Request) -> bool:
    host = request.client.host if request.client is not None else ""
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return False
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped is not None:
        address = address.ipv4_mapped
    return address.is_loopback


def _authorized(request: Request, token: str) -> bool:
    given = request.headers.get("authorization", "")
    scheme, _, value = given.partition(" ")
    if not token or scheme.lower() != "bearer":
        return False
    # As bytes: compare_digest refuses str that is not ASCII, and a header may hold any
    # byte (Starlette decodes headers as Latin-1, so this gives back the bytes sent).
    return hmac.compare_digest(value.strip().encode("latin-1"), token.encode())


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


def _string_list(value: Any, key: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(item, str) for item in value):
        raise _BadRequest(f"'{key}' must be a list of text")
    return value


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


def _record_json(record: CallRecord) -> dict[str, Any]:
    return record.as_json()
