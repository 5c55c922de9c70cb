"""Errors of the call service, each with what the HTTP layer needs to answer.

ServiceError                 the root
├── UnknownCallError         no call with that id (404)
├── UnknownFlowError         no flow with that name is loaded (404)
├── CallNotLiveError         the call cannot take that now: ended, not answered (409)
├── TooManyCallsError        max_concurrent_calls calls are in flight (429)
└── ShuttingDownError        the server stops: a request that waited is answered (503)
"""

from __future__ import annotations

from collections.abc import Sequence


class ServiceError(Exception):
    status = 400


class UnknownCallError(ServiceError):
    status = 404

    def __init__(self, call_id: str) -> None:
        super().__init__(f"no call with id '{call_id}'")
        self.call_id = call_id


class UnknownFlowError(ServiceError):
    status = 404

    def __init__(self, name: str, known: Sequence[str]) -> None:
        super().__init__(
            f"no flow named '{name}' is loaded (loaded: {', '.join(known) or 'none'}); to load it, "
            "list its file under 'flows:' in the server's config (callflow.yaml by default) "
            "and restart 'callflow serve'"
        )
        self.name = name
        self.known = tuple(known)


class CallNotLiveError(ServiceError):
    status = 409

    def __init__(self, call_id: str, why: str) -> None:
        super().__init__(f"call '{call_id}' cannot be steered: {why}")
        self.call_id = call_id


class TooManyCallsError(ServiceError):
    status = 429

    def __init__(self, limit: int) -> None:
        super().__init__(f"{limit} calls are in flight, the most max_concurrent_calls allows")
        self.limit = limit


class ShuttingDownError(ServiceError):
    status = 503

    def __init__(self) -> None:
        super().__init__("the server is shutting down; ask again once it is back")
