"""The Starlette app: the voice webhook, /healthz, /metrics, the control API and the
media streams, composed over one call service."""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator
from dataclasses import dataclass

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route, WebSocketRoute
from starlette.types import ASGIApp, Receive, Scope, Send

from runner.campaigns import CampaignDesk
from runner.media import MediaStreams, stream_protocol
from runner.server._campaign_api import CampaignApi
from runner.server._control_api import ControlApi
from runner.server._guard import GuardLimits, SignatureCheck
from runner.server._metrics import Metrics
from runner.server._public_url import PublicUrl
from runner.server._streams import StreamGate, StreamLimits
from runner.server._webhook import webhook_guard
from runner.service import STREAM_SUFFIX, CallService
from runner.store import RECIPIENT_STATUSES
from runner.types import Direction, Lifecycle


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
    campaigns: CampaignDesk | None = None,
    media: MediaStreams | None = None,
) -> ASGIApp:
    """The app. ``check`` None turns signature verification off (local development only);
    ``campaigns`` None leaves the campaigns' API out (a server with no store of its own)."""
    metrics = metrics or Metrics()
    _count_calls(service, metrics)
    if campaigns is not None:
        _count_campaigns(campaigns, metrics)
    path = settings.webhook_path.rstrip("/") or "/"
    webhook = webhook_guard(service, metrics, check, public_url, limits)

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
        if campaigns is not None:
            _campaign_gauges(campaigns, metrics)
        return Response(metrics.text(), media_type="text/plain; version=0.0.4")

    @contextlib.asynccontextmanager
    async def lifespan(app: Starlette) -> AsyncIterator[None]:
        await service.start()
        if campaigns is not None:
            await campaigns.open()
        try:
            yield
        finally:
            if campaigns is not None:
                # No new call; a run waiting for a call's end is answered now, and the
                # campaign stays resumable (the next server settles that call).
                for name in campaigns.dialing():
                    campaigns.stop(name)
                service.refuse_waits()
                await campaigns.close()
            await service.stop()
            if media is not None:
                await media.aclose()

    routes: list[BaseRoute] = [
        Route(path, webhook),
        Route("/healthz", healthz, methods=["GET"]),
        Route("/metrics", metrics_text, methods=["GET"]),
        *ControlApi(service, settings.control_token, metrics).routes(),
    ]
    if campaigns is not None:
        routes += CampaignApi(campaigns, settings.control_token).routes()
    if path != "/":
        routes.append(Route(path + "/", webhook))
    # Media streams open at the webhook path + /stream, with a token the document minted.
    stream_path = (path.rstrip("/") or "") + STREAM_SUFFIX
    # Each carrier says start and writes audio its own way (the mock speaks Twilio's).
    protocol = stream_protocol(service.provider.name)
    gate = StreamGate(service.stream_tokens, limits=stream_limits, protocol=protocol)
    if media is not None:
        gate.handler = media.handle
    routes.append(WebSocketRoute(stream_path, gate.handle))
    app = Starlette(routes=routes, lifespan=lifespan)
    return _WebhookFirst(app, webhook, {path, path + "/"})


def _count_calls(service: CallService, metrics: Metrics) -> None:
    """Have the service's hooks keep the call counters."""
    # Each label's counter found once, not on every call.
    started_by = {direction.value: metrics.calls_started.labels(direction.value) for direction in Direction}
    service.on_start = lambda record: started_by[record.direction.value].inc()
    service.on_end = lambda record: metrics.ended(str(record.end_reason)).inc()
    service.on_restore = lambda record: metrics.calls_restored.inc()
    service.on_agent_redirect = metrics.agent_redirects.inc
    # Read when /metrics is scraped, not set on every webhook.
    metrics.calls_in_flight.set_function(lambda: service.calls_in_flight)


def _count_campaigns(desk: CampaignDesk, metrics: Metrics) -> None:
    """Have the campaign desk's hooks keep the campaign counters."""

    def reported(name: str, outcome: str, final: bool) -> None:
        counter = metrics.campaign_outcomes if final else metrics.campaign_retries
        counter.labels(name, outcome).inc()

    desk.on_placed = lambda name: metrics.campaign_calls_placed.labels(name).inc()
    desk.on_reported = reported
    metrics.campaigns_dialing.set_function(lambda: len(desk.dialing()))


def _campaign_gauges(desk: CampaignDesk, metrics: Metrics) -> None:
    """The recipients by status of each campaign dialled here, from the store's counts
    (kept by triggers: one small read a campaign). A campaign no longer dialled here
    leaves the gauge, rather than stay at its last counts."""
    metrics.campaign_recipients.clear()
    for name in desk.dialing():
        counts = desk.campaign(name).counts
        for status in RECIPIENT_STATUSES:
            metrics.campaign_recipients.labels(name, status).set(counts.by_status.get(status, 0))


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
