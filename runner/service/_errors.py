"""Errors of the call service. It knows no HTTP: the server maps each to a status.

ServiceError                 the root
├── UnknownCallError         no call with that id
├── UnknownFlowError         no flow with that name is loaded
├── CallNotLiveError         the call cannot take that now: ended, not answered
├── TooManyCallsError        max_concurrent_calls calls are in flight
└── ShuttingDownError        the server stops: a request that waited is answered
"""

from __future__ import annotations

from collections.abc import Sequence


class ServiceError(Exception):
    """The root of the call service's errors."""


class UnknownCallError(ServiceError):
    def __init__(self, call_id: str) -> None:
        super().__init__(f"no call with id '{call_id}'")
        self.call_id = call_id


class UnknownFlowError(ServiceError):
    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(
            f"no flow named '{name}' is loaded (loaded: {', '.join(known) or 'none'}); to load it, "
            "list its file under 'flows:' in the server's config (callflow.yaml by default) "
            "and restart 'callflow serve'"
        )
        self.name = name
        self.known = tuple(known)


class CallNotLiveError(ServiceError):
    def __init__(self, call_id: str, why: str) -> None:
        super().__init__(f"call '{call_id}' cannot be steered: {why}")
        self.call_id = call_id


class TooManyCallsError(ServiceError):
    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} calls are in flight, the most max_concurrent_calls allows")
        self.limit = limit


class ShuttingDownError(ServiceError):
    def __init__(self) -> None:
        super().__init__("the server is shutting down; ask again once it is back")
