"""Live calls: the engines, the store and a carrier, brought together for the server."""

from __future__ import annotations

from runner.service._errors import (
    CallNotLiveError,
    ServiceError,
    TooManyCallsError,
    UnknownCallError,
    UnknownFlowError,
)
from runner.service._service import CallService
from runner.service._settings import InboundPolicy, ServiceSettings
from runner.service._stream_tokens import StreamTokens

__all__ = [
    "CallNotLiveError",
    "CallService",
    "InboundPolicy",
    "ServiceError",
    "ServiceSettings",
    "StreamTokens",
    "TooManyCallsError",
    "UnknownCallError",
    "UnknownFlowError",
]
