"""What Twilio posts to a voice webhook, signed the way Twilio signs it.

Signatures come from the official ``twilio`` package's ``RequestValidator``: an oracle
independent of callflow's own code, using the algorithm the server checks (HMAC-SHA1 of
the URL and the sorted form fields, keyed with the auth token, in base64).
"""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import urlencode

if TYPE_CHECKING:
    # twilio ships no type information.
    from twilio.request_validator import RequestValidator  # type: ignore[import-untyped]

ACCOUNT_SID = "AC" + "0123456789abcdef" * 2
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
CALLER = "+14155550111"
OUR_NUMBER = "+14155550199"
#: The key the second turn of every call presses: the hotline's "status", which ends the call.
SECOND_TURN_DIGITS = "2"


def official_validator() -> RequestValidator:
    # Imported here: twilio is a bench extra, and --help should work without it.
    from twilio.request_validator import RequestValidator

    return RequestValidator(AUTH_TOKEN)


def inbound_form(call_sid: str) -> dict[str, str]:
    """What Twilio posts to the voice URL when a call comes in."""
    return {
        "AccountSid": ACCOUNT_SID,
        "ApiVersion": "2010-04-01",
        "CallSid": call_sid,
        "CallStatus": "ringing",
        "Called": OUR_NUMBER,
        "Caller": CALLER,
        "Direction": "inbound",
        "From": CALLER,
        "To": OUR_NUMBER,
    }


def gather_form(call_sid: str, digits: str) -> dict[str, str]:
    """What Twilio posts to a <Gather>'s action URL when the caller pressed ``digits``."""
    return {
        **inbound_form(call_sid),
        "CallStatus": "in-progress",
        "Digits": digits,
        "FinishedOnKey": "",
        "msg": "Gather End",
    }


def signed(url: str, form: dict[str, str]) -> tuple[str, str]:
    """The X-Twilio-Signature of ``form`` posted to ``url``, and the body."""
    return official_validator().compute_signature(url, form), urlencode(form)


def form_headers(signature: str) -> dict[str, str]:
    return {"X-Twilio-Signature": signature, "Content-Type": "application/x-www-form-urlencoded"}


def call_sid(tag: int, worker: int, number: int) -> str:
    """A CallSid no other request of the run has: ``tag`` names the run, ``worker`` its sender."""
    return f"CA{tag:08x}{worker:08x}{number:016x}"


def write_pool(folder: Path, name: str, url: str, per_thread: int, threads: int, tag: int) -> str:
    """Files ``{name}-{thread}.txt`` of signed first webhooks of new calls, one per line
    (the signature, a tab, the body); the files' common prefix.
    """
    validator = official_validator()
    # Only the CallSid changes, and it never needs escaping: one encoding, then a template.
    _, template = signed(url, inbound_form("{sid}"))
    template = template.replace("%7Bsid%7D", "{sid}")
    for thread in range(threads):
        lines = []
        for number in range(per_thread):
            sid = call_sid(tag, thread, number)
            signature = validator.compute_signature(url, inbound_form(sid))
            lines.append(f"{signature}\t{template.format(sid=sid)}\n")
        (folder / f"{name}-{thread}.txt").write_text("".join(lines), encoding="ascii")
    return str(folder / name)
