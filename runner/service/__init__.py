"""Live calls: the engines, the store and a carrier, brought together for the server."""

from __future__ import annotations

from runner.service._errors import (
    CallNotLiveError,
    ServiceError,
    ShuttingDownError,
    TooManyCallsError,
    UnknownCallError,
    UnknownFlowError,
)
from runner.service._live_calls import ORPHANED, ConsultAsked, running_pid
from runner.service._owners import Owners
from runner.service._service import CallService
from runner.service._settings import InboundSettings, ServiceSettings
from runner.service._stream_tokens import StreamTokens
from runner.service._streamed import STREAM_SUFFIX, StreamedCall

__all__ = [
    "ORPHANED",
    "STREAM_SUFFIX",
    "CallNotLiveError",
    "CallService",
    "ConsultAsked",
    "InboundSettings",
    "Owners",
    "ServiceError",
    "ServiceSettings",
    "ShuttingDownError",
    "StreamTokens",
    "StreamedCall",
    "TooManyCallsError",
    "UnknownCallError",
    "UnknownFlowError",
    "running_pid",
]
