"""A turn the agent has not answered yet: what was said so far, the filler line, then a
redirect that brings the carrier back to the webhook, in every dialect."""

from __future__ import annotations

import pytest

from runner.dialects import PROVIDERS, render
from runner.types import Speak

WEBHOOK = "https://hooks.example/callflow"
BACK = f"{WEBHOOK}?call_id=CA42&event=agent&ref=r1"
SAID = [
    Speak("Let me check.", "Polly.Joanna", "en-US"),
    # The filler is the config's text: it must not break the document.
    Speak("One moment <&> please.", "Polly.Joanna", "en-US"),
]

WAITING = {
    "twilio": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" language="en-US">Let me check.</Say>
  <Say voice="Polly.Joanna" language="en-US">One moment &lt;&amp;&gt; please.</Say>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;event=agent&amp;ref=r1</Redirect>
</Response>
""",
    "plivo": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Speak voice="Polly.Joanna" language="en-US">Let me check.</Speak>
  <Speak voice="Polly.Joanna" language="en-US">One moment &lt;&amp;&gt; please.</Speak>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;event=agent&amp;ref=r1</Redirect>
</Response>
""",
    "telnyx": """\
<?xml version="1.0" encoding="UTF-8"?>
<Response>
  <Say voice="Polly.Joanna" language="en-US">Let me check.</Say>
  <Say voice="Polly.Joanna" language="en-US">One moment &lt;&amp;&gt; please.</Say>
  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;event=agent&amp;ref=r1</Redirect>
</Response>
""",
}


@pytest.mark.parametrize("provider", PROVIDERS)
def test_the_filler_line_then_a_redirect_back_is_the_dialects_exact_document(provider: str) -> None:
    document = render(provider, SAID, webhook_url=WEBHOOK, call_id="CA42", then_redirect=BACK)
    assert document == WAITING[provider]


@pytest.mark.parametrize("provider", PROVIDERS)
def test_a_redirect_alone_says_nothing_and_comes_back(provider: str) -> None:
    document = render(provider, [], webhook_url=WEBHOOK, call_id="CA42", then_redirect=BACK)
    assert document == (
        '<?xml version="1.0" encoding="UTF-8"?>\n<Response>\n'
        '  <Redirect method="POST">https://hooks.example/callflow?call_id=CA42&amp;event=agent&amp;ref=r1</Redirect>\n'
        "</Response>\n"
    )
