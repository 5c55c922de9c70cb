"""What of a model's reply may reach the caller's ear, and the output contract that asks for it.

Models do not always keep to the contract, so a reply is read defensively, in this order:

1. content marked as reasoning (the separate field, ``<think>...</think>``) or an error
   payload is skipped;
2. JSON: the whole text, else the inside of a fenced ```json block, else the slice from
   the first ``{`` to the last ``}``; its ``spoken`` is taken when it is a string (and
   its ``done``, when it is ``true``, ends the conversation);
3. else a ``"spoken": "..."`` pair found in the text, its string decoded as JSON (a
   string cut short at the end of the text, by max_tokens, is said as far as it goes);
4. else plain text: code fences dropped, and while more than one paragraph remains a
   leading paragraph of planning is dropped;
5. white space collapsed; empty means nothing is spoken.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from typing import Any

from runner.agent._reply import ModelReply

#: Appended to every system prompt.
SPOKEN_CONTRACT = (
    "Output contract: your reply is spoken aloud to the caller by a text-to-speech voice. "
    'Reply with only a JSON object of the form {"spoken": "..."} holding the exact words to say. '
    "No markdown, no code fences, no lists, no planning or reasoning text, nothing before or after "
    'the JSON. When there is nothing to say, reply {"spoken": ""}. When this conversation is over '
    '(the caller has what they need, or says goodbye), add "done": true, as in '
    '{"spoken": "Goodbye.", "done": true}.'
)

_THINK_BLOCK = re.compile(r"<think>.*?</think>", re.DOTALL | re.IGNORECASE)
# A block cut short by max_tokens runs to the end; a closing tag whose opening the
# server stripped (some serve DeepSeek-R1 so) ends reasoning that began with the text.
_THINK_OPEN = re.compile(r"<think>.*\Z", re.DOTALL | re.IGNORECASE)
_THINK_CLOSE = re.compile(r"\A.*?</think>", re.DOTALL | re.IGNORECASE)
_JSON_FENCE = re.compile(r"```json[ \t]*\n?(.*?)```", re.DOTALL | re.IGNORECASE)
_SPOKEN_PAIR = re.compile(r'"spoken"\s*:\s*"((?:[^"\\]|\\.)*)"', re.DOTALL)
# The same pair whose string runs to the end of the text: a reply cut short by max_tokens.
_SPOKEN_CUT_SHORT = re.compile(r'"spoken"\s*:\s*"((?:[^"\\]|\\.)*)\\?\Z', re.DOTALL)
_DONE_PAIR = re.compile(r'"done"\s*:\s*true\b')
_FENCE_LINE = re.compile(r"^[ \t]*```[^\n]*$", re.MULTILINE)
_PARAGRAPH_BREAK = re.compile(r"\n[ \t]*\n")
_PLANNING_HEAD = re.compile(r"(thinking process|reasoning\s*:|analysis\s*:)", re.IGNORECASE)
_THE_USER = re.compile(r"The user\b")
_USER_PLANNING = re.compile(r"\bI (should|need to|will)\b")
# Markdown a model puts before a heading: "**Thinking Process:**", "## Analysis:".
_MARKUP = "#*_> \t"


def with_contract(system_prompt: str) -> str:
    """``system_prompt`` with the output contract appended."""
    prompt = system_prompt.strip()
    return f"{prompt}\n\n{SPOKEN_CONTRACT}" if prompt else SPOKEN_CONTRACT


@dataclass(frozen=True)
class Spoken:
    """What a reply means for the call: the words to say, and whether the conversation is over."""

    text: str
    done: bool = False


def spoken_text(reply: ModelReply) -> str:
    """The words of ``reply`` to say to the caller; "" when there are none."""
    return read_spoken(reply).text


def read_spoken(reply: ModelReply) -> Spoken:
    """The words of ``reply`` to say to the caller ("" when there are none), and its
    ``done`` (only a JSON ``true`` counts: prose never ends a conversation)."""
    text = _without_reasoning(reply.content)
    if _is_error_payload(text):
        return Spoken("")
    found = _spoken_from_json(text)
    if found is not None:
        return Spoken(" ".join(found[0].split()), found[1])
    pair = _spoken_from_pair(text)
    if pair is not None:
        return Spoken(" ".join(pair.split()), _DONE_PAIR.search(text) is not None)
    return Spoken(" ".join(_plain_text(text).split()))


def _without_reasoning(content: str) -> str:
    text = _THINK_BLOCK.sub(" ", content)
    text = _THINK_OPEN.sub(" ", text)
    return _THINK_CLOSE.sub(" ", text).strip()


def _is_error_payload(text: str) -> bool:
    """A JSON object carrying ``error`` and no spoken words: a proxy's failure passed on as content."""
    value = _json(text)
    return isinstance(value, dict) and "error" in value and not isinstance(value.get("spoken"), str)


def _spoken_from_json(text: str) -> tuple[str, bool] | None:
    candidates = [text]
    fenced = _JSON_FENCE.search(text)
    if fenced is not None:
        candidates.append(fenced.group(1))
    first, last = text.find("{"), text.rfind("}")
    if 0 <= first < last:
        candidates.append(text[first : last + 1])
    for candidate in candidates:
        value = _json(candidate)
        if isinstance(value, dict) and isinstance(value.get("spoken"), str):
            return str(value["spoken"]), value.get("done") is True
    return None


def _spoken_from_pair(text: str) -> str | None:
    match = _SPOKEN_PAIR.search(text) or _SPOKEN_CUT_SHORT.search(text)
    if match is None:
        return None
    decoded = _json(f'"{match.group(1)}"')
    return decoded if isinstance(decoded, str) else None


def _plain_text(text: str) -> str:
    paragraphs = [part for part in _PARAGRAPH_BREAK.split(_FENCE_LINE.sub("", text)) if part.strip()]
    while len(paragraphs) > 1 and _is_planning(paragraphs[0]):
        paragraphs.pop(0)
    return "\n\n".join(paragraphs)


def _is_planning(paragraph: str) -> bool:
    head = paragraph.lstrip(_MARKUP)
    if _PLANNING_HEAD.match(head):
        return True
    return _THE_USER.match(head) is not None and _USER_PLANNING.search(head) is not None


def _json(text: str) -> Any:
    try:
        # Not strict: small models leave raw line breaks inside strings.
        return json.loads(text, strict=False)
    except ValueError:
        return None
