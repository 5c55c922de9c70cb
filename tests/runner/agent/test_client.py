from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from typing import Any, TypeVar

import pytest

from runner.agent import (
    SPOKEN_CONTRACT,
    AgentClient,
    AgentError,
    AgentPools,
    AgentStatusError,
    AgentTimeout,
    ChatMessage,
    ModelReply,
    ToolCall,
    ToolSpec,
    spoken_text,
)
from runner.config import AgentSettings, Secret
from tests.runner.agent.stand_in import API_KEY, AgentStandIn
from tests.runner.providers.carrier_server import refusing_port

T = TypeVar("T")

HELLO: list[ChatMessage] = [{"role": "user", "content": "What time do you open?"}]
END_CALL = ToolSpec(
    "end_call",
    "End the call.",
    {"type": "object", "properties": {"reason": {"type": "string"}}, "required": ["reason"]},
)


@pytest.fixture
def agent() -> Iterator[AgentStandIn]:
    with AgentStandIn() as server:
        yield server


def settings(url: str, **changes: Any) -> AgentSettings:
    values: dict[str, Any] = {"base_url": url, "model": "llama3.2", "api_key": Secret(API_KEY), **changes}
    return AgentSettings(**values)


def ask(agent_settings: AgentSettings, action: Callable[[AgentClient], Awaitable[T]]) -> T:
    """Run ``action`` on a client made inside the event loop, closing its pools afterwards."""

    async def go() -> T:
        pools = AgentPools()
        try:
            return await action(AgentClient(agent_settings, pools))
        finally:
            await pools.aclose()

    return asyncio.run(go())


def test_a_reply_comes_back_and_the_request_has_the_openai_shape(agent: AgentStandIn) -> None:
    agent.reply('{"spoken": "We open at nine."}')
    reply = ask(settings(agent.url, system_prompt="You answer for Bob's Bikes."), lambda c: c.complete(HELLO))
    assert reply == ModelReply(content='{"spoken": "We open at nine."}', finish_reason="stop")
    assert spoken_text(reply) == "We open at nine."
    [request] = agent.requests
    assert (request.method, request.path) == ("POST", "/v1/chat/completions")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"
    assert request.json() == {
        "model": "llama3.2",
        "messages": [
            {"role": "system", "content": f"You answer for Bob's Bikes.\n\n{SPOKEN_CONTRACT}"},
            {"role": "user", "content": "What time do you open?"},
        ],
        "max_tokens": 200,
        "temperature": 0.3,
        "stream": False,
    }


def test_without_an_api_key_no_authorization_is_sent(agent: AgentStandIn) -> None:
    agent.reply("Hello.")
    ask(settings(agent.url, api_key=None), lambda c: c.complete(HELLO))
    assert "authorization" not in agent.requests[0].headers


def test_a_call_may_override_model_and_system_prompt(agent: AgentStandIn) -> None:
    agent.reply("Hello.")
    ask(settings(agent.url), lambda c: c.complete(HELLO, model="qwen2.5:3b", system_prompt="Be a pirate."))
    body = agent.requests[0].json()
    assert body["model"] == "qwen2.5:3b"
    assert body["messages"][0] == {"role": "system", "content": f"Be a pirate.\n\n{SPOKEN_CONTRACT}"}


def test_a_reply_past_the_timeout_is_an_agent_timeout(agent: AgentStandIn) -> None:
    agent.stall()
    with pytest.raises(AgentTimeout) as caught:
        ask(settings(agent.url, timeout=0.2), lambda c: c.complete(HELLO))
    assert caught.value.seconds == 0.2
    assert str(caught.value) == f"the agent at {agent.url}/chat/completions gave no reply within 0.2 s"


def test_a_call_may_override_the_timeout(agent: AgentStandIn) -> None:
    agent.stall()
    with pytest.raises(AgentTimeout) as caught:
        ask(settings(agent.url, timeout=30), lambda c: c.complete(HELLO, timeout=0.1))
    assert caught.value.seconds == 0.1


def test_an_http_error_carries_its_status_and_the_start_of_the_body(agent: AgentStandIn) -> None:
    agent.answer_json({"error": {"message": "the model crashed"}}, status=500)
    with pytest.raises(AgentStatusError) as caught:
        ask(settings(agent.url), lambda c: c.complete(HELLO))
    assert caught.value.status == 500
    assert caught.value.excerpt == '{"error": {"message": "the model crashed"}}'
    assert str(caught.value).startswith(f"the agent at {agent.url}/chat/completions answered HTTP 500: ")


def test_a_body_that_quotes_the_api_key_is_masked(agent: AgentStandIn) -> None:
    agent.answer_text(f"Incorrect API key provided: {API_KEY}. " + "x" * 300, status=401)
    with pytest.raises(AgentStatusError) as caught:
        ask(settings(agent.url), lambda c: c.complete(HELLO))
    assert caught.value.excerpt.startswith("Incorrect API key provided: ***. xxx")
    assert caught.value.excerpt.endswith("...")
    assert len(caught.value.excerpt) == 203
    assert API_KEY not in str(caught.value)
    assert "Bearer" not in str(caught.value)


def test_an_answer_that_is_not_json_is_an_agent_error(agent: AgentStandIn) -> None:
    agent.answer_text("<html>Bad gateway</html>", content_type="text/html")
    with pytest.raises(AgentError, match="answered text, not JSON: <html>Bad gateway</html>"):
        ask(settings(agent.url), lambda c: c.complete(HELLO))


def test_an_answer_that_is_no_completion_is_an_agent_error(agent: AgentStandIn) -> None:
    agent.answer_json({"object": "list", "data": []})
    with pytest.raises(AgentError, match=r"is not a chat completion \(it has no choices\)"):
        ask(settings(agent.url), lambda c: c.complete(HELLO))


def test_a_server_that_cannot_be_reached_is_an_agent_error() -> None:
    with refusing_port() as port:
        url = f"http://127.0.0.1:{port}/v1"
        with pytest.raises(AgentError, match=f"the agent at {url}/chat/completions cannot be reached: "):
            ask(settings(url), lambda c: c.complete(HELLO))


def test_tools_are_offered_as_function_definitions_and_calls_come_back(agent: AgentStandIn) -> None:
    agent.reply(None, tool_calls=[("end_call", {"reason": "caller is done"})], finish_reason="tool_calls")
    reply = ask(settings(agent.url), lambda c: c.complete(HELLO, tools=[END_CALL]))
    assert reply.tool_calls == (ToolCall("end_call", {"reason": "caller is done"}, id="call_0"),)
    assert (reply.content, reply.finish_reason) == ("", "tool_calls")
    assert agent.requests[0].json()["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "end_call",
                "description": "End the call.",
                "parameters": {
                    "type": "object",
                    "properties": {"reason": {"type": "string"}},
                    "required": ["reason"],
                },
            },
        }
    ]


def test_a_tool_call_the_request_did_not_offer_still_comes_back_for_the_consult_to_refuse(
    agent: AgentStandIn,
) -> None:
    agent.reply("One moment.", tool_calls=[("transfer", {"to": "+14155550100"})])
    reply = ask(settings(agent.url), lambda c: c.complete(HELLO, tools=[END_CALL]))
    assert [call.name for call in reply.tool_calls] == ["transfer"]
    assert spoken_text(reply) == "One moment."


def test_a_tool_call_with_arguments_that_are_not_json_is_an_agent_error(agent: AgentStandIn) -> None:
    body = {
        "choices": [
            {
                "message": {
                    "content": "",
                    "tool_calls": [{"function": {"name": "end_call", "arguments": "{oops"}}],
                }
            }
        ]
    }
    agent.answer_json(body)
    with pytest.raises(AgentError, match="the agent's call of tool end_call has arguments that are not JSON"):
        ask(settings(agent.url), lambda c: c.complete(HELLO))


@pytest.mark.parametrize("field", ["reasoning_content", "reasoning"])
def test_a_separate_reasoning_field_is_kept_apart(agent: AgentStandIn, field: str) -> None:
    agent.reply('{"spoken": "Nine."}', reasoning="They ask about hours.", reasoning_field=field)
    reply = ask(settings(agent.url), lambda c: c.complete(HELLO))
    assert (reply.reasoning, spoken_text(reply)) == ("They ask about hours.", "Nine.")


def test_a_streamed_reply_is_put_back_together(agent: AgentStandIn) -> None:
    agent.stream(
        [
            {"delta": {"role": "assistant", "reasoning_content": "Hours "}},
            {"delta": {"reasoning_content": "question."}},
            {"delta": {"content": '{"spoken": "We open'}},
            {"delta": {"content": ' at nine."}'}},
            {"delta": {}, "finish_reason": "stop"},
        ]
    )
    reply = ask(settings(agent.url), lambda c: c.complete(HELLO, stream=True))
    assert reply == ModelReply(
        content='{"spoken": "We open at nine."}', reasoning="Hours question.", finish_reason="stop"
    )
    assert agent.requests[0].json()["stream"] is True


def test_a_streamed_tool_call_is_put_back_together(agent: AgentStandIn) -> None:
    agent.stream(
        [
            {"delta": {"tool_calls": [{"index": 0, "id": "call_7", "function": {"name": "send_dtmf"}}]}},
            {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": '{"dig'}}]}},
            {"delta": {"tool_calls": [{"index": 0, "function": {"arguments": 'its": "1#"}'}}]}},
            {"delta": {}, "finish_reason": "tool_calls"},
        ]
    )
    reply = ask(settings(agent.url), lambda c: c.complete(HELLO, stream=True))
    assert reply.tool_calls == (ToolCall("send_dtmf", {"digits": "1#"}, id="call_7"),)
    assert reply.finish_reason == "tool_calls"


def test_a_server_that_ignores_stream_is_read_whole(agent: AgentStandIn) -> None:
    agent.reply("Hello there.")
    reply = ask(settings(agent.url), lambda c: c.complete(HELLO, stream=True))
    assert spoken_text(reply) == "Hello there."


def test_a_streamed_request_that_fails_carries_its_status(agent: AgentStandIn) -> None:
    agent.answer_json({"error": {"message": "overloaded"}}, status=503)
    with pytest.raises(AgentStatusError) as caught:
        ask(settings(agent.url), lambda c: c.complete(HELLO, stream=True))
    assert caught.value.status == 503


def test_a_stream_that_stalls_is_an_agent_timeout(agent: AgentStandIn) -> None:
    agent.stall()
    with pytest.raises(AgentTimeout):
        ask(settings(agent.url, timeout=0.2), lambda c: c.complete(HELLO, stream=True))


def test_clients_of_one_server_share_one_connection_pool() -> None:
    pools = AgentPools()
    first = pools.client_for("http://127.0.0.1:11434/v1")
    assert pools.client_for("http://127.0.0.1:11434/v1/") is first
    assert pools.client_for("http://127.0.0.1:8000/v1") is not first
    asyncio.run(pools.aclose())
    assert first.is_closed


def test_check_finds_the_model_in_the_list(agent: AgentStandIn) -> None:
    agent.models("qwen2.5:3b", "llama3.2")
    line = ask(settings(agent.url), lambda c: c.check())
    assert line == f"{agent.url} answers and lists model llama3.2"
    [request] = agent.requests
    assert (request.method, request.path) == ("GET", "/v1/models")
    assert request.headers["authorization"] == f"Bearer {API_KEY}"


def test_check_tries_a_one_token_completion_when_the_list_lacks_the_model(agent: AgentStandIn) -> None:
    agent.models("qwen2.5:3b")
    agent.reply("OK")
    line = ask(settings(agent.url), lambda c: c.check())
    assert line == (
        f"{agent.url} answers a one-token completion with model llama3.2 (its model list does not name it)"
    )
    assert agent.requests[1].json()["max_tokens"] == 1


def test_check_names_the_listed_models_when_the_model_is_refused(agent: AgentStandIn) -> None:
    agent.models("qwen2.5:3b")
    agent.answer_json({"error": {"message": "model 'llama3.2' not found"}}, status=404)
    with pytest.raises(AgentError) as caught:
        ask(settings(agent.url), lambda c: c.check())
    assert str(caught.value).endswith(f"; model llama3.2 is not among those {agent.url} lists (qwen2.5:3b)")


def test_check_without_a_model_list_tries_a_one_token_completion(agent: AgentStandIn) -> None:
    agent.answer_text("404 page not found", status=404)
    agent.reply("OK")
    line = ask(settings(agent.url), lambda c: c.check())
    assert line == f"{agent.url} answers a one-token completion with model llama3.2 (it lists no models)"


def test_check_reports_a_refused_key(agent: AgentStandIn) -> None:
    agent.answer_json({"error": {"message": "invalid api key"}}, status=401)
    agent.answer_json({"error": {"message": "invalid api key"}}, status=401)
    with pytest.raises(AgentStatusError) as caught:
        ask(settings(agent.url), lambda c: c.check())
    assert caught.value.status == 401
