"""The agent's turn in consult steps: a webhook waits for the agent's reply."""

from __future__ import annotations

import asyncio

from runner.service._desk import CallDesk
from runner.service._live_calls import ConsultAsked, LiveCall
from runner.types import Action, AgentReply, Consult


async def settle_consults(desk: CallDesk, live: LiveCall, actions: list[Action]) -> list[Action]:
    """Wait for the agent where a consult step asks it, and go on with its reply.

    With an agent configured, the model is asked (see ConsultAgent). Without one, the
    reply comes through ``live.agent_reply`` (the control API's speak); none within the
    step's timeout, capped by max_agent_wait_seconds, goes on as no reply. While it waits,
    ``live.consult`` says what is asked, for whoever answers from outside.
    """
    while actions and isinstance(consult := actions[-1], Consult):
        actions.pop()
        if desk.agent is not None:
            wait = min(consult.timeout, desk.settings.max_agent_wait_seconds)
            record = live.call.record
            text = await desk.agent.reply(record.id, consult, record.transcript, wait)
            actions.extend(
                desk.apply(live, AgentReply(id=desk.event_id(), at=desk.clock(), text=text), save=False)
            )
            continue
        loop = asyncio.get_running_loop()
        live.agent_reply = loop.create_future()
        live.consult = ConsultAsked(consult.prompt, consult.heard, since=desk.clock())
        wait = min(consult.timeout, desk.settings.max_agent_wait_seconds)
        try:
            reply = await asyncio.wait_for(asyncio.shield(live.agent_reply), wait)
        except TimeoutError:
            reply = None
        finally:
            live.agent_reply = None
            live.consult = None
        actions.extend(
            desk.apply(live, AgentReply(id=desk.event_id(), at=desk.clock(), text=reply), save=False)
        )
    return actions
