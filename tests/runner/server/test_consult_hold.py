"""A slow agent never holds the carrier's request: past the hold, the caller hears the
filler line and the carrier is redirected to wait again, until the answer is in.

Through a real server on 127.0.0.1 with the mock carrier; the agent is the
chat-completions stand-in, whose answers the tests release when they choose.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.agent import ConsultAgent
from runner.config import AgentSettings
from runner.providers.plivo import PlivoProvider
from runner.service import InboundSettings
from tests.runner.agent.stand_in import AgentStandIn
from tests.runner.server.harness import Running, running_server

FRONT_DESK = """\
version: 1
name: front-desk
mode: conversation
to: "+14155550100"
greeting: Hello, this is the clinic.
steps:
  desk:
    consult:
      prompt: You speak for the clinic. Answer briefly.
      max_turns: 1
    next: bye
  bye:
    say: Goodbye.
    hangup: true
"""
GREETING = "Hello, this is the clinic."
ASKED = "Can I move my appointment?"
REPLY = "Yes: Friday at nine suits us."
FALLBACK = "Sorry, someone will call you back."
#: Characters that would break the document if it were not escaped.
FILLER = "One moment <&> please."
#: Short, so the tests need not wait for the agent long to see a redirect.
HOLD = 0.2


@pytest.fixture
def flow(tmp_path: Path) -> Path:
    path = tmp_path / "front-desk.yaml"
    path.write_text(FRONT_DESK, encoding="utf-8")
    return path


@pytest.fixture
def stand_in() -> Iterator[AgentStandIn]:
    with AgentStandIn() as agent:
        yield agent


def agent_of(stand_in: AgentStandIn, timeout: float = 10) -> ConsultAgent:
    return ConsultAgent(
        AgentSettings(base_url=stand_in.url, model="clinic-small", timeout=timeout, fallback=FALLBACK)
    )


def place(server: Running, *caller: str) -> str:
    """A front-desk call whose callee says ``caller`` in turn, then hangs up; its id."""
    started = server.api("POST", "/api/calls", {"flow": "front-desk", "inputs": [f"say:{w}" for w in caller]})
    assert started.status_code == 201, started.text
    return str(started.json()["id"])


def heard(server: Running) -> list[str]:
    """What the callee of the server's one call has heard so far."""
    (mock,) = server.provider.calls.values()
    return list(mock.said)


def until(check: Callable[[], bool], what: str, seconds: float = 10.0) -> None:
    deadline = time.monotonic() + seconds
    while not check():
        if time.monotonic() > deadline:
            raise AssertionError(f"never: {what}")
        time.sleep(0.01)


def ended(server: Running, call_id: str) -> dict[str, Any]:
    """The call's record once it has ended and the callee has heard its last words."""
    record: dict[str, Any] = server.api("POST", f"/api/calls/{call_id}/wait", {"timeout": 20}).json()
    until(lambda: server.provider.idle, "the mock call is over")
    return record


def redirects(server: Running) -> float:
    metrics = httpx.get(f"{server.base}/metrics", timeout=10).text
    line = next(line for line in metrics.splitlines() if line.startswith("callflow_agent_redirects_total "))
    return float(line.split()[1])


def test_a_slow_agent_is_heard_after_the_filler_line_on_the_same_call(
    data_dir: Path, flow: Path, stand_in: AgentStandIn
) -> None:
    answer = threading.Event()
    stand_in.reply_when(answer, f'{{"spoken": "{REPLY}"}}')
    with running_server(
        data_dir, [flow], agent=agent_of(stand_in), agent_hold_seconds=HOLD, agent_filler=FILLER
    ) as server:
        call_id = place(server, ASKED)
        until(lambda: FILLER in heard(server), "the filler line was said")
        # The carrier keeps coming back while the agent thinks; the filler is said once.
        until(lambda: redirects(server) >= 3, "the carrier was redirected again")
        answer.set()
        record = ended(server, call_id)
        assert heard(server) == [GREETING, FILLER, REPLY, "Goodbye."]
    assert len(stand_in.requests) == 1
    assert [(entry["speaker"], entry["text"]) for entry in record["transcript"]] == [
        ("bot", GREETING),
        ("caller", ASKED),
        ("agent", REPLY),
        ("bot", "Goodbye."),
    ]
    assert record["path"] == ["desk", "bye"]
    assert record["end_reason"] == "hangup-bot"


def test_an_agent_that_never_answers_gets_the_filler_then_the_fallback_and_the_call_goes_on(
    data_dir: Path, flow: Path, stand_in: AgentStandIn
) -> None:
    stand_in.stall()
    with running_server(
        data_dir, [flow], agent=agent_of(stand_in, timeout=1), agent_hold_seconds=HOLD, agent_filler=FILLER
    ) as server:
        record = ended(server, place(server, ASKED))
        assert heard(server) == [GREETING, FILLER, FALLBACK, "Goodbye."]
    assert len(stand_in.requests) == 1
    assert record["path"] == ["desk", "bye"]
    assert record["end_reason"] == "hangup-bot"


def test_without_an_agent_a_reply_spoken_after_the_hold_is_said_after_a_redirect(
    data_dir: Path, flow: Path
) -> None:
    with running_server(data_dir, [flow], agent_hold_seconds=HOLD) as server:
        call_id = place(server, ASKED)
        until(lambda: "One moment, please." in heard(server), "the default filler line was said")
        status = server.api("GET", f"/api/calls/{call_id}").json()
        assert (status["waiting_for"], status["consult"]["heard"]) == ("agent", ASKED)
        assert server.api("POST", f"/api/calls/{call_id}/speak", {"text": REPLY}).json() == {"ok": True}
        record = ended(server, call_id)
        assert heard(server) == [GREETING, "One moment, please.", REPLY, "Goodbye."]
        assert redirects(server) >= 1
    assert record["path"] == ["desk", "bye"]


def test_an_empty_filler_says_nothing_while_the_agent_thinks(
    data_dir: Path, flow: Path, stand_in: AgentStandIn
) -> None:
    answer = threading.Event()
    stand_in.reply_when(answer, f'{{"spoken": "{REPLY}"}}')
    with running_server(
        data_dir, [flow], agent=agent_of(stand_in), agent_hold_seconds=HOLD, agent_filler=""
    ) as server:
        call_id = place(server, ASKED)
        until(lambda: redirects(server) >= 2, "the carrier was redirected")
        answer.set()
        ended(server, call_id)
        assert heard(server) == [GREETING, REPLY, "Goodbye."]


def _end_by_api(server: Running, call_id: str) -> None:
    assert server.api("POST", f"/api/calls/{call_id}/end").json()["end_reason"] == "hangup-bot"


def _caller_hangs_up(server: Running, call_id: str) -> None:
    (sid,) = server.provider.calls
    form = {"CallSid": sid, "CallStatus": "completed", "From": "+14155550199", "To": "+14155550100"}
    assert server.post_webhook(f"?call_id={call_id}&event=status", form).status_code == 200


@pytest.mark.parametrize("end", [_end_by_api, _caller_hangs_up], ids=["control-end", "caller-hangs-up"])
def test_a_call_that_ends_while_the_agent_thinks_cuts_the_agents_request(
    data_dir: Path, flow: Path, stand_in: AgentStandIn, end: Callable[[Running, str], None]
) -> None:
    never = threading.Event()
    stand_in.reply_when(never, '{"spoken": "Too late."}')
    with running_server(
        data_dir, [flow], agent=agent_of(stand_in), agent_hold_seconds=HOLD, agent_filler=FILLER
    ) as server:
        call_id = place(server, ASKED)
        until(lambda: FILLER in heard(server), "the filler line was said")
        end(server, call_id)
        assert stand_in.cut.wait(10), "the agent's request was not cut"
        record = ended(server, call_id)
        assert "Too late." not in heard(server)
    assert record["end_reason"] in ("hangup-bot", "hangup-user")
    assert [entry["text"] for entry in record["transcript"]] == [GREETING, ASKED]
    assert len(stand_in.requests) == 1


def test_copies_of_a_redirect_share_one_agent_request_and_its_answer(
    data_dir: Path, flow: Path, stand_in: AgentStandIn
) -> None:
    answer = threading.Event()
    stand_in.reply_when(answer, f'{{"spoken": "{REPLY}"}}')
    # Unsigned, so the replay guard does not fold the copies into one: the call service
    # itself must neither ask twice nor lose the answer, whichever request takes it.
    with running_server(
        data_dir,
        [flow],
        agent=agent_of(stand_in),
        agent_hold_seconds=HOLD,
        agent_filler=FILLER,
        verify_signatures=False,
    ) as server:
        call_id = place(server, ASKED)
        until(lambda: FILLER in heard(server), "the filler line was said")
        (sid,) = server.provider.calls
        form = {"CallSid": sid, "CallStatus": "in-progress", "From": "+14155550199", "To": "+14155550100"}
        url = f"{server.webhook}?call_id={call_id}&event=agent&ref=copy"
        answers: list[httpx.Response] = []
        copies = [
            threading.Thread(target=lambda: answers.append(httpx.post(url, data=form, timeout=10)))
            for _ in range(3)
        ]
        for copy in copies:
            copy.start()
        answer.set()
        for copy in copies:
            copy.join()
        record = ended(server, call_id)
        assert heard(server) == [GREETING, FILLER, REPLY, "Goodbye."]
    assert len(stand_in.requests) == 1
    assert [response.status_code for response in answers] == [200, 200, 200]
    assert [entry["text"] for entry in record["transcript"]] == [GREETING, ASKED, REPLY, "Goodbye."]


INBOUND_DESK = FRONT_DESK.replace('to: "+14155550100"\n', "")


def test_a_server_started_again_while_the_carrier_waits_asks_the_agent_again(
    data_dir: Path, tmp_path: Path, stand_in: AgentStandIn
) -> None:
    """The wait lived in the process that stopped: the carrier's next redirect finds the
    call still waiting for the agent in the store, and the agent is asked then."""
    flow = tmp_path / "front-desk.yaml"
    flow.write_text(INBOUND_DESK, encoding="utf-8")
    policy = InboundSettings(policy="open", flow="front-desk")
    caller = {"CallUUID": "uuid-1", "From": "+14155550111", "To": "+14155550199", "Direction": "inbound"}
    settings: dict[str, Any] = {
        "provider": PlivoProvider("MA0000000000000000000", "plivo-test-token"),
        "verify_signatures": False,
        "inbound": policy,
        "agent_hold_seconds": HOLD,
        "agent_filler": FILLER,
    }
    with running_server(data_dir, [flow], **settings) as server:
        answered = server.post_webhook("", {**caller, "CallStatus": "ringing"})
        gather = answered.text.split('action="')[1].split('"')[0].replace("&amp;", "&")
        waiting = httpx.post(
            gather, data={**caller, "CallStatus": "in-progress", "Speech": ASKED}, timeout=10
        )
        assert "One moment &lt;&amp;&gt; please." in waiting.text
        back = waiting.text.split('<Redirect method="POST">')[1].split("<")[0].replace("&amp;", "&")
    stand_in.reply(f'{{"spoken": "{REPLY}"}}')
    with running_server(data_dir, [flow], agent=agent_of(stand_in), **settings) as server:
        answer = httpx.post(back.replace(back.split("/voice")[0], server.base), data=caller, timeout=10)
    assert answer.status_code == 200, answer.text
    assert f"<Speak>{REPLY}</Speak>" in answer.text
    assert "One moment" not in answer.text
    (request,) = stand_in.requests
    assert request.json()["messages"][-1] == {"role": "user", "content": ASKED}
