"""The HTTP status that answers each error of the call service, in one table.

The service knows no HTTP; the webhook adapter and the control API both answer its
errors with the status this table gives.
"""

from __future__ import annotations

from collections.abc import Mapping

from runner.service import (
    CallNotLiveError,
    ServiceError,
    ShuttingDownError,
    TooManyCallsError,
    UnknownCallError,
    UnknownFlowError,
)

SERVICE_ERROR_STATUS: Mapping[type, int] = {
    ServiceError: 400,
    UnknownCallError: 404,
    UnknownFlowError: 404,
    CallNotLiveError: 409,
    TooManyCallsError: 429,
    ShuttingDownError: 503,
}


def status_for(error: ServiceError) -> int:
    """The status of ``error``'s class, or of its nearest ancestor in the table."""
    return next(SERVICE_ERROR_STATUS[kind] for kind in type(error).__mro__ if kind in SERVICE_ERROR_STATUS)
