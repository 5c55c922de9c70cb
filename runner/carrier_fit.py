"""A flow against a carrier before any call: the values the carrier gets moved into its
ranges, and what it cannot take at all.

What a step sends whatever the call (its literal texts, its pause, its gather's
settings) is known before the call, so the actions it will produce are built here
and put through the renderer's own ``fit_actions`` and ``check_limits``. A template is
known only at call time: a text a template makes too long still ends that call with
reason error.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path

from flows import Document, Flow, FlowError, NodePath, Problem, Severity, load_document, load_flow
from runner.dialects import DialectLimitError, check_limits, fit_actions
from runner.engine import listen_action
from runner.providers.mock import MockProvider
from runner.types import Action, Pause, SendDigits, Speak

CARRIER_ADJUSTS = "carrier-adjusts"
CARRIER_REFUSES = "carrier-refuses"
#: The carriers a flow can be checked against: the dialects, and the mock (which speaks one).
PROVIDER_NAMES = ("twilio", "plivo", "telnyx", "mock")
# No turn is ever opened here; the gather's token never leaves this module.
_NO_TURN = "-"


@dataclass(frozen=True)
class CarrierNote:
    """One value of a flow that a carrier takes only moved (a warning) or not at all (an error)."""

    flow: str
    #: What the value belongs to: "step 'menu'", or a key of the flow such as "greeting".
    part: str
    #: Where the value may be written, the most specific first (a gather's timeout may
    #: be the step's own or the flow's default).
    paths: tuple[NodePath, ...]
    severity: Severity
    message: str

    @property
    def rule(self) -> str:
        return CARRIER_REFUSES if self.severity is Severity.ERROR else CARRIER_ADJUSTS

    def describe(self) -> str:
        return f"flow '{self.flow}' {self.part}: {self.message}"

    def problem(self, document: Document) -> Problem:
        """This note as a lint problem at the place in ``document`` the value is written."""
        marks = document.value_marks
        mark = next((marks[path] for path in self.paths if path in marks), document.mark(self.paths[0]))
        return Problem(document.file, mark, self.severity, self.rule, f"{self.part}: {self.message}")


def carrier_notes(flow: Flow, provider: str) -> list[CarrierNote]:
    """Every value of ``flow`` that ``provider`` (a name in PROVIDER_NAMES) takes only
    moved or not at all, in the order of the flow's parts."""
    dialect = MockProvider.dialect if provider == "mock" else provider
    notes: list[CarrierNote] = []

    def check(
        part: str, action: Action, *paths: NodePath, refused_at: Iterable[NodePath] = ()
    ) -> Action | None:
        """``action`` as the carrier gets it; None when it refuses it."""
        (fitted,), moves = fit_actions(dialect, [action])
        notes.extend(CarrierNote(flow.name, part, paths, Severity.WARNING, move) for move in moves)
        try:
            check_limits(dialect, [fitted])
        except DialectLimitError as error:
            where = tuple(refused_at) or paths
            notes.append(CarrierNote(flow.name, part, where, Severity.ERROR, str(error)))
            return None
        return fitted

    voice = flow.voice
    if voice.name is not None:
        # The voice is checked once, where it is written; the texts are then checked in
        # the voice the carrier gets, so a voice it moves or refuses is not noted per text.
        fitted = check("voice", Speak("", voice.name, voice.language), ("voice", "name"))
        voice = dataclasses.replace(voice, name=fitted.voice if isinstance(fitted, Speak) else None)
    if flow.dtmf_sequence is not None and flow.dtmf_sequence.is_literal:
        check("dtmf_sequence", SendDigits(flow.dtmf_sequence.source), ("dtmf_sequence",))
    if flow.greeting is not None and flow.greeting.is_literal:
        check("greeting", Speak(flow.greeting.source, voice.name, voice.language), ("greeting",))
    for step in flow.steps.values():
        part, at = f"step '{step.id}'", ("steps", step.id)
        for index, text in enumerate(step.say):
            if text.is_literal:
                check(part, Speak(text.source, voice.name, voice.language), (*at, "say", index), (*at, "say"))
        if step.pause is not None:
            check(part, Pause(step.pause), (*at, "pause"))
        if step.send_digits is not None and step.send_digits.is_literal:
            check(part, SendDigits(step.send_digits.source), (*at, "send_digits"))
        if step.gather is not None:
            # Of the gather settings the flow format allows, only a hint with a comma can
            # be refused; the step's hints or the defaults' hold it, at the same index.
            hint = next((i for i, text in enumerate(step.gather.hints) if "," in text), 0)
            check(
                part,
                listen_action(step, _NO_TURN),
                (*at, "gather", "timeout"),
                ("defaults", "timeout"),
                (*at, "gather"),
                refused_at=[(*at, "gather", "hints", hint), ("defaults", "hints", hint), (*at, "gather")],
            )
        elif step.consult is not None:
            check(
                part,
                listen_action(step, _NO_TURN),
                (*at, "consult", "listen"),
                ("defaults", "timeout"),
                (*at, "consult"),
            )
    return notes


def carrier_problems(flow: Flow, provider: str) -> list[Problem]:
    """``carrier_notes`` as lint problems, placed in the flow's file."""
    notes = carrier_notes(flow, provider)
    if not notes:
        return []
    document, _ = load_document(Path(flow.file))
    return [note.problem(document) for note in notes]


def configured_notes(paths: Iterable[Path], provider: str) -> list[CarrierNote]:
    """``carrier_notes`` of every flow file in ``paths`` that compiles; one that does not
    is left to the lint that reports it."""
    notes: list[CarrierNote] = []
    for path in paths:
        try:
            flow = load_flow(path)
        except FlowError:
            continue
        notes.extend(carrier_notes(flow, provider))
    return notes
