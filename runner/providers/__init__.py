"""The carriers: one module per carrier, each a ``Provider`` (see ``_base``).

``TwilioProvider``, ``PlivoProvider`` and ``TelnyxProvider`` place and steer calls over
the carrier's REST API and read its webhooks. Each carrier module also has a pure
``signature_valid`` function for its webhook signatures, reached through the module
(``runner.providers.twilio.signature_valid``), since the three take different inputs.
"""

from __future__ import annotations

from runner.providers._base import CarrierWebhook, OutboundCall, Provider, WebhookKind
from runner.providers._errors import (
    ProviderAPIError,
    ProviderConfigError,
    ProviderError,
    ProviderUnreachable,
    WebhookFormatError,
)
from runner.providers.plivo import PlivoProvider
from runner.providers.telnyx import TelnyxProvider
from runner.providers.twilio import TwilioProvider

__all__ = [
    "CarrierWebhook",
    "OutboundCall",
    "PlivoProvider",
    "Provider",
    "ProviderAPIError",
    "ProviderConfigError",
    "ProviderError",
    "ProviderUnreachable",
    "TelnyxProvider",
    "TwilioProvider",
    "WebhookFormatError",
    "WebhookKind",
]
