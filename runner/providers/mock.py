"""The mock carrier: a carrier simulator inside the process, for running with no network.

It "dials" by calling the server's own webhook over HTTP, as a carrier would, and
plays the callee from a script in the ``--input`` language, given for the call before
it is dialled (``scripted_callee``). It speaks TwiML (the server renders the ``twilio``
dialect for it) and sends Twilio-shaped form fields, so a call on the mock takes the
same HTTP path as a call on a real carrier.

    1, 42#      the callee presses keys at the next gather
    say:TEXT    the callee says TEXT
    silence     the gather times out
    wait:N      the callee stays silent for N seconds (real time); a redirect from the
                server (speak, dtmf) interrupts the wait
    hangup      the callee hangs up; so does running out of script at a gather

A document that opens a media stream (``<Connect><Stream>``, the streaming path) is
played as Twilio plays it: the callee's script goes on the stream as espeak-ng's voice
and DTMF messages (see ``_mock_stream``).

With ``outcomes`` (see ``mock_outcomes``) each dialled call first draws what becomes of
it: busy, no-answer and failed calls are never answered and end with the status callback
Twilio sends for them; a machine answers with Twilio's ``AnsweredBy`` for the detection
asked for, and a person with ``AnsweredBy=human`` when detection was asked for.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import ssl
import uuid
import xml.etree.ElementTree as ElementTree
from collections import deque
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from urllib.parse import parse_qsl, urlsplit

import httpx

from runner.providers import twilio
from runner.providers._base import CarrierWebhook, OutboundCall, WebhookKind
from runner.providers._errors import ProviderUnreachable
from runner.providers._fields import twilio_style_webhook
from runner.providers._mock_stream import StreamEnd, StreamOutcome, stream_callee
from runner.providers.mock_outcomes import MockOutcomes, Outcome
from runner.script import CallerAction, HangUp, Press, Say, Silence, Wait, digits_reported
from runner.speech import EspeakSynthesizer, SpeechError

logger = logging.getLogger("callflow.mock")

#: The most documents one mock call fetches: a guard against a loop between the two.
MAX_FETCHES = 500

#: Outcomes that never answer, with the final CallStatus Twilio reports for each.
_NEVER_ANSWERED = {Outcome.BUSY: "busy", Outcome.NO_ANSWER: "no-answer", Outcome.FAILED: "failed"}


@dataclass
class MockCall:
    """What the mock carrier knows of one call: what it heard and what it did."""

    sid: str
    outbound: OutboundCall
    script: deque[CallerAction]
    #: The call's own client of the server (see MockProvider._connection_for).
    client: httpx.AsyncClient
    said: list[str] = field(default_factory=list)
    digits_played: list[str] = field(default_factory=list)
    dialled: list[str] = field(default_factory=list)
    status: str = "queued"
    answers: bool = True
    outcome: Outcome = Outcome.ANSWERED
    redirect_to: asyncio.Queue[str] = field(default_factory=asyncio.Queue)
    done: asyncio.Event = field(default_factory=asyncio.Event)


class MockProvider:
    name = "mock"
    dialect = "twilio"

    def __init__(
        self,
        *,
        answers: bool = True,
        auth_token: str = "",
        outcomes: MockOutcomes | None = None,
    ) -> None:
        # One TLS context for every call's client: making one is the costly part of a client.
        self._tls = ssl.create_default_context()
        self.calls: dict[str, MockCall] = {}
        self._tasks: set[asyncio.Task[None]] = set()
        #: False: calls ring and are never answered, and no end is ever reported.
        self.answers = answers
        #: Requests are signed as Twilio signs them, with this key; "" sends no signature.
        self.auth_token = auth_token
        #: What each dialled call comes to, drawn in the order calls are placed; None: answered.
        self.outcomes = outcomes
        #: The callee's script of each call about to be dialled, by the server's call id.
        self._scripts: dict[str, tuple[CallerAction, ...]] = {}
        #: The callee's voice on media streams.
        self.voice = EspeakSynthesizer()

    @contextlib.contextmanager
    def scripted_callee(self, call_id: str, script: Sequence[CallerAction]) -> Iterator[None]:
        """The callee of the call ``call_id`` plays ``script`` if the call is dialled within
        this block; a call with no script has a callee who hangs up at the first gather."""
        self._scripts[call_id] = tuple(script)
        try:
            yield
        finally:
            self._scripts.pop(call_id, None)

    async def place_call(self, call: OutboundCall) -> str:
        """ "Dial": the callee plays the script given for this call, if any."""
        sid = f"MOCK{uuid.uuid4().hex[:28]}"
        script = self._scripts.pop(_call_id_in(call.answer_url), ())
        outcome = self.outcomes.draw() if self.outcomes is not None else Outcome.ANSWERED
        client = self._connection_for()
        mock = MockCall(sid, call, deque(script), client, answers=self.answers, outcome=outcome)
        self.calls[sid] = mock
        task = asyncio.create_task(self._run(mock))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return sid

    async def hang_up(self, carrier_call_id: str) -> None:
        mock = self.calls.get(carrier_call_id)
        if mock is not None and not mock.done.is_set():
            mock.status = "completed"
            mock.done.set()

    async def send_digits(self, carrier_call_id: str, digits: str, resume_url: str) -> None:
        mock = self.calls.get(carrier_call_id)
        if mock is not None:
            mock.digits_played.append(digits)
            await mock.redirect_to.put(resume_url)

    async def redirect(self, carrier_call_id: str, url: str) -> None:
        mock = self.calls.get(carrier_call_id)
        if mock is not None and not mock.done.is_set():
            await mock.redirect_to.put(url)

    def parse_webhook(self, params: Mapping[str, str], kind: WebhookKind) -> CarrierWebhook:
        return twilio_style_webhook(self.name, params, kind)

    @property
    def idle(self) -> bool:
        """No simulated call is still sending webhooks."""
        return not self._tasks

    async def wait_until_done(self, carrier_call_id: str) -> MockCall:
        mock = self.calls[carrier_call_id]
        await mock.done.wait()
        return mock

    async def aclose(self) -> None:
        tasks = list(self._tasks)
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        await self.voice.aclose()

    # -- the simulated carrier -----------------------------------------------------

    async def _run(self, mock: MockCall) -> None:
        try:
            final_status = _NEVER_ANSWERED.get(mock.outcome)
            if final_status is not None:
                await self._never_answered(mock, final_status)
                return
            await self._status(mock, "ringing")
            if not mock.answers:
                await mock.done.wait()
                return
            answer = {"CallStatus": "in-progress", **_detection_result(mock)}
            document = await self._fetch(mock, mock.outbound.answer_url, answer)
            mock.status = "in-progress"
            for _ in range(MAX_FETCHES):
                if document is None or mock.done.is_set():
                    break
                document = await self._perform(mock, document)
            if not mock.done.is_set():
                mock.status = "completed"
            await self._status(mock, mock.status)
        except (httpx.HTTPError, ElementTree.ParseError, ProviderUnreachable, SpeechError) as error:
            logger.warning("mock call %s stopped: %s", mock.sid, error)
        finally:
            mock.done.set()
            await mock.client.aclose()

    def _connection_for(self) -> httpx.AsyncClient:
        """A client of its own for one call: its webhooks, one after the other, share one
        kept-alive connection. One pool for every call would keep few connections alive
        and scan them all on each request (encode/httpcore#1000): a campaign's calls would
        each open a connection a webhook, and the pool's scan would grow with the calls."""
        limits = httpx.Limits(max_connections=1, max_keepalive_connections=1)
        transport = httpx.AsyncHTTPTransport(verify=self._tls, limits=limits)
        return httpx.AsyncClient(transport=transport, timeout=30.0)

    async def _never_answered(self, mock: MockCall, final_status: str) -> None:
        """A busy line or a failed call ends at once; an unanswered one rings first."""
        if mock.outcome is Outcome.NO_ANSWER:
            await self._status(mock, "ringing")
        mock.status = final_status
        await self._status(mock, final_status)

    async def _perform(self, mock: MockCall, document: str) -> str | None:
        """Carry out one document; the next one the carrier fetched, or None at the end."""
        for verb in ElementTree.fromstring(document):
            if mock.done.is_set():
                return None
            if verb.tag == "Say":
                mock.said.append(verb.text or "")
            elif verb.tag == "Play" and verb.get("digits"):
                mock.digits_played.append(verb.get("digits", ""))
            elif verb.tag == "Dial":
                mock.dialled.extend(number.text or "" for number in verb)
            elif verb.tag == "Gather":
                mock.said.extend(child.text or "" for child in verb if child.tag == "Say")
                return await self._answer(mock, verb)
            elif verb.tag == "Redirect":
                return await self._fetch(mock, verb.text or "", {})
            elif verb.tag == "Connect":
                outcome = await self._stream(mock, verb)
                if outcome.end is not StreamEnd.CLOSED:
                    return await self._after_stream(mock, outcome)
            elif verb.tag in ("Hangup", "Reject"):
                return None
        return None

    async def _stream(self, mock: MockCall, connect: ElementTree.Element) -> StreamOutcome:
        """Play the callee on the media stream the document opens, until it ends."""
        stream = connect.find("Stream")
        if stream is None:
            logger.warning("mock call %s: a <Connect> with no <Stream> is skipped", mock.sid)
            return StreamOutcome(StreamEnd.CLOSED)
        return await stream_callee(mock, stream, self.voice)

    async def _after_stream(self, mock: MockCall, outcome: StreamOutcome) -> str | None:
        """The next document after a stream that did not just close; None at the end."""
        if outcome.end is StreamEnd.REDIRECTED:
            return await self._fetch(mock, outcome.url, {})
        if outcome.end is StreamEnd.CALLEE_HUNG_UP:
            mock.status = "completed"
        return None

    async def _answer(self, mock: MockCall, gather: ElementTree.Element) -> str | None:
        action = gather.get("action", "")
        while mock.script:
            move = mock.script.popleft()
            if isinstance(move, Wait):
                url = await _first_redirect(mock, move.seconds)
                if mock.done.is_set():
                    return None
                if url is not None:
                    return await self._fetch(mock, url, {})
                continue
            if isinstance(move, Press):
                # Twilio's finishOnKey is # unless the document says otherwise ("" for none).
                digits = digits_reported(move.digits, gather.get("finishOnKey", "#"))
                return await self._fetch(mock, action, {"Digits": digits})
            if isinstance(move, Say):
                return await self._fetch(mock, action, {"SpeechResult": move.text, "Confidence": "0.9"})
            if isinstance(move, Silence):
                return await self._fetch(mock, action, {})
            if isinstance(move, HangUp):
                break
        mock.status = "completed"  # the callee hangs up
        return None

    async def _fetch(self, mock: MockCall, url: str, fields: Mapping[str, str]) -> str | None:
        form = {
            "CallSid": mock.sid,
            "CallStatus": mock.status if mock.status != "queued" else "in-progress",
            "From": mock.outbound.caller_id,
            "To": mock.outbound.to,
            "Direction": "outbound-api",
            **fields,
        }
        response = await self._post(mock, url, form)
        if response.status_code != 200:
            logger.warning("mock call %s: the webhook answered %s", mock.sid, response.status_code)
            return None
        return response.text

    async def _post(self, mock: MockCall, url: str, form: Mapping[str, str]) -> httpx.Response:
        headers = {}
        if self.auth_token:
            headers["X-Twilio-Signature"] = twilio.signature(self.auth_token, url, list(form.items()))
        return await mock.client.post(url, data=form, headers=headers)

    async def _status(self, mock: MockCall, status: str) -> None:
        form = {
            "CallSid": mock.sid,
            "CallStatus": status,
            "From": mock.outbound.caller_id,
            "To": mock.outbound.to,
            "Direction": "outbound-api",
        }
        try:
            await self._post(mock, mock.outbound.status_url, form)
        except httpx.HTTPError as error:
            raise ProviderUnreachable(self.name, f"the webhook cannot be reached: {error}") from None


def _detection_result(mock: MockCall) -> dict[str, str]:
    """The AnsweredBy field Twilio adds to the answer webhook when detection was asked for:
    a machine is reported at the beep when the call waits for it, else as soon as it is heard."""
    if not mock.outbound.machine_detection:
        return {}
    if mock.outcome is not Outcome.MACHINE:
        return {"AnsweredBy": "human"}
    return {"AnsweredBy": "machine_end_beep" if mock.outbound.wait_for_beep else "machine_start"}


def _call_id_in(url: str) -> str:
    """The server's id for a call, from the URL it gave the carrier (a carrier is told no
    other way which call it dials)."""
    return dict(parse_qsl(urlsplit(url).query)).get("call_id", "")


async def _first_redirect(mock: MockCall, seconds: float) -> str | None:
    """The URL of a redirect that comes within ``seconds``; None on time out or hang-up."""
    redirect = asyncio.ensure_future(mock.redirect_to.get())
    ended = asyncio.ensure_future(mock.done.wait())
    try:
        await asyncio.wait({redirect, ended}, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
    finally:
        for waiter in (redirect, ended):
            waiter.cancel()
        # Let the cancelled waiters finish here, not when the loop is already closed.
        await asyncio.gather(redirect, ended, return_exceptions=True)
    if redirect.cancelled() or redirect.exception() is not None:
        return None
    return redirect.result()
