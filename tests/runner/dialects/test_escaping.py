"""A caller's words, a CSV cell or a URL can never break the document or add a verb to it."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import pytest

from runner.dialects import PROVIDERS, dtmf_then_redirect, render, stream
from runner.types import Play, Speak, Transfer

WEBHOOK = "https://hooks.example/callflow"
HOSTILE = 'Tom & "Jerry" <b>\'s'
ESCAPED = "Tom &amp; &#34;Jerry&#34; &lt;b&gt;&#39;s"


@pytest.mark.parametrize("provider", PROVIDERS)
def test_speech_text_cannot_break_the_document(provider: str) -> None:
    document = render(provider, [Speak("Bye.</Say><Hangup/>")], webhook_url=WEBHOOK, call_id="CA42")
    assert "Bye.&lt;/Say&gt;&lt;Hangup/&gt;</" in document
    (verb,) = ET.fromstring(document.encode())
    assert verb.text == "Bye.</Say><Hangup/>"


def test_all_five_xml_characters_are_escaped_in_text_and_in_attributes() -> None:
    document = render(
        "twilio", [Speak(HOSTILE, voice=HOSTILE, language=HOSTILE)], webhook_url=WEBHOOK, call_id="x"
    )
    assert (
        document
        == f"""\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="{ESCAPED}" language="{ESCAPED}">{ESCAPED}</Say>
</Response>
"""
    )


@pytest.mark.parametrize("provider", PROVIDERS)
def test_urls_and_numbers_are_escaped_too(provider: str) -> None:
    document = render(
        provider,
        [Play(f"https://media.example/a.mp3?q={HOSTILE}"), Transfer(HOSTILE)],
        webhook_url=WEBHOOK,
        call_id="CA42",
    )
    assert f"<Play>https://media.example/a.mp3?q={ESCAPED}</Play>" in document
    assert f"<Number>{ESCAPED}</Number>" in document
    play, dial = ET.fromstring(document.encode())
    assert play.text == f"https://media.example/a.mp3?q={HOSTILE}"
    assert dial[0].text == HOSTILE


def test_a_redirect_url_with_a_query_is_escaped() -> None:
    document = dtmf_then_redirect("telnyx", "1", 'https://hooks.example/x?a=1&b="2"')
    assert '<Redirect method="POST">https://hooks.example/x?a=1&amp;b=&#34;2&#34;</Redirect>' in document


def test_stream_parameters_are_escaped() -> None:
    document = stream("twilio", "wss://media.example/socket", {HOSTILE: HOSTILE})
    assert f'<Parameter name="{ESCAPED}" value="{ESCAPED}"/>' in document


@pytest.mark.parametrize("provider", PROVIDERS)
def test_characters_xml_cannot_carry_are_dropped_so_the_document_stays_valid(provider: str) -> None:
    document = render(provider, [Speak("Hel\x00lo\x0b\x1f.\ufffe")], webhook_url=WEBHOOK, call_id="CA42")
    (verb,) = ET.fromstring(document.encode())
    assert verb.text == "Hello."


@pytest.mark.parametrize("provider", PROVIDERS)
def test_tabs_newlines_and_non_ascii_text_are_kept(provider: str) -> None:
    text = "Grüße,\tJosé —\nnǐ hǎo 👋"
    document = render(provider, [Speak(text)], webhook_url=WEBHOOK, call_id="CA42")
    (verb,) = ET.fromstring(document.encode())
    assert verb.text == text
