"""Errors raised by the dialects package.

    DialectError                 the root: anything this package raises on purpose
    ├── UnknownProviderError     a provider name that is not twilio, plivo or telnyx
    ├── UnsupportedActionError   an action no carrier document can carry (Consult)
    └── DialectLimitError        a value the carrier would refuse or cut: too long a
                                 text, a key that is no DTMF key, a comma in a hint

Each is raised before any document goes out, so a bad flow fails in the runner,
with a message that says which limit, rather than as a carrier error mid-call.
"""

from __future__ import annotations


class DialectError(Exception):
    """Root of every error this package raises on purpose."""


class UnknownProviderError(DialectError):
    def __init__(self, provider: str, known: tuple[str, ...], suggestion: str | None = None) -> None:
        hint = f" (did you mean '{suggestion}'?)" if suggestion else ""
        super().__init__(f"unknown provider '{provider}'{hint}; expected one of: {', '.join(known)}")
        self.provider = provider
        self.known = known
        self.suggestion = suggestion


class UnsupportedActionError(DialectError):
    def __init__(self, provider: str, action: object, reason: str) -> None:
        super().__init__(f"{provider}: cannot render {type(action).__name__}: {reason}")
        self.provider = provider
        self.action = action
        self.reason = reason


class DialectLimitError(DialectError):
    def __init__(self, provider: str, message: str) -> None:
        super().__init__(f"{provider}: {message}")
        self.provider = provider
        self.message = message
