"""Errors of the agent client.

    AgentError            the root: the agent gave no usable reply (unreachable, or an answer
    │                     that is not a chat completion); carries the reason
    ├── AgentTimeout      no whole reply within the timeout; carries the seconds
    └── AgentStatusError  the API answered an HTTP error; carries the status and the start
                          of the body

Messages never hold the API key or the Authorization header: a body that quotes the key
has it masked.
"""

from __future__ import annotations


class AgentError(Exception):
    """Root of every error the agent client raises on purpose."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


class AgentTimeout(AgentError):
    def __init__(self, url: str, seconds: float) -> None:
        super().__init__(f"the agent at {url} gave no reply within {seconds:g} s")
        self.seconds = seconds


class AgentStatusError(AgentError):
    def __init__(self, url: str, status: int, excerpt: str) -> None:
        detail = f": {excerpt}" if excerpt else ""
        super().__init__(f"the agent at {url} answered HTTP {status}{detail}")
        self.status = status
        self.excerpt = excerpt
