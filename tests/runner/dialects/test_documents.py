"""The documents that are not a turn: refuse a call, send digits then move on, hand the call to a socket."""

from __future__ import annotations

import pytest

from runner.dialects import DialectLimitError, dtmf_then_redirect, reject, stream

REJECT = {
    "twilio": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Reject reason="rejected"/>
</Response>
""",
    "plivo": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Hangup reason="rejected"/>
</Response>
""",
    "telnyx": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Reject reason="rejected"/>
</Response>
""",
}

DTMF_THEN_REDIRECT = {
    "twilio": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play digits="ww12#"/>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;step=connected</Redirect>
</Response>
""",
    "plivo": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <DTMF async="false">ww12#</DTMF>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;step=connected</Redirect>
</Response>
""",
    "telnyx": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Play digits="ww12#"/>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;step=connected</Redirect>
</Response>
""",
}

STREAM = {
    "twilio": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Connect>
    <Stream url="wss://media.example/socket">
      <Parameter name="call" value="CA42"/>
      <Parameter name="token" value="s3cr3t"/>
    </Stream>
  </Connect>
  <Hangup/>
</Response>
""",
    "plivo": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000" extraHeaders="call=CA42,token=s3cr3t">wss://media.example/socket</Stream>
  <Hangup/>
</Response>
""",
    "telnyx": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Connect>
    <Stream url="wss://media.example/socket" codec="PCMU" bidirectionalMode="rtp">
      <Parameter name="call" value="CA42"/>
      <Parameter name="token" value="s3cr3t"/>
    </Stream>
  </Connect>
  <Hangup/>
</Response>
""",
}


@pytest.mark.parametrize(("provider", "expected"), REJECT.items())
def test_reject_refuses_the_call(provider: str, expected: str) -> None:
    assert reject(provider) == expected


@pytest.mark.parametrize(("provider", "expected"), DTMF_THEN_REDIRECT.items())
def test_dtmf_then_redirect_sends_every_digit_before_moving_on(provider: str, expected: str) -> None:
    url = "https://hooks.example/callflow?call_id=CA42&step=connected"
    assert dtmf_then_redirect(provider, "ww12#", url) == expected


@pytest.mark.parametrize(("provider", "expected"), STREAM.items())
def test_stream_hands_the_call_to_the_socket_with_its_parameters(provider: str, expected: str) -> None:
    assert stream(provider, "wss://media.example/socket", {"call": "CA42", "token": "s3cr3t"}) == expected


@pytest.mark.parametrize("provider", ["twilio", "telnyx"])
def test_a_stream_without_parameters_has_no_parameter_elements(provider: str) -> None:
    assert "Parameter" not in stream(provider, "wss://media.example/socket", {})


def test_a_plivo_stream_without_parameters_has_no_extra_headers() -> None:
    assert (
        stream("plivo", "wss://media.example/socket", {})
        == """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Stream bidirectional="true" keepCallAlive="true" contentType="audio/x-mulaw;rate=8000">wss://media.example/socket</Stream>
  <Hangup/>
</Response>
"""
    )


@pytest.mark.parametrize("provider", ["twilio", "plivo", "telnyx"])
def test_a_stream_url_must_be_a_secure_websocket(provider: str) -> None:
    with pytest.raises(DialectLimitError) as caught:
        stream(provider, "https://media.example/socket", {})
    assert (
        str(caught.value) == f"{provider}: stream URL 'https://media.example/socket' must start with wss://"
    )


def test_twilio_refuses_a_stream_url_query_it_would_drop() -> None:
    with pytest.raises(DialectLimitError) as caught:
        stream("twilio", "wss://media.example/socket?token=s3cr3t", {})
    assert str(caught.value) == (
        "twilio: twilio drops the query of stream URL 'wss://media.example/socket?token=s3cr3t'; "
        "pass its values as parameters"
    )


def test_plivo_refuses_stream_parameters_it_cannot_pass_as_headers() -> None:
    with pytest.raises(DialectLimitError) as caught:
        stream("plivo", "wss://media.example/socket", {"token": "a-b_c"})
    assert str(caught.value) == (
        "plivo: stream parameter 'token'='a-b_c': plivo passes only letters and digits A-Z, a-z, 0-9 in names and values"
    )


def test_plivo_refuses_stream_parameters_over_512_bytes() -> None:
    with pytest.raises(DialectLimitError) as caught:
        stream("plivo", "wss://media.example/socket", {"token": "a" * 507})
    assert (
        str(caught.value) == "plivo: stream parameters take 513 bytes as extraHeaders, over the limit of 512"
    )


@pytest.mark.parametrize("provider", ["twilio", "plivo", "telnyx"])
def test_dtmf_then_redirect_refuses_a_key_no_phone_has(provider: str) -> None:
    with pytest.raises(DialectLimitError, match=r"cannot send digits '12x'"):
        dtmf_then_redirect(provider, "12x", "https://hooks.example/callflow")
