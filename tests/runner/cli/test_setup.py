from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.config import CREDENTIAL_ENV
from tests.conftest import CLI, EXAMPLES
from tests.runner.agent.stand_in import API_KEY as AGENT_KEY
from tests.runner.agent.stand_in import AgentStandIn

TWILIO_ENV = {
    "TWILIO_ACCOUNT_SID": "AC0123456789abcdef0123456789abcdef",
    "TWILIO_AUTH_TOKEN": "tok-SECRET-123",
    "TWILIO_FROM_NUMBER": "+14155550100",
}

BROKEN_FLOW = """\
version: 1
name: typo
mode: conversation
steps:
  menu:
    say: Press 1.
    gather: {digits: 1}
    on:
      "1": confimred
  confirmed:
    say: Bye.
    hangup: true
"""


@pytest.fixture(autouse=True)
def cwd(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty current folder, and no config or credential from the machine running the
    tests: what they see is what they wrote."""
    for name in ["CALLFLOW_CONFIG", *CREDENTIAL_ENV.values()]:
        monkeypatch.delenv(name, raising=False)
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)
    return folder


@pytest.fixture
def twilio_env(monkeypatch: pytest.MonkeyPatch) -> None:
    for name, value in TWILIO_ENV.items():
        monkeypatch.setenv(name, value)


def write_config(folder: Path, text: str) -> Path:
    path = folder / "callflow.yaml"
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def line_of(output: str, check: str) -> str:
    [line] = [line for line in output.splitlines() if line.split(" ", 1)[1].startswith(f"{check}:")]
    return line


def test_the_defaults_pass_every_check(cli: CLI) -> None:
    result = cli("setup")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        "OK provider: mock (no config file)",
        "OK provider-config: the mock provider needs no credentials",
        "OK webhook-exposure: the mock provider sends no webhooks; public_url is not needed",
        "OK webhook-security: webhook signatures are verified",
        "OK flows: no flows configured",
        "OK inbound: inbound calls are rejected (policy disabled)",
        "OK audio: no flow streams its calls: the carrier hears and speaks (audio.path gather)",
    ]


@pytest.mark.usefixtures("twilio_env")
def test_a_ready_twilio_config_passes_every_check(cli: CLI, cwd: Path) -> None:
    config = write_config(
        cwd,
        f"""
        provider: twilio
        public_url: https://calls.example.com
        flows: [{EXAMPLES / "support-menu.yaml"}]
        inbound:
          policy: allowlist
          allow_from: ["+14155550101"]
          flow: {EXAMPLES / "inbound-hotline.yaml"}
        """,
    )
    result = cli("setup")
    assert (result.code, result.err) == (0, "")
    assert result.out.splitlines() == [
        f"OK provider: twilio (config file {config})",
        "OK provider-config: every twilio credential is set",
        "OK webhook-exposure: public_url host calls.example.com is not resolved; make sure it reaches this server; "
        "webhook URL for the twilio console: https://calls.example.com/voice/webhook",
        "OK webhook-security: webhook signatures are verified",
        "OK flows: 2 flows lint clean",
        f"OK inbound: inbound calls from 1 allowed number run {EXAMPLES / 'inbound-hotline.yaml'}; "
        "caller ID can be spoofed, so an allowlist is a weak screen, not authentication",
        "OK audio: no flow streams its calls: the carrier hears and speaks (audio.path gather)",
    ]


def test_json_has_ok_and_every_check(cli: CLI, cwd: Path) -> None:
    write_config(cwd, "webhook_security: {skip_signature_verification: true}\n")
    result = cli("setup", "--json")
    assert result.code == 1
    report = result.json()
    assert report["ok"] is False
    assert [check["id"] for check in report["checks"]] == [
        "provider",
        "provider-config",
        "webhook-exposure",
        "webhook-security",
        "flows",
        "inbound",
        "audio",
    ]
    assert all(set(check) == {"id", "ok", "message"} for check in report["checks"])
    assert [check["ok"] for check in report["checks"]] == [True, True, True, False, True, True, True]


def test_json_says_ok_when_every_check_passes(cli: CLI) -> None:
    result = cli("setup", "--json")
    assert result.code == 0
    assert result.json()["ok"] is True


@pytest.mark.parametrize(
    ("provider", "environ", "expected"),
    [
        (
            "twilio",
            {},
            "FAIL provider-config: twilio needs twilio.account_sid, twilio.auth_token, from_number: "
            "set them in the config file or the environment "
            "(TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN, TWILIO_FROM_NUMBER)",
        ),
        (
            "twilio",
            {"TWILIO_ACCOUNT_SID": "AC1", "TWILIO_FROM_NUMBER": "+14155550100"},
            "FAIL provider-config: twilio needs twilio.auth_token: set it in the config file "
            "or the environment (TWILIO_AUTH_TOKEN)",
        ),
        (
            "telnyx",
            {"TELNYX_API_KEY": "k"},
            "FAIL provider-config: telnyx needs telnyx.connection_id, telnyx.account_sid, telnyx.public_key, "
            "from_number: set them in the config file or the environment "
            "(TELNYX_CONNECTION_ID, TELNYX_ACCOUNT_SID, TELNYX_PUBLIC_KEY, TWILIO_FROM_NUMBER)",
        ),
        (
            "plivo",
            {},
            "FAIL provider-config: plivo needs plivo.auth_id, plivo.auth_token, from_number: "
            "set them in the config file or the environment "
            "(PLIVO_AUTH_ID, PLIVO_AUTH_TOKEN, TWILIO_FROM_NUMBER)",
        ),
        (
            "plivo",
            {"PLIVO_AUTH_ID": "MA1", "PLIVO_AUTH_TOKEN": "t", "TWILIO_FROM_NUMBER": "+14155550100"},
            "OK provider-config: every plivo credential is set",
        ),
    ],
)
def test_provider_config_names_every_missing_credential(
    cli: CLI,
    cwd: Path,
    monkeypatch: pytest.MonkeyPatch,
    provider: str,
    environ: dict[str, str],
    expected: str,
) -> None:
    for name, value in environ.items():
        monkeypatch.setenv(name, value)
    write_config(cwd, f"provider: {provider}\npublic_url: https://calls.example.com\n")
    result = cli("setup")
    assert line_of(result.out, "provider-config") == expected
    assert result.code == (0 if expected.startswith("OK") else 1)


@pytest.mark.usefixtures("twilio_env")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://localhost:3334",
            "public_url host localhost is a name for this machine: twilio cannot reach it",
        ),
        (
            "https://app.localhost",
            "public_url host app.localhost is a name for this machine: twilio cannot reach it",
        ),
        (
            "https://LOCALHOST./",
            "public_url host localhost. is a name for this machine: twilio cannot reach it",
        ),
        (
            "https://127.0.0.1:3334/",
            "public_url host 127.0.0.1 is a loopback address (this machine only): twilio cannot reach it",
        ),
        (
            "https://127.1/",
            "public_url host 127.1 is a loopback address (this machine only): twilio cannot reach it",
        ),
        (
            "https://[::1]:3334/",
            "public_url host ::1 is a loopback address (this machine only): twilio cannot reach it",
        ),
        (
            "https://10.1.2.3",
            "public_url host 10.1.2.3 is a private address (its own network only): twilio cannot reach it",
        ),
        (
            "https://172.16.0.1",
            "public_url host 172.16.0.1 is a private address (its own network only): twilio cannot reach it",
        ),
        (
            "https://172.31.255.254",
            "public_url host 172.31.255.254 is a private address (its own network only): twilio cannot reach it",
        ),
        (
            "https://192.168.1.20",
            "public_url host 192.168.1.20 is a private address (its own network only): twilio cannot reach it",
        ),
        (
            "https://[fd12:3456::1]",
            "public_url host fd12:3456::1 is a private address (its own network only): twilio cannot reach it",
        ),
        (
            "https://169.254.169.254",
            "public_url host 169.254.169.254 is a link-local address (its own network segment only): twilio cannot reach it",
        ),
        (
            "https://[fe80::1]",
            "public_url host fe80::1 is a link-local address (its own network segment only): twilio cannot reach it",
        ),
        (
            "https://0.0.0.0:3334",
            "public_url host 0.0.0.0 is the unspecified address (it names no host): twilio cannot reach it",
        ),
        (
            "https://[::]:3334",
            "public_url host :: is the unspecified address (it names no host): twilio cannot reach it",
        ),
        (
            "https://[::ffff:127.0.0.1]/",
            "public_url host ::ffff:127.0.0.1 is the IPv4-mapped form of 127.0.0.1, a loopback address (this machine only): twilio cannot reach it",
        ),
        (
            "https://[::ffff:10.0.0.1]/",
            "public_url host ::ffff:10.0.0.1 is the IPv4-mapped form of 10.0.0.1, a private address (its own network only): twilio cannot reach it",
        ),
        (
            "https://[::ffff:169.254.1.1]/",
            "public_url host ::ffff:169.254.1.1 is the IPv4-mapped form of 169.254.1.1, a link-local address (its own network segment only): twilio cannot reach it",
        ),
        (
            "https://[::ffff:0.0.0.0]/",
            "public_url host ::ffff:0.0.0.0 is the IPv4-mapped form of 0.0.0.0, the unspecified address (it names no host): twilio cannot reach it",
        ),
        (
            "https://100.64.0.1",
            "public_url host 100.64.0.1 is a reserved address (not on the public internet): twilio cannot reach it",
        ),
    ],
)
def test_webhook_exposure_fails_for_a_host_the_carrier_cannot_reach(
    cli: CLI, cwd: Path, url: str, expected: str
) -> None:
    write_config(cwd, f"provider: twilio\npublic_url: '{url}'\n")
    result = cli("setup")
    assert line_of(result.out, "webhook-exposure") == f"FAIL webhook-exposure: {expected}"
    assert result.code == 1


@pytest.mark.usefixtures("twilio_env")
@pytest.mark.parametrize(
    ("url", "expected"),
    [
        (
            "https://calls.example.com/base",
            "public_url host calls.example.com is not resolved; make sure it reaches this server; "
            "webhook URL for the twilio console: https://calls.example.com/base/voice/webhook",
        ),
        (
            "https://abc123.ngrok-free.app",
            "public_url host abc123.ngrok-free.app is not resolved; make sure it reaches this server; "
            "webhook URL for the twilio console: https://abc123.ngrok-free.app/voice/webhook",
        ),
        (
            "https://8.8.8.8:8080",
            "public_url host 8.8.8.8 is a public address; make sure it reaches this server; "
            "webhook URL for the twilio console: https://8.8.8.8:8080/voice/webhook",
        ),
        (
            "https://172.32.0.1",
            "public_url host 172.32.0.1 is a public address; make sure it reaches this server; "
            "webhook URL for the twilio console: https://172.32.0.1/voice/webhook",
        ),
        (
            "https://[2606:4700::1111]",
            "public_url host 2606:4700::1111 is a public address; make sure it reaches this server; "
            "webhook URL for the twilio console: https://[2606:4700::1111]/voice/webhook",
        ),
        (
            "https://[::ffff:8.8.8.8]",
            "public_url host ::ffff:8.8.8.8 is a public address; make sure it reaches this server; "
            "webhook URL for the twilio console: https://[::ffff:8.8.8.8]/voice/webhook",
        ),
    ],
)
def test_webhook_exposure_passes_a_host_name_or_a_public_address_and_gives_the_webhook_url(
    cli: CLI, cwd: Path, url: str, expected: str
) -> None:
    write_config(cwd, f"provider: twilio\npublic_url: '{url}'\n")
    result = cli("setup")
    assert line_of(result.out, "webhook-exposure") == f"OK webhook-exposure: {expected}"
    assert result.code == 0


@pytest.mark.usefixtures("twilio_env")
@pytest.mark.parametrize(
    ("public_url", "path"),
    [
        ("https://calls.example.com", None),
        ("https://calls.example.com/", None),
        ("https://calls.example.com/voice/webhook", None),
        ("https://calls.example.com/voice/webhook/", None),
        ("https://calls.example.com/hooks/callflow", "/hooks/callflow"),
    ],
    ids=["base", "base-slash", "webhook-url", "webhook-url-slash", "own-path"],
)
def test_setup_gives_one_webhook_url_whether_public_url_is_the_base_or_the_webhook(
    cli: CLI, cwd: Path, public_url: str, path: str | None
) -> None:
    serve = "" if path is None else f"serve: {{path: {path}}}\n"
    write_config(cwd, f"provider: twilio\npublic_url: '{public_url}'\n{serve}")
    result = cli("setup")
    webhook = "https://calls.example.com" + (path or "/voice/webhook")
    assert line_of(result.out, "webhook-exposure") == (
        "OK webhook-exposure: public_url host calls.example.com is not resolved; make sure it reaches "
        f"this server; webhook URL for the twilio console: {webhook}"
    )


@pytest.mark.usefixtures("twilio_env")
def test_webhook_exposure_fails_for_plain_http(cli: CLI, cwd: Path) -> None:
    write_config(cwd, "provider: twilio\npublic_url: 'http://calls.example.com'\n")
    result = cli("setup")
    assert line_of(result.out, "webhook-exposure") == (
        "FAIL webhook-exposure: public_url is http://: webhooks carry callers' numbers and words; "
        "put TLS in front (a reverse proxy or a tunnel) and use https://"
    )
    assert result.code == 1


@pytest.mark.parametrize(
    ("key", "ok"), [("MCowBQYDK2VwAyEA", False), ("not base64!", False), ("A" * 43 + "=", True)]
)
def test_a_telnyx_public_key_must_be_an_ed25519_key(
    cli: CLI, cwd: Path, monkeypatch: pytest.MonkeyPatch, key: str, ok: bool
) -> None:
    monkeypatch.setenv("TELNYX_API_KEY", "KEY-secret")
    monkeypatch.setenv("TELNYX_CONNECTION_ID", "12345")
    write_config(cwd, f"provider: telnyx\nfrom_number: '+14155550100'\ntelnyx: {{public_key: '{key}'}}\n")
    line = line_of(cli("setup").out, "webhook-security")
    assert line.startswith("OK webhook-security" if ok else "FAIL webhook-security: telnyx.public_key is not")


@pytest.mark.usefixtures("twilio_env")
def test_webhook_exposure_fails_without_a_public_url(cli: CLI, cwd: Path) -> None:
    write_config(cwd, "provider: twilio\n")
    result = cli("setup")
    assert line_of(result.out, "webhook-exposure") == (
        "FAIL webhook-exposure: public_url is not set: twilio cannot reach this server's webhook; "
        "set it to the https:// address that reaches this server (a tunnel's, say)"
    )
    assert result.code == 1


@pytest.mark.parametrize("url", [None, "https://localhost:3334", "https://[::ffff:127.0.0.1]/"])
def test_the_mock_provider_passes_webhook_exposure_whatever_the_url(
    cli: CLI, cwd: Path, url: str | None
) -> None:
    write_config(cwd, "provider: mock\n" + (f"public_url: '{url}'\n" if url else ""))
    result = cli("setup")
    assert line_of(result.out, "webhook-exposure") == (
        "OK webhook-exposure: the mock provider sends no webhooks; public_url is not needed"
    )
    assert result.code == 0


def test_webhook_security_fails_when_signatures_are_skipped(cli: CLI, cwd: Path) -> None:
    write_config(cwd, "webhook_security:\n  skip_signature_verification: true\n")
    result = cli("setup")
    assert line_of(result.out, "webhook-security") == (
        "FAIL webhook-security: signature verification is off: anyone can drive calls; "
        "use it only for local development"
    )
    assert result.code == 1


def test_flows_that_lint_clean_pass(cli: CLI, cwd: Path) -> None:
    write_config(
        cwd, f"flows:\n  - {EXAMPLES / 'support-menu.yaml'}\n  - {EXAMPLES / 'outage-notice.yaml'}\n"
    )
    assert line_of(cli("setup").out, "flows") == "OK flows: 2 flows lint clean"


def test_a_flow_with_lint_errors_fails_and_names_the_first(cli: CLI, cwd: Path) -> None:
    (cwd / "flows").mkdir()
    (cwd / "flows" / "typo.yaml").write_text(BROKEN_FLOW, encoding="utf-8")
    write_config(cwd, "flows: [flows/typo.yaml]\n")
    result = cli("setup")
    assert line_of(result.out, "flows") == (
        f"FAIL flows: 1 error in the flows; first: {cwd / 'flows' / 'typo.yaml'}:9:12: error: "
        "expected a step id in step 'menu' (on.1), found 'confimred'; did you mean 'confirmed'? [unknown-step]"
    )
    assert result.code == 1


def test_a_missing_flow_file_fails(cli: CLI, cwd: Path) -> None:
    write_config(cwd, f"flows: [{EXAMPLES / 'support-menu.yaml'}, gone.yaml]\n")
    result = cli("setup")
    assert line_of(result.out, "flows") == (
        f"FAIL flows: 1 error in the flows; first: {cwd / 'gone.yaml'}: no such file or folder"
    )
    assert result.code == 1


def test_the_inbound_flow_is_linted_too(cli: CLI, cwd: Path) -> None:
    (cwd / "in.yaml").write_text(BROKEN_FLOW, encoding="utf-8")
    write_config(cwd, "inbound:\n  policy: open\n  flow: in.yaml\n")
    result = cli("setup")
    assert line_of(result.out, "flows").startswith(
        f"FAIL flows: 1 error in the flows; first: {cwd / 'in.yaml'}:9:12:"
    )
    assert line_of(result.out, "inbound") == f"OK inbound: inbound calls from anyone run {cwd / 'in.yaml'}"


WEAK_SCREEN = "caller ID can be spoofed, so an allowlist is a weak screen, not authentication"


@pytest.mark.parametrize(
    ("inbound", "expected"),
    [
        ("{policy: disabled}", "OK inbound: inbound calls are rejected (policy disabled)"),
        (
            "{policy: allowlist, allow_from: ['+14155550101', '+14155550102'], flow: FLOW}",
            f"OK inbound: inbound calls from 2 allowed numbers run FLOW; {WEAK_SCREEN}",
        ),
        (
            "{policy: allowlist, flow: FLOW}",
            f"FAIL inbound: policy allowlist needs numbers in inbound.allow_from; {WEAK_SCREEN}",
        ),
        (
            "{policy: allowlist, allow_from: []}",
            f"FAIL inbound: policy allowlist needs numbers in inbound.allow_from and inbound.flow; {WEAK_SCREEN}",
        ),
        (
            "{policy: allowlist, allow_from: ['+14155550101']}",
            f"FAIL inbound: policy allowlist needs inbound.flow; {WEAK_SCREEN}",
        ),
        ("{policy: open}", "FAIL inbound: policy open needs inbound.flow"),
        ("{policy: open, flow: FLOW}", "OK inbound: inbound calls from anyone run FLOW"),
    ],
)
def test_the_inbound_policy_has_what_it_needs(cli: CLI, cwd: Path, inbound: str, expected: str) -> None:
    flow = str(EXAMPLES / "inbound-hotline.yaml")
    write_config(cwd, f"inbound: {inbound.replace('FLOW', flow)}\n")
    result = cli("setup")
    assert line_of(result.out, "inbound") == expected.replace("FLOW", flow)
    assert result.code == (0 if expected.startswith("OK") else 1)


def test_an_invalid_config_exits_2_with_its_problems(cli: CLI, cwd: Path) -> None:
    write_config(cwd, "provider: twilio\npublic_url: ${PUBLIC_URL}\n")
    result = cli("setup", "--json")
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines() == [
        "callflow.yaml:2:13: error: environment variable PUBLIC_URL is not set (in public_url) [env-unset]",
        "callflow setup: error: config file callflow.yaml has 1 error",
    ]


def test_an_unreadable_config_exits_2(cli: CLI, tmp_path: Path) -> None:
    result = cli("setup", "--config", tmp_path)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"callflow setup: error: config file {tmp_path}: is a folder, not a file\n"


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_setup_never_prints_a_secret(
    cli: CLI, cwd: Path, monkeypatch: pytest.MonkeyPatch, json_flag: list[str]
) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", "tok-SECRET-123")
    monkeypatch.setenv("TELNYX_API_KEY", "key-SECRET-456")
    write_config(
        cwd,
        """
        provider: plivo
        plivo:
          auth_token: plivo-SECRET-789
        public_url: https://localhost
        webhook_security: {skip_signature_verification: true}
        """,
    )
    result = cli("setup", *json_flag)
    assert result.code == 1
    for secret in ("tok-SECRET-123", "key-SECRET-456", "plivo-SECRET-789"):
        assert secret not in result.out + result.err


@pytest.mark.parametrize(
    ("reaper", "warned"),
    [
        (300, True),
        (60, True),
        (301, False),
        (0, False),
    ],
)
def test_setup_warns_when_the_reaper_would_cut_calls_the_max_duration_allows(
    cli: CLI, cwd: Path, reaper: int, warned: bool
) -> None:
    write_config(cwd, f"max_duration_seconds: 300\nstale_call_reaper_seconds: {reaper}\n")
    result = cli("setup")
    assert (result.code, result.err) == (0, "")
    warnings = [line for line in result.out.splitlines() if line.startswith("WARN")]
    assert warnings == (
        [
            f"WARN stale-call-reaper: stale_call_reaper_seconds ({reaper}) is not above max_duration_seconds "
            f"(300): the reaper would end a call that hears nothing from the carrier for {reaper} s, which "
            "max_duration_seconds allows; set it above 300, or to 0 (off)"
        ]
        if warned
        else []
    )


PLIVO_MENU = """\
version: 1
name: menu
mode: conversation
steps:
  menu:
    send_digits: "{digits}"
    say: Press 1.
    gather: {{digits: 1, timeout: 4}}
    on: {{"1": bye}}
  bye:
    say: Bye.
"""


def test_setup_warns_of_each_flow_value_the_carrier_moves(cli: CLI, cwd: Path) -> None:
    (cwd / "menu.yaml").write_text(PLIVO_MENU.format(digits="1W2"), encoding="utf-8")
    write_config(
        cwd,
        """
        provider: plivo
        from_number: "+14155550100"
        plivo: {auth_id: MA0000000000000000000, auth_token: plivo-test-token}
        public_url: https://calls.example.com
        flows: [menu.yaml]
        """,
    )
    result = cli("setup", "--json")
    assert result.code == 0
    report = result.json()
    assert report["ok"] is True
    assert report["warnings"] == [
        {
            "id": "carrier-limits",
            "message": "flow 'menu' step 'menu': plivo: <GetInput> executionTimeout takes 5 to 60 s: "
            "a timeout of 4 s is 5 s",
        }
    ]


@pytest.mark.usefixtures("twilio_env")
def test_setup_fails_on_a_flow_value_the_carrier_cannot_take(cli: CLI, cwd: Path) -> None:
    menu = PLIVO_MENU.format(digits="1,2").replace(
        "gather: {digits: 1, timeout: 4}", 'gather: {hints: ["no, thanks"]}'
    )
    (cwd / "menu.yaml").write_text(menu, encoding="utf-8")
    write_config(
        cwd,
        """
        provider: twilio
        public_url: https://calls.example.com
        flows: [menu.yaml]
        """,
    )
    result = cli("setup")
    assert result.code == 1
    assert result.out.splitlines()[-2:] == [
        "FAIL carrier-limits: flow 'menu' step 'menu': twilio: <Gather> hint 'no, thanks' has a comma, "
        "which separates one hint from the next",
        "WARN carrier-limits: flow 'menu' step 'menu': twilio: p, P and , pause a second, as W does; "
        "there is no W (wait a second) in its digits: '1,2' is sent as '1ww2'",
    ]


def test_setup_checks_the_agent_answers_with_its_model(
    cli: CLI, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLFLOW_AGENT_API_KEY", AGENT_KEY)
    with AgentStandIn() as agent:
        agent.models("llama3.2")
        write_config(cwd, f"agent:\n  base_url: {agent.url}\n  model: llama3.2\n")
        result = cli("setup")
        assert agent.requests[0].headers["authorization"] == f"Bearer {AGENT_KEY}"
    assert result.code == 0, result.out
    assert line_of(result.out, "agent") == f"OK agent: {agent.url} answers and lists model llama3.2"


def test_setup_fails_when_the_agent_refuses_and_never_prints_its_key(
    cli: CLI, cwd: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLFLOW_AGENT_API_KEY", AGENT_KEY)
    with AgentStandIn() as agent:
        agent.answer_text(f"bad key {AGENT_KEY}", status=401)
        agent.answer_text(f"bad key {AGENT_KEY}", status=401)
        write_config(cwd, f"agent:\n  base_url: {agent.url}\n  model: llama3.2\n")
        result = cli("setup")
    assert result.code == 1
    assert line_of(result.out, "agent") == (
        f"FAIL agent: the agent at {agent.url}/chat/completions answered HTTP 401: bad key ***"
    )
    assert AGENT_KEY not in result.out + result.err
