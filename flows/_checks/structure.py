"""How a step's parts fit together, and what a notify flow may contain."""

from __future__ import annotations

from collections.abc import Iterator

from flows._document import NodePath
from flows._problems import Problem, Severity
from flows._view import FlowView

ON_WITHOUT_GATHER = "on-without-gather"
ONE_WAITING_PART = "one-waiting-part"
NEXT_AND_HANGUP = "next-and-hangup"
MODE_DTMF_SEQUENCE = "mode-dtmf-sequence"
MODE_NOTIFY_STEP = "mode-notify-step"
MODE_MACHINE = "mode-machine"
MODE_AUDIO = "mode-audio"
RULES = (
    MODE_AUDIO,
    ON_WITHOUT_GATHER,
    ONE_WAITING_PART,
    NEXT_AND_HANGUP,
    MODE_DTMF_SEQUENCE,
    MODE_NOTIFY_STEP,
    MODE_MACHINE,
)

_EXCLUSIVE_PARTS = ("gather", "consult", "transfer")


def check_structure(flow: FlowView) -> Iterator[Problem]:
    document = flow.document

    def error(path: NodePath, rule: str, message: str) -> Problem:
        return Problem(document.file, document.key_mark(path), Severity.ERROR, rule, message)

    if flow.mode == "notify" and "dtmf_sequence" in flow.top:
        yield error(
            ("dtmf_sequence",),
            MODE_DTMF_SEQUENCE,
            "dtmf_sequence is only sent in a conversation; add 'mode: conversation' or remove it",
        )
    if flow.mode == "notify" and flow.top.get("audio") in ("streaming", "realtime"):
        yield error(
            ("audio",),
            MODE_AUDIO,
            f"audio: {flow.top['audio']} is for conversations: a notify call only speaks, and the "
            "carrier's voice does that; add 'mode: conversation' or remove it",
        )
    if flow.mode == "conversation" and "machine" in flow.top:
        yield error(
            ("machine",),
            MODE_MACHINE,
            "machine (answering machine detection) is only for notify calls: a conversation waits "
            "for a person; remove it or use 'mode: notify'",
        )
    streamed = flow.top.get("audio") in ("streaming", "realtime")
    for step in flow.steps:
        if streamed and "play" in step.body:
            yield Problem(
                document.file,
                document.key_mark(step.at("play")),
                Severity.WARNING,
                MODE_AUDIO,
                f"step '{step.id}' plays audio, which the {flow.top['audio']} path does not fetch: "
                "it is skipped; say it instead, or use audio: gather",
            )
        parts = [part for part in _EXCLUSIVE_PARTS if part in step.body]
        if flow.mode == "notify":
            for part in parts:
                yield error(
                    step.at(part),
                    MODE_NOTIFY_STEP,
                    f"step '{step.id}' has '{part}', but a notify flow only speaks and hangs up; "
                    "add 'mode: conversation'",
                )
        if len(parts) > 1:
            yield error(
                step.at(parts[1]),
                ONE_WAITING_PART,
                f"step '{step.id}' has both '{parts[0]}' and '{parts[1]}'; a step does one of "
                "gather, consult or transfer: split it into two steps",
            )
        if "on" in step.body and "gather" not in step.body and "consult" not in step.body:
            yield error(
                step.at("on"),
                ON_WITHOUT_GATHER,
                f"step '{step.id}' has 'on' but no 'gather'; 'on' routes the caller's answer to a gather "
                "(or a consult's keywords)",
            )
        if "next" in step.body and step.body.get("hangup") is True:
            yield error(
                step.at("hangup"),
                NEXT_AND_HANGUP,
                f"step '{step.id}' has both 'next' and 'hangup: true'; keep one",
            )
