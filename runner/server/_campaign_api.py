"""The control API's campaigns: launch one, watch it, stop, cancel, report.

Behind the same loopback and token checks as the calls' API. A launch reads and checks
the recipients file in a worker thread (a large file must not hold up the webhooks),
then dials the campaign on the server's loop, as ``callflow campaign run`` does.
"""

from __future__ import annotations

import asyncio
import io
import math
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import BaseRoute, Route

from runner.campaigns import (
    BadCampaignName,
    CallingWindow,
    CampaignBlocked,
    CampaignConflict,
    CampaignDesk,
    NotCampaignFlowError,
    PhoneError,
    QuietHours,
    RecipientsFileError,
    RunOptions,
    UnknownCampaignError,
    WindowError,
    campaign_json,
    input_columns,
    plan_campaign,
    region_code,
    write_report,
    zone_named,
)
from runner.server._control_request import (
    BadRequest,
    Handler,
    error_response,
    guarded,
    optional_text,
    text_field,
)
from runner.service import UnknownFlowError
from runner.store import StoreError

#: What a launch may ask, with what ``callflow campaign run`` takes by default.
DEFAULT_OPTIONS = RunOptions()
#: The fields of a launch: any other is refused, so a misspelt option is not ignored.
LAUNCH_FIELDS = (
    "flow",
    "recipients",
    "name",
    "region",
    "skip_invalid",
    "cps",
    "concurrency",
    "max_attempts",
    "retry_delay",
    "seed",
    "window",
)


class CampaignApi:
    """The routes under /api/campaigns, over one server's ``CampaignDesk``."""

    def __init__(self, desk: CampaignDesk, token: str) -> None:
        self._desk = desk
        self._token = token

    def routes(self) -> list[BaseRoute]:
        base = "/api/campaigns"
        return [
            Route(base, self._endpoint(self._launch), methods=["POST"]),
            Route(base, self._endpoint(self._list), methods=["GET"]),
            Route(base + "/{name}", self._endpoint(self._status), methods=["GET"]),
            Route(base + "/{name}/stop", self._endpoint(self._stop), methods=["POST"]),
            Route(base + "/{name}/cancel", self._endpoint(self._cancel), methods=["POST"]),
            Route(base + "/{name}/report", self._endpoint(self._report), methods=["GET"]),
        ]

    def _endpoint(self, handler: Handler) -> Callable[[Request], Awaitable[Response]]:
        return guarded(handler, self._token, _answer_error)

    async def _launch(self, request: Request, payload: dict[str, Any]) -> Response:
        desk = self._desk
        _known_fields_only(payload)
        flow_name = text_field(payload, "flow")
        engine = desk.service.engines.get(flow_name)
        if engine is None:
            raise UnknownFlowError(flow_name, sorted(desk.service.engines))
        recipients = _recipients_path(payload)
        region = _region(payload)
        options = _run_options(payload, desk.default_zone)
        plan = await asyncio.to_thread(
            plan_campaign,
            engine.flow,
            recipients,
            name=optional_text(payload, "name"),
            provider=desk.service.provider.name,
            region=region,
            skip_invalid=_flag(payload, "skip_invalid"),
            options=options,
        )
        launched = await desk.launch(plan)
        status = 201 if launched == "created" else 200
        return JSONResponse({"launched": launched, **self._view(plan.name)}, status_code=status)

    async def _list(self, request: Request, payload: dict[str, Any]) -> Response:
        desk = self._desk
        return JSONResponse(
            {
                "campaigns": [
                    {**campaign_json(summary), "dialing": desk.is_dialing(summary.campaign.name)}
                    for summary in desk.campaigns()
                ]
            }
        )

    async def _status(self, request: Request, payload: dict[str, Any]) -> Response:
        return JSONResponse(self._view(request.path_params["name"]))

    async def _stop(self, request: Request, payload: dict[str, Any]) -> Response:
        name = request.path_params["name"]
        self._desk.campaign(name)  # an unknown name is a 404, not a quiet "not dialing"
        stopped = self._desk.stop(name)
        return JSONResponse({"stopped": stopped, **self._view(name)})

    async def _cancel(self, request: Request, payload: dict[str, Any]) -> Response:
        name = request.path_params["name"]
        self._desk.cancel(name)
        return JSONResponse(self._view(name))

    async def _report(self, request: Request, payload: dict[str, Any]) -> Response:
        name = request.path_params["name"]
        self._desk.campaign(name)
        text = await asyncio.to_thread(self._report_text, name)
        return Response(text, media_type="text/csv; charset=utf-8")

    def _report_text(self, name: str) -> str:
        # In a worker thread, on a connection of its own: a report of many rows is
        # written without holding up the loop.
        store = self._desk.open_store()
        try:
            out = io.StringIO()
            write_report(out, input_columns(store.recipients(name)), store.recipients(name))
            return out.getvalue()
        finally:
            store.close()

    def _view(self, name: str) -> dict[str, object]:
        """The campaign as JSON, whether this server dials it, and what its run did."""
        desk = self._desk
        view: dict[str, object] = {**campaign_json(desk.campaign(name)), "dialing": desk.is_dialing(name)}
        summary = desk.summary(name)
        if summary is not None:
            view["run"] = {
                "calls_placed": summary.calls_placed,
                "retries": summary.retries,
                "unsettled": summary.unsettled,
                "cancelled": summary.cancelled,
            }
        return view


def _answer_error(error: Exception) -> Response | None:
    if isinstance(error, CampaignBlocked):
        return error_response(
            422,
            str(error),
            problems=[problem.as_json() for problem in error.problems],
            invalid_rows=len(error.check.invalid_lines),
        )
    if isinstance(error, UnknownCampaignError | UnknownFlowError):
        return error_response(404, str(error))
    if isinstance(error, CampaignConflict):
        return error_response(409, str(error), reason=error.reason)
    if isinstance(error, NotCampaignFlowError | RecipientsFileError | BadCampaignName):
        return error_response(400, str(error))
    if isinstance(error, StoreError):
        return error_response(503, str(error))
    return None


# -- what a launch says ----------------------------------------------------------------


def _known_fields_only(payload: dict[str, Any]) -> None:
    unknown = sorted(set(payload) - set(LAUNCH_FIELDS))
    if unknown:
        raise BadRequest(f"unknown field '{unknown[0]}' (a launch takes {', '.join(LAUNCH_FIELDS)})")


def _recipients_path(payload: dict[str, Any]) -> Path:
    path = Path(text_field(payload, "recipients"))
    if not path.is_absolute():
        raise BadRequest(f"'recipients' must be an absolute path on the server's machine, not '{path}'")
    return path


def _region(payload: dict[str, Any]) -> str | None:
    region = optional_text(payload, "region")
    try:
        return None if region is None else region_code(region)
    except PhoneError as error:
        raise BadRequest(f"'region': {error}") from None


def _flag(payload: dict[str, Any], key: str) -> bool:
    value = payload.get(key, False)
    if not isinstance(value, bool):
        raise BadRequest(f"'{key}' must be true or false")
    return value


def _whole(payload: dict[str, Any], key: str, default: int) -> int:
    value = payload.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"'{key}' must be a whole number, 1 or more")
    return value


def _limit(payload: dict[str, Any], key: str, default: int | None) -> int | None:
    """A limit: a whole number, or null for none."""
    if key in payload and payload[key] is None:
        return None
    value = payload.get(key, default)
    if isinstance(value, bool) or not isinstance(value, int) or value < 1:
        raise BadRequest(f"'{key}' must be a whole number, 1 or more, or null (no limit)")
    return value


def _quiet_hours(payload: dict[str, Any], default_zone: str) -> QuietHours | None:
    window = optional_text(payload, "window")
    if window is None:
        return None
    try:
        return QuietHours(CallingWindow.parse(window), zone_named(default_zone))
    except WindowError as error:
        raise BadRequest(f"'window': {error}") from None


def _run_options(payload: dict[str, Any], default_zone: str) -> RunOptions:
    delay = payload.get("retry_delay", DEFAULT_OPTIONS.retry_base_delay)
    if isinstance(delay, bool) or not isinstance(delay, int | float) or not 0 <= delay < math.inf:
        raise BadRequest("'retry_delay' must be seconds, 0 or more")
    seed = payload.get("seed")
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, int)):
        raise BadRequest("'seed' must be a whole number or null")
    return RunOptions(
        cps=_limit(payload, "cps", DEFAULT_OPTIONS.cps),
        concurrency=_limit(payload, "concurrency", DEFAULT_OPTIONS.concurrency),
        max_attempts=_whole(payload, "max_attempts", DEFAULT_OPTIONS.max_attempts),
        retry_base_delay=float(delay),
        seed=seed,
        quiet_hours=_quiet_hours(payload, default_zone),
    )
