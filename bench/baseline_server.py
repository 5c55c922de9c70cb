"""The baseline server: what a webhook costs with no call behind it.

    .venv/bin/python bench/baseline_server.py PORT

A bare Starlette app, served exactly as ``callflow serve`` serves its app: through
``runner.server.serve_foreground`` on a socket from ``runner.server.bind``, so the same
uvicorn options (uvloop, httptools, no access log, lifespan on, no proxy headers), the
same garbage-collector settings (``gc.freeze()`` after start-up, a young collection every
10,000 allocations) and the same TCP settings. Two endpoints, both behind Starlette's
router (callflow's webhook goes straight to its guard, ahead of the router):

- the webhook path: parses the form with Starlette's form parser (python-multipart),
  checks the X-Twilio-Signature over the URL and the form with the official ``twilio``
  package, and answers callflow's own documents for the hotline flow, byte for byte
  but for the ids: the first turn's <Gather> (its action URL on this server) to a
  request without ``turn`` in its query, the second turn's goodbye and <Hangup/> to one
  with it. It remembers nothing: no replay cache, no call, no store;
- the do-nothing path: the first turn's document, the request not even read.
"""

from __future__ import annotations

import sys

from carrier_requests import official_validator
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import Route

from runner.server import bind, serve_foreground

WEBHOOK_PATH = "/voice/webhook"
NOTHING_PATH = "/nothing"
# callflow's answers to the hotline's two turns; its call ids and turn tokens have these lengths.
FIRST_TURN = """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Gather input="dtmf speech" numDigits="1" finishOnKey="#" timeout="5" hints="report,status" \
action="{base}{path}?call_id=call-0123456789abcdef01234567&amp;turn=0123456789ab" \
method="POST" actionOnEmptyResult="true">
    <Say>You have reached the outage hotline.</Say>
    <Say>To report an outage, press 1 or say report. To hear the current status, press 2 or say status.</Say>
  </Gather>
</Response>
"""
SECOND_TURN = """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say>Crews are working on all reported outages. Thank you for calling.</Say>
  <Hangup/>
</Response>
"""


def baseline_app(port: int) -> Starlette:
    """The baseline and do-nothing endpoints in a bare Starlette app listening on ``port``."""
    validator = official_validator()
    first = FIRST_TURN.format(base=f"http://127.0.0.1:{port}", path=WEBHOOK_PATH)

    async def baseline(request: Request) -> Response:
        form = await request.form()
        params = {name: value for name, value in form.items() if isinstance(value, str)}
        signature = request.headers.get("x-twilio-signature", "")
        if not validator.validate(str(request.url), params, signature):
            return PlainTextResponse("the signature does not match", status_code=401)
        document = SECOND_TURN if "turn" in request.query_params else first
        return Response(document, media_type="application/xml")

    async def nothing(request: Request) -> Response:
        return Response(first, media_type="application/xml")

    return Starlette(
        routes=[
            Route(WEBHOOK_PATH, baseline, methods=["POST"]),
            Route(NOTHING_PATH, nothing, methods=["GET", "POST"]),
        ]
    )


def main(argv: list[str]) -> int:
    if len(argv) != 1 or not argv[0].isdigit():
        print("usage: baseline_server.py PORT", file=sys.stderr)
        return 2
    port = int(argv[0])
    serve_foreground(baseline_app(port), bind("127.0.0.1", port))
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
