"""A consult step's wait for the agent's reply, which may outlast the carrier's request.

The reply is asked for once, as a task of its own: the request that asked holds it a
few seconds, and when it is not in yet the carrier is sent back (a redirect) to hold
it again, as often as it takes. Whichever request finds the reply in takes it, once.
"""

from __future__ import annotations

import asyncio
from typing import Protocol

from runner.types import AnyEvent


class ConsultAnswer(Protocol):
    """An answer to a consult step: the agent's (``AgentAnswer``) or one spoken from outside."""

    def event(self, *, id: str, at: float) -> AnyEvent:
        """The engine event that carries this answer into the call."""
        ...


class ConsultWait:
    """The pending answer to one consult step of one call."""

    def __init__(self, answer: asyncio.Task[ConsultAnswer]) -> None:
        self._answer = answer
        self._taken = False
        #: Whether the caller has been told to hold on (the filler line is said once per wait).
        self.filler_said = False

    async def hold(self, seconds: float) -> bool:
        """Wait at most ``seconds`` for the answer: whether the wait is over (answered,
        failed or cancelled). The answer is never cancelled by this wait giving up."""
        done, _ = await asyncio.wait({self._answer}, timeout=seconds)
        return bool(done)

    @property
    def cancelled(self) -> bool:
        """Whether the wait was called off (the call ended, the server is stopping)."""
        return self._answer.cancelled()

    def take(self) -> ConsultAnswer | None:
        """The answer, to the one request that carries it into the call; None to any later
        one (a carrier's copy of a request that held the same wait). Once the wait is over
        only; raises what the answer raised."""
        if self._taken:
            return None
        self._taken = True
        return self._answer.result()

    def cancel(self) -> None:
        """Stop asking: the agent's request is cut, a wait for a reply from outside ends."""
        self._answer.cancel()
