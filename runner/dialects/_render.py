"""The engine's actions as one carrier document."""

from __future__ import annotations

from collections.abc import Iterable

from runner.dialects._errors import UnsupportedActionError
from runner.dialects._limits import check_limits, fit_actions
from runner.dialects._tables import dialect
from runner.dialects._verbs import (
    gather,
    hangup,
    pause,
    play,
    redirect,
    send_digits,
    speak,
    transfer,
    turn_url,
)
from runner.dialects._xml import Element, document, url_slot
from runner.types import Action, Consult, Gather, Hangup, Pause, Play, SendDigits, Speak, Transfer


def render(
    provider: str,
    actions: Iterable[Action],
    *,
    webhook_url: str,
    call_id: str,
    then_redirect: str | None = None,
) -> str:
    """The document that makes ``provider`` perform ``actions`` in order.

    Prompts right before a gather go inside it, so the caller can answer over them;
    the gather's answer goes to ``webhook_url`` with the call id and the turn's token.
    A value the carrier takes in a narrower range is moved into it (``fit_actions``).
    ``then_redirect``: the URL the carrier fetches once the actions are done, for a turn
    not over yet (the agent still thinks); such actions hold no gather.
    """
    table = dialect(provider)
    actions, _ = fit_actions(provider, actions)
    check_limits(provider, actions)
    verbs: list[Element] = []
    urls: list[str] = []
    for action in actions:
        if isinstance(action, Speak):
            verbs.append(speak(table, action))
        elif isinstance(action, Play):
            verbs.append(play(table, action))
        elif isinstance(action, Pause):
            verbs.append(pause(table, action))
        elif isinstance(action, SendDigits):
            verbs.append(send_digits(table, action.digits))
        elif isinstance(action, Gather):
            start = len(verbs)
            while start and verbs[start - 1].tag in table.gather_prompts:
                start -= 1
            prompts = verbs[start:]
            del verbs[start:]
            verbs.extend(gather(table, action, url_slot(len(urls)), prompts))
            urls.append(turn_url(webhook_url, call_id, action.token))
        elif isinstance(action, Transfer):
            verbs.append(transfer(table, action))
        elif isinstance(action, Hangup):
            verbs.append(hangup(table))
        elif isinstance(action, Consult):
            raise UnsupportedActionError(
                provider, action, "the engine asks the agent itself; a consult never reaches the carrier"
            )
        else:
            raise UnsupportedActionError(provider, action, "it is not an engine action")
    if then_redirect is not None:
        verbs.append(redirect(table, url_slot(len(urls))))
        urls.append(then_redirect)
    return document(table, verbs, urls)
