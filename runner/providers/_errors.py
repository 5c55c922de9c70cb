"""Errors of the carrier modules.

    ProviderError                the root
    ├── ProviderConfigError      a credential or setting is missing or malformed
    │   └── MockOutcomesError    a --mock-outcomes spec that cannot be read (mock_outcomes)
    ├── ProviderAPIError         the carrier answered with an error (status, its message)
    ├── ProviderUnreachable      no answer: connection refused, DNS, timeout
    └── WebhookFormatError       a webhook lacks a field the carrier always sends

Messages never contain a credential.
"""

from __future__ import annotations


class ProviderError(Exception):
    """Root of every error a carrier module raises on purpose."""

    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider


class ProviderConfigError(ProviderError):
    pass


class ProviderAPIError(ProviderError):
    def __init__(self, provider: str, status: int, detail: str) -> None:
        super().__init__(provider, f"the API answered {status}: {detail}")
        self.status = status
        self.detail = detail


class ProviderUnreachable(ProviderError):
    pass


class WebhookFormatError(ProviderError):
    def __init__(self, provider: str, field: str) -> None:
        super().__init__(provider, f"webhook without the '{field}' field")
        self.field = field
