"""One-time tokens for media streams: minted into the document that opens a stream,
used up by the socket that brings it back (see runner/server/_streams.py)."""

from __future__ import annotations

import secrets
import time
from collections.abc import Callable


class StreamTokens:
    """One-time tokens naming the call a stream belongs to."""

    def __init__(self, lifetime: float = 60.0, clock: Callable[[], float] = time.monotonic) -> None:
        self.lifetime = lifetime
        self.clock = clock
        self._tokens: dict[str, tuple[str, float]] = {}

    def mint(self, call_id: str) -> str:
        self._forget_expired()
        # Letters and digits only: Plivo passes nothing else in a stream's extraHeaders.
        token = secrets.token_hex(24)
        self._tokens[token] = (call_id, self.clock() + self.lifetime)
        return token

    def consume(self, token: str) -> str | None:
        """The call id of an unused, unexpired token, which is then used up; else None."""
        entry = self._tokens.pop(token, None)
        if entry is None or entry[1] < self.clock():
            return None
        return entry[0]

    def allow_again(self, token: str, call_id: str, seconds: float) -> None:
        """Let ``token`` be used once more within ``seconds``: the stream it opened dropped,
        and may come back (the carrier reconnects with the parameters it had)."""
        self._tokens[token] = (call_id, self.clock() + seconds)

    def _forget_expired(self) -> None:
        now = self.clock()
        for token in [token for token, (_, expires) in self._tokens.items() if expires < now]:
            del self._tokens[token]
