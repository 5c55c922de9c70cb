"""Compile a lint-clean flow document into an immutable, ready-to-run ``Flow``.

Compiling happens once per flow file: templates are compiled, defaults are filled in,
``on`` keys are normalised for matching, and the step graph is laid out as the
configuration of a state machine. Running a call then only reads this structure.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from jinja2 import Template as JinjaTemplate

from flows._document import Data, Document
from flows._errors import FlowInvalidError
from flows._lint import lint_document
from flows._loader import load_document
from flows._problems import Problem, Severity
from flows._templates import environment

DEFAULT_GATHER: dict[str, Any] = {"input": ["dtmf"], "finish_on_key": "#", "timeout": 5, "retries": 1}
DEFAULT_CONSULT_TURNS = 10
DEFAULT_CONSULT_TIMEOUT = 10.0
#: The call actions a consult step may offer the agent, as tools.
CONSULT_TOOLS = ("end_call", "send_dtmf", "transfer", "set")
RESERVED_ON_KEYS = ("no_input", "no_match", "any")
#: The step machine's states before the first step and after the last. Step ids
#: cannot contain parentheses, so these never collide with a step.
PENDING = "(pending)"
ENDED = "(ended)"

_WORD = re.compile(r"\w+")
_DTMF_KEY = re.compile(r"[0-9*#]+")


def words_of(text: str) -> tuple[str, ...]:
    """Lower-case words, punctuation dropped: what speech keywords are matched on."""
    return tuple(_WORD.findall(text.lower()))


@dataclass(frozen=True)
class Text:
    """A text of the flow that may be a template. Literal text skips Jinja entirely."""

    source: str
    template: JinjaTemplate | None = field(default=None, compare=False, repr=False)

    @classmethod
    def of(cls, source: str) -> Text:
        if "{{" in source or "{%" in source or "{#" in source:
            return cls(source, environment().from_string(source))
        return cls(source)

    @property
    def is_literal(self) -> bool:
        return self.template is None

    def render(self, context: Mapping[str, Any]) -> str:
        """Render with ``context``; raises jinja2 errors (undefined names, sandbox) as they come."""
        if self.template is None:
            return self.source
        return self.template.render(context)


@dataclass(frozen=True)
class Input:
    name: str
    type: str
    required: bool
    default: Data = None
    enum: tuple[Data, ...] | None = None
    description: str = ""


@dataclass(frozen=True)
class FlowGather:
    input: tuple[str, ...]
    digits: int | None
    finish_on_key: str
    timeout: float
    retries: int
    hints: tuple[str, ...]


@dataclass(frozen=True)
class Route:
    """One ``on`` entry. ``kind`` is dtmf, speech, or one of the reserved keys."""

    key: str
    kind: str
    target: str
    digits: str = ""  # dtmf: the keys pressed, finish key dropped
    words: tuple[str, ...] = ()  # speech: the keyword's words


@dataclass(frozen=True)
class FlowConsult:
    prompt: Text
    max_turns: int
    #: Seconds to wait for the agent's reply; None: the agent's own timeout (else 10).
    timeout: float | None
    #: Seconds each turn waits for the caller's speech.
    listen: float
    #: The call actions the agent may take by function calling (CONSULT_TOOLS), in the flow's order.
    tools: tuple[str, ...] = ()
    #: Where the transfer tool may connect the caller: (name, number template), in the flow's order.
    transfer_to: tuple[tuple[str, Text], ...] = ()
    #: Overrides of the config's agent settings for this step.
    model: str | None = None
    system_prompt: str | None = None
    fallback: str | None = None


@dataclass(frozen=True)
class Step:
    id: str
    #: ``set``, in order: a text is a template, a number or boolean stays as it is.
    assignments: tuple[tuple[str, Text | bool | int | float], ...] = ()
    say: tuple[Text, ...] = ()
    play: tuple[Text, ...] = ()
    pause: int | None = None
    send_digits: Text | None = None
    gather: FlowGather | None = None
    routes: tuple[Route, ...] = ()
    consult: FlowConsult | None = None
    transfer: Text | None = None
    next: str | None = None
    hangup: bool = False
    #: On the streaming path, whether the caller's speech interrupts what this step says.
    barge_in: bool = True

    def route(self, kind: str) -> Route | None:
        """The route for a reserved key (no_input, no_match, any), if the step has one."""
        return next((route for route in self.routes if route.kind == kind), None)


@dataclass(frozen=True)
class FlowMachine:
    """A notify flow's ``machine``: ask the carrier whether a machine answered, and what then."""

    detect: bool
    #: "hang_up" (end the call, reason voicemail) or "leave_message" (speak after the beep).
    on_machine: str = "hang_up"


@dataclass(frozen=True)
class Voice:
    name: str | None = None
    language: str | None = None


@dataclass(frozen=True)
class Flow:
    name: str
    file: str
    mode: str
    inputs: Mapping[str, Input]
    steps: Mapping[str, Step]
    start: str | None
    to: Text | None = None
    caller_id: Text | None = None
    voice: Voice = Voice()
    greeting: Text | None = None
    dtmf_sequence: Text | None = None
    max_duration: int | None = None
    description: str = ""
    machine: FlowMachine | None = None
    #: "gather", "streaming" or "realtime"; None: the config's choice.
    audio: str | None = None

    def machine_config(self) -> dict[str, Any]:
        """The states and transitions of this flow's step machine, for ``transitions``.

        States are the step ids plus PENDING (before the first step) and ENDED.
        A trigger ``to:<id>`` leads into a step from every step that may go there.
        """
        sources: dict[str, set[str]] = {step_id: set() for step_id in self.steps}
        if self.start is not None:
            sources[self.start].add(PENDING)
        for step in self.steps.values():
            targets = {route.target for route in step.routes}
            if step.next is not None:
                targets.add(step.next)
            for target in targets:
                sources[target].add(step.id)
        transitions = [
            {"trigger": f"to:{target}", "source": sorted(origins), "dest": target}
            for target, origins in sources.items()
            if origins
        ]
        transitions.append({"trigger": "end", "source": "*", "dest": ENDED})
        return {
            "states": [PENDING, *self.steps, ENDED],
            "initial": PENDING,
            "transitions": transitions,
        }


def compile_document(document: Document, load_problems: list[Problem] | None = None) -> Flow:
    """Compile a loaded document; raises FlowInvalidError when it has lint errors."""
    problems = lint_document(document, load_problems or [])
    errors = [problem for problem in problems if problem.severity is Severity.ERROR]
    if errors:
        raise FlowInvalidError(document.file, errors)
    return _compile(document)


def load_flow(path: Path) -> Flow:
    """Read, lint and compile a flow file. Raises FlowError subclasses."""
    document, load_problems = load_document(path)
    return compile_document(document, load_problems)


def _texts(value: Data) -> tuple[Text, ...]:
    if isinstance(value, str):
        return (Text.of(value),)
    if isinstance(value, list):
        return tuple(Text.of(item) for item in value if isinstance(item, str))
    return ()


def _optional_text(value: Data) -> Text | None:
    return Text.of(value) if isinstance(value, str) else None


def _compile(document: Document) -> Flow:
    data: dict[str, Any] = document.data if isinstance(document.data, dict) else {}
    defaults = {**DEFAULT_GATHER, **data.get("defaults", {})}
    steps = {step_id: _step(step_id, body, defaults) for step_id, body in data.get("steps", {}).items()}
    start = data.get("start") or next(iter(steps), None)
    voice = data.get("voice", {})
    return Flow(
        name=data["name"],
        file=document.file,
        mode=data.get("mode", "notify"),
        inputs={name: _input(name, spec) for name, spec in data.get("inputs", {}).items()},
        steps=steps,
        start=start,
        to=_optional_text(data.get("to")),
        caller_id=_optional_text(data.get("from")),
        voice=Voice(voice.get("name"), voice.get("language")),
        greeting=_optional_text(data.get("greeting")),
        dtmf_sequence=_optional_text(data.get("dtmf_sequence")),
        max_duration=data.get("max_duration"),
        description=data.get("description", ""),
        machine=_machine(data.get("machine")),
        audio=data.get("audio"),
    )


def _machine(spec: dict[str, Any] | None) -> FlowMachine | None:
    if spec is None:
        return None
    return FlowMachine(detect=spec.get("detect") is True, on_machine=spec.get("on_machine", "hang_up"))


def _input(name: str, spec: dict[str, Any]) -> Input:
    enum = spec.get("enum")
    return Input(
        name=name,
        type=spec["type"],
        required="default" not in spec,
        default=spec.get("default"),
        enum=tuple(enum) if enum is not None else None,
        description=spec.get("description", ""),
    )


def _step(step_id: str, body: dict[str, Any], defaults: dict[str, Any]) -> Step:
    gather = None
    finish = ""
    if "gather" in body:
        settings = {**defaults, **body["gather"]}
        finish = settings["finish_on_key"]
        gather = FlowGather(
            input=tuple(settings["input"]),
            digits=settings.get("digits"),
            finish_on_key=finish,
            timeout=float(settings["timeout"]),
            retries=int(settings["retries"]),
            hints=tuple(settings.get("hints", ())),
        )
    consult = None
    if "consult" in body:
        spec = body["consult"]
        timeout = spec.get("timeout")
        consult = FlowConsult(
            prompt=Text.of(spec["prompt"]),
            max_turns=int(spec.get("max_turns", DEFAULT_CONSULT_TURNS)),
            timeout=None if timeout is None else float(timeout),
            listen=float(spec.get("listen", defaults["timeout"])),
            tools=tuple(spec.get("tools", ())),
            transfer_to=tuple((name, Text.of(to)) for name, to in spec.get("transfer_to", {}).items()),
            model=spec.get("model"),
            system_prompt=spec.get("system_prompt"),
            fallback=spec.get("fallback"),
        )
    return Step(
        id=step_id,
        assignments=tuple(
            (name, Text.of(value) if isinstance(value, str) else value)
            for name, value in body.get("set", {}).items()
        ),
        say=_texts(body.get("say")),
        play=_texts(body.get("play")),
        pause=body.get("pause"),
        send_digits=_optional_text(body.get("send_digits")),
        gather=gather,
        routes=tuple(_route(key, target, finish) for key, target in body.get("on", {}).items()),
        consult=consult,
        transfer=_optional_text(body.get("transfer")),
        next=body.get("next"),
        hangup=body.get("hangup") is True,
        barge_in=body.get("barge_in") is not False,
    )


def _route(key: str, target: str, finish_on_key: str) -> Route:
    if key in RESERVED_ON_KEYS:
        return Route(key, key, target)
    if _DTMF_KEY.fullmatch(key):
        pressed = key[:-1] if finish_on_key and key.endswith(finish_on_key) else key
        return Route(key, "dtmf", target, digits=pressed)
    return Route(key, "speech", target, words=words_of(key))
