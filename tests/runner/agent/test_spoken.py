"""What of a model's raw reply reaches the caller: one row per rule and per edge of it."""

from __future__ import annotations

import pytest

from runner.agent import SPOKEN_CONTRACT, ModelReply, read_spoken, spoken_text, with_contract

REPLIES = [
    # Rule 1: reasoning and errors are never spoken.
    pytest.param(
        '<think>\nThe caller asks about hours. I should say nine.\n</think>\n{"spoken": "We open at nine."}',
        "We open at nine.",
        id="think-block-before-json",
    ),
    pytest.param(
        "<think>The caller wants a refund, so I need to",
        "",
        id="think-block-cut-short-by-max-tokens",
    ),
    pytest.param(
        'Okay, the user wants the hours. I will answer.\n</think>\n\n{"spoken": "Nine to five."}',
        "Nine to five.",
        id="closing-think-tag-whose-opening-the-server-stripped",
    ),
    pytest.param(
        '{"error": {"message": "CUDA out of memory", "type": "server_error"}}',
        "",
        id="error-payload",
    ),
    pytest.param(
        '{"error": "rate limited", "spoken": "One moment."}', "One moment.", id="error-key-with-spoken"
    ),
    # Rule 2: JSON, whole, fenced, or sliced from the first '{' to the last '}'.
    pytest.param('{"spoken": "Your order ships tomorrow."}', "Your order ships tomorrow.", id="json-whole"),
    pytest.param('  {"spoken": "Hi!", "end": false}\n', "Hi!", id="json-whole-with-other-keys"),
    pytest.param('{"spoken": ""}', "", id="json-empty-spoken"),
    pytest.param('{"spoken": "   \\n  "}', "", id="json-blank-spoken"),
    pytest.param(
        'Sure! Here is my answer:\n\n```json\n{\n  "spoken": "Your table is booked for seven."\n}\n```\n'
        "Let me know if you need anything else {or not}.",
        "Your table is booked for seven.",
        id="fenced-json-in-prose-with-a-brace-after",
    ),
    pytest.param(
        'Here is the JSON response: {"spoken": "I can move it to Friday."} I hope this helps!',
        "I can move it to Friday.",
        id="small-model-wraps-json-in-prose",
    ),
    pytest.param(
        'Response:\n{"spoken": "Say {name} after the tone.", "meta": {"tone": "friendly"}}\nDone.',
        "Say {name} after the tone.",
        id="nested-braces-in-the-slice",
    ),
    pytest.param(
        '{"spoken": "Ich rufe Sie morgen um 9 Uhr an. \\u00c0 bient\\u00f4t \\ud83d\\ude42"}',
        "Ich rufe Sie morgen um 9 Uhr an. À bientôt 🙂",
        id="unicode-escapes",
    ),
    pytest.param('{"spoken": "Café, 東京, naïve"}', "Café, 東京, naïve", id="unicode-raw"),
    pytest.param('{"spoken": "He said \\"yes\\" twice."}', 'He said "yes" twice.', id="escaped-quotes"),
    pytest.param('{"spoken": "Line one.\nLine two."}', "Line one. Line two.", id="raw-line-break-in-string"),
    # Rule 3: a "spoken" pair in text that is not JSON.
    pytest.param(
        '{"spoken": "Your refund was sent on Monday and should reach you',
        "Your refund was sent on Monday and should reach you",
        id="spoken-string-cut-short-by-max-tokens",
    ),
    pytest.param('{"spoken": "Say \\"yes\\" or \\', 'Say "yes" or', id="cut-short-after-escapes"),
    pytest.param(
        'Answer: {"spoken": "Press {1} for sales."  , oops} and {"note": 1}',
        "Press {1} for sales.",
        id="pair-when-the-braces-do-not-parse",
    ),
    pytest.param(
        '{\'tone\': \'warm\', "spoken": "It\\u2019s \\"ready\\" now."}',
        'It\u2019s "ready" now.',
        id="pair-with-escapes-in-python-ish-dict",
    ),
    pytest.param('"spoken": "Goodbye!"', "Goodbye!", id="bare-pair"),
    pytest.param('{"spoken": ""} and then {', "", id="slice-to-the-last-brace-with-empty-spoken"),
    pytest.param('Output -> "spoken": "", nothing to add', "", id="pair-empty"),
    # Rule 4: plain text.
    pytest.param("We open at nine tomorrow.", "We open at nine tomorrow.", id="plain-sentence"),
    pytest.param("```\nWe open at nine.\n```", "We open at nine.", id="plain-in-code-fences"),
    pytest.param(
        "Thinking Process:\n1. The caller wants hours.\n2. Keep it short.\n\nWe open at nine.",
        "We open at nine.",
        id="thinking-process-paragraph",
    ),
    pytest.param(
        "**Reasoning:** they want to reschedule.\n\nAnalysis: Friday is free.\n\nI can move you to Friday.",
        "I can move you to Friday.",
        id="two-planning-paragraphs-with-markdown",
    ),
    pytest.param(
        "The user is asking about the refund. I need to confirm the amount.\n\nYour refund of ten dollars is on "
        "its way.",
        "Your refund of ten dollars is on its way.",
        id="the-user-i-need-to",
    ),
    pytest.param(
        "The user said goodbye. I should end politely.\n\nThe user can call back anytime.\n\nGoodbye!",
        "The user can call back anytime. Goodbye!",
        id="the-user-without-a-plan-stays",
    ),
    pytest.param(
        "The user has an account with us.\n\nIt is active.",
        "The user has an account with us. It is active.",
        id="the-user-paragraph-that-plans-nothing",
    ),
    pytest.param(
        "The users I should call back are on the list.\n\nGoodbye.",
        "The users I should call back are on the list. Goodbye.",
        id="the-users-is-not-the-user",
    ),
    pytest.param(
        "Analysis: the caller wants hours.",
        "Analysis: the caller wants hours.",
        id="a-lone-planning-paragraph-is-kept",
    ),
    pytest.param(
        "Reasoning: check.\n\nThinking process: more.\n\nReasoning: last.",
        "Reasoning: last.",
        id="planning-dropped-while-more-than-one-remains",
    ),
    pytest.param('{"answer": "Nine."}', '{"answer": "Nine."}', id="json-without-spoken-reads-as-text"),
    pytest.param('{"spoken": 42}', '{"spoken": 42}', id="spoken-not-a-string-reads-as-text"),
    # Rule 5: white space.
    pytest.param("  Hello\tthere,\n\n\n  caller.  ", "Hello there, caller.", id="white-space-collapsed"),
    pytest.param("", "", id="empty"),
    pytest.param(" \n\t ", "", id="only-white-space"),
]


@pytest.mark.parametrize(("content", "spoken"), REPLIES)
def test_only_the_words_meant_for_the_caller_are_spoken(content: str, spoken: str) -> None:
    assert spoken_text(ModelReply(content=content)) == spoken


def test_the_reasoning_field_is_never_spoken() -> None:
    reply = ModelReply(content="", reasoning='{"spoken": "secret plan"}')
    assert spoken_text(reply) == ""


def test_the_contract_is_appended_to_the_system_prompt() -> None:
    assert (
        with_contract("You answer for Bob's Bikes.\n") == f"You answer for Bob's Bikes.\n\n{SPOKEN_CONTRACT}"
    )
    assert with_contract("  ") == SPOKEN_CONTRACT
    assert '{"spoken": ""}' in SPOKEN_CONTRACT


DONE = [
    pytest.param('{"spoken": "Goodbye.", "done": true}', ("Goodbye.", True), id="json-done"),
    pytest.param(
        '{"spoken": "Anything else?", "done": false}', ("Anything else?", False), id="json-not-done"
    ),
    pytest.param('{"spoken": "Bye.", "done": "yes"}', ("Bye.", False), id="done-must-be-true-not-a-word"),
    pytest.param(
        'Sure!\n```json\n{"spoken": "See you Tuesday.", "done": true}\n```',
        ("See you Tuesday.", True),
        id="done-inside-a-fence",
    ),
    pytest.param(
        'Reply: "spoken": "All set, goodbye.", "done": true, and more',
        ("All set, goodbye.", True),
        id="done-beside-a-spoken-pair",
    ),
    pytest.param("We are done here. Goodbye.", ("We are done here. Goodbye.", False), id="prose-never-ends"),
]


@pytest.mark.parametrize(("content", "expected"), DONE)
def test_only_a_json_true_done_ends_the_conversation(content: str, expected: tuple[str, bool]) -> None:
    spoken = read_spoken(ModelReply(content=content))
    assert (spoken.text, spoken.done) == expected


def test_the_contract_says_how_to_end_the_conversation() -> None:
    assert '"done": true' in SPOKEN_CONTRACT
