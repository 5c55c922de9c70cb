"""A real server on 127.0.0.1 with the mock carrier, for tests that go through HTTP."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import httpx
from twilio.request_validator import RequestValidator

from flows import load_flow
from runner.agent import ConsultAgent
from runner.providers import Provider
from runner.providers.mock import MockProvider
from runner.server import AppSettings, BackgroundServer, bind, build_app
from runner.server._guard import GuardLimits
from runner.server._public_url import PublicUrl
from runner.server._signatures import TwilioSignature
from runner.server._streams import StreamLimits
from runner.service import CallService, InboundSettings, ServiceSettings
from runner.store import open_store

EXAMPLES = Path(__file__).resolve().parents[3] / "examples"
TOKEN = "test-control-token"
#: The mock carrier signs its webhooks as Twilio does, with this key.
SIGNING_KEY = "test-signing-key"


@dataclass
class Running:
    base: str
    service: CallService
    provider: Any  # the MockProvider, unless the test brought another carrier
    server: BackgroundServer

    @property
    def webhook(self) -> str:
        return f"{self.base}/voice/webhook"

    def api(
        self, method: str, path: str, body: dict[str, Any] | None = None, timeout: float = 30.0
    ) -> httpx.Response:
        headers = {"Authorization": f"Bearer {TOKEN}"}
        return httpx.request(method, f"{self.base}{path}", json=body, headers=headers, timeout=timeout)

    def post_webhook(self, query: str, form: dict[str, str]) -> httpx.Response:
        """A carrier's request, signed by the official Twilio library (not by the code under test)."""
        url = f"{self.webhook}{query}"
        signature = RequestValidator(SIGNING_KEY).compute_signature(url, form)
        return httpx.post(url, data=form, headers={"X-Twilio-Signature": signature}, timeout=10)

    def run(self, coroutine: Any) -> Any:
        """Run a coroutine on the server's own event loop (where the service lives)."""
        loop = self.server.loop
        return asyncio.run_coroutine_threadsafe(coroutine, loop).result(timeout=30)


@contextmanager
def running_server(
    data_dir: Path,
    flows: Sequence[str | Path] = (
        "appointment-reminder",
        "meeting-dial-in",
        "support-menu",
        "inbound-hotline",
    ),
    provider: Provider | None = None,
    limits: GuardLimits | None = None,
    public_url: PublicUrl | None = None,
    stream_limits: StreamLimits | None = None,
    verify_signatures: bool = True,
    agent: ConsultAgent | None = None,
    **settings: Any,
) -> Iterator[Running]:
    sock = bind("127.0.0.1", 0)
    port = sock.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    service_settings = replace(
        ServiceSettings(webhook_url=f"{base}/voice/webhook", from_number="+14155550199"), **settings
    )
    carrier = provider or MockProvider(auth_token=SIGNING_KEY)
    # A name is an example's; a path is a flow file the test wrote.
    flow_files = [load_flow(name if isinstance(name, Path) else EXAMPLES / f"{name}.yaml") for name in flows]
    service = CallService(service_settings, carrier, lambda: open_store(data_dir), flow_files, agent=agent)
    app = build_app(
        service,
        AppSettings(control_token=TOKEN),
        check=TwilioSignature(SIGNING_KEY) if verify_signatures else None,
        public_url=public_url or PublicUrl(),
        limits=limits,
        stream_limits=stream_limits,
    )
    server = BackgroundServer(app, sock)
    with server:
        yield Running(base, service, carrier, server)


__all__ = ["InboundSettings", "Running", "running_server"]
