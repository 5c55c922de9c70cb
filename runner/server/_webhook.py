"""The voice webhook's adapter: a request the guard let in goes to the call service, and
its document, or its error, goes back as the answer."""

from __future__ import annotations

import time

from runner.providers import WebhookFormatError
from runner.server._guard import GuardLimits, SignatureCheck, WebhookAnswer, WebhookGuard
from runner.server._metrics import Metrics
from runner.server._public_url import PublicUrl
from runner.server._statuses import status_for
from runner.service import CallService, ServiceError


class ServiceWebhook:
    """The guard's handler: the call service's answer to one request, timed and counted."""

    def __init__(self, service: CallService, metrics: Metrics) -> None:
        self._service = service
        self._metrics = metrics

    async def __call__(self, query: dict[str, str], params: dict[str, str]) -> WebhookAnswer:
        metrics = self._metrics
        started = time.perf_counter()
        try:
            return WebhookAnswer(200, await self._service.webhook(query, params))
        except WebhookFormatError as error:
            metrics.errors.labels("webhook-format").inc()
            return WebhookAnswer(400, str(error), "text/plain")
        except ServiceError as error:
            metrics.errors.labels("webhook-" + type(error).__name__).inc()
            return WebhookAnswer(status_for(error), str(error), "text/plain")
        finally:
            metrics.webhook_seconds.observe(time.perf_counter() - started)


def webhook_guard(
    service: CallService,
    metrics: Metrics,
    check: SignatureCheck | None,
    public_url: PublicUrl,
    limits: GuardLimits | None,
) -> WebhookGuard:
    """The voice webhook as an ASGI app: the guard's pipeline, then the call service."""
    return WebhookGuard(
        ServiceWebhook(service, metrics),
        check,
        public_url,
        limits=limits or GuardLimits(),
        on_refusal=lambda reason: metrics.errors.labels("webhook-refused").inc(),
        on_repeat=metrics.webhook_repeats.inc,
    )
