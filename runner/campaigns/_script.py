"""What a notify call of a flow says, rendered for one recipient before any call.

A notify flow never waits for the callee, so its path is known before the call: the
greeting, then the steps from ``start`` along their ``next``. The texts are rendered
as the engine renders them when the call is answered: with the recipient's values and
empty ``call``, ``last`` and ``consult``. Cells are values, never template source, so a
cell holding ``{{ ... }}`` is spoken as written.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from flows import Data, Flow, Step, Text
from runner.config import ProviderName
from runner.dialects import check_limits, fit_actions
from runner.engine import render_before_call, render_text
from runner.types import Speak

_EMPTY_BUILTINS: dict[str, Any] = {"call": {}, "last": {}, "consult": {}}


class NotCampaignFlowError(ValueError):
    """The flow cannot run a campaign: it dials no one, or it waits for the callee."""


@dataclass(frozen=True)
class _Spoken:
    """One text the call speaks, or (``assign`` set) a ``set`` value the texts after it read."""

    text: Text | bool | int | float
    where: str
    assign: str | None = None


class NotifyScript:
    """The texts a notify flow speaks, in order, taken from the flow once and rendered per row."""

    def __init__(self, flow: Flow, provider: str) -> None:
        if flow.to is None:
            raise NotCampaignFlowError(
                f"flow '{flow.name}' has no 'to': it dials no one, so it has no recipients"
            )
        if flow.mode != "notify":
            raise NotCampaignFlowError(
                f"flow '{flow.name}' is mode {flow.mode}; campaigns run notify flows (mode: notify)"
            )
        self.flow = flow
        self.to = flow.to
        self._to = _with_flat_globals(flow.to)
        #: The mock carrier answers in Twilio's documents, so it is held to Twilio's limits.
        self.dialect = "twilio" if provider == ProviderName.MOCK else provider
        self._parts = _parts(flow)

    def destination(self, values: Mapping[str, Data]) -> str:
        """The number ``to`` renders to; raises InputError naming ``to``."""
        return render_before_call(self.flow, "to", self._to, values)

    def spoken(self, values: Mapping[str, Data]) -> list[str]:
        """The texts the call says, in order.

        Raises TemplateFailure when a template fails, and DialectError when a text
        breaks the carrier's limits.
        """
        context: dict[str, Any] = {**values, **_EMPTY_BUILTINS}
        texts: list[str] = []
        for part in self._parts:
            value = part.text
            rendered = render_text(value, context, part.where) if isinstance(value, Text) else value
            if part.assign is not None:
                context[part.assign] = rendered
            else:
                texts.append(str(rendered))
        voice = self.flow.voice
        actions, _ = fit_actions(self.dialect, [Speak(text, voice.name, voice.language) for text in texts])
        check_limits(self.dialect, actions)
        return texts


def _with_flat_globals(text: Text) -> Text:
    template = text.template
    if template is None or template.environment.is_async:
        return text
    return _RowText(text.source, template, dict(template.globals))


def _parts(flow: Flow) -> tuple[_Spoken, ...]:
    parts: list[_Spoken] = []
    if flow.greeting is not None:
        parts.append(_Spoken(_with_flat_globals(flow.greeting), "greeting"))
    seen: set[str] = set()
    step_id = flow.start
    while step_id is not None and step_id not in seen:
        seen.add(step_id)
        step: Step = flow.steps[step_id]
        for name, value in step.assignments:
            text = _with_flat_globals(value) if isinstance(value, Text) else value
            parts.append(_Spoken(text, f"step '{step.id}' set.{name}", assign=name))
        parts.extend(_Spoken(_with_flat_globals(text), f"step '{step.id}' say") for text in step.say)
        step_id = None if step.hangup else step.next
    return tuple(parts)


@dataclass(frozen=True)
class _RowText(Text):
    """A flow's text that renders exactly as ``Text.render`` does, in under half the time.

    Jinja builds each render's context from the template's globals (``range``, ``dict``,
    ...), a ChainMap it walks key by key in Python: half the time of rendering a short
    text. A campaign renders each text once a row, so the globals are flattened once,
    when the script is made (the flows' environment never changes its globals).
    """

    flat_globals: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def render(self, context: Mapping[str, Any]) -> str:
        template = self.template
        if template is None:
            return self.source
        # What Template.render does, given the globals and the context merged into one dict:
        # "shared" takes that dict as it is, where render would build it from the ChainMap.
        environment = template.environment
        jinja_context = template.new_context({**self.flat_globals, **context}, shared=True)
        try:
            return environment.concat(template.root_render_func(jinja_context))
        except Exception:
            environment.handle_exception()
