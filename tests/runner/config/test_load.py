from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from flows import load_schema
from runner.config import (
    Config,
    ConfigFileError,
    ConfigInvalidError,
    InboundPolicy,
    ProviderName,
    Secret,
    ServeSettings,
    load_config,
    missing_credentials,
    redacted,
)

SECRET = "tok-SECRET-123"


@pytest.fixture(autouse=True)
def _in_empty_folder(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A callflow.yaml where the tests run must not change what they see."""
    folder = tmp_path / "cwd"
    folder.mkdir()
    monkeypatch.chdir(folder)


def write(tmp_path: Path, text: str, name: str = "callflow.yaml") -> Path:
    path = tmp_path / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def problems_of(path: Path, environ: dict[str, str] | None = None) -> list[tuple[int, int, str, str]]:
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(path, environ or {})
    assert caught.value.file == str(path)
    return [
        (problem.mark.line, problem.mark.column, problem.rule, problem.message)
        for problem in caught.value.problems
    ]


BROKEN = [
    pytest.param(
        "provder: twilio\n",
        1,
        1,
        "unknown-key",
        "unknown key 'provder'; did you mean 'provider'?",
        id="unknown-key",
    ),
    pytest.param(
        "twilio:\n  account_sid: AC1\n  auth_tokn: x\n",
        3,
        3,
        "unknown-key",
        "unknown key 'auth_tokn' in twilio; did you mean 'auth_token'?",
        id="unknown-nested-key",
    ),
    pytest.param(
        "provider: twillio\n",
        1,
        11,
        "invalid-value",
        "in provider, found 'twillio'; did you mean 'twilio'?",
        id="provider-typo",
    ),
    pytest.param(
        "serve:\n  port: 70000\n",
        2,
        9,
        "invalid-value",
        "expected a value at most 65535 in serve.port, found the number 70000",
        id="port-range",
    ),
    pytest.param(
        'serve:\n  port: "80"\n',
        2,
        9,
        "wrong-type",
        "expected a whole number in serve.port, found '80'",
        id="port-text",
    ),
    pytest.param(
        "serve:\n  path: voice\n",
        2,
        9,
        "invalid-value",
        "in serve.path, found 'voice'",
        id="path-without-slash",
    ),
    pytest.param(
        "serve:\n  bind: ''\n",
        2,
        9,
        "invalid-value",
        "expected non-empty text in serve.bind, found ''",
        id="empty-bind",
    ),
    pytest.param(
        "public_url: ftp://example.com\n",
        1,
        13,
        "invalid-value",
        "in public_url, found 'ftp://example.com'",
        id="url-scheme",
    ),
    pytest.param(
        'public_url: "https://[::1"\n',
        1,
        13,
        "invalid-value",
        "expected a URL with a host name or address, such as https://calls.example.com, in public_url, found 'https://[::1'",
        id="url-broken-host",
    ),
    pytest.param(
        "public_url: https://example.com:99999/\n",
        1,
        13,
        "invalid-value",
        "in public_url, found 'https://example.com:99999/'",
        id="url-port",
    ),
    pytest.param(
        "max_duration_seconds: 0\n",
        1,
        23,
        "invalid-value",
        "expected a value at least 1 in max_duration_seconds, found the number 0",
        id="max-duration",
    ),
    pytest.param(
        "stale_call_reaper_seconds: -1\n",
        1,
        28,
        "invalid-value",
        "expected a value at least 0 in stale_call_reaper_seconds",
        id="reaper",
    ),
    pytest.param(
        "max_concurrent_calls: 0\n",
        1,
        23,
        "invalid-value",
        "expected a value at least 1 in max_concurrent_calls",
        id="concurrency",
    ),
    pytest.param(
        "inbound:\n  policy: allow\n",
        2,
        11,
        "invalid-value",
        "found 'allow'; did you mean 'allowlist'?",
        id="policy",
    ),
    pytest.param(
        'inbound:\n  allow_from: ["555-1234"]\n',
        2,
        16,
        "phone-number",
        "expected an E.164 phone number such as +14155550100 ('+', country code, number; no spaces), found '555-1234' (in inbound.allow_from.0)",
        id="allow-from",
    ),
    pytest.param(
        'from_number: "+1415"\n',
        1,
        14,
        "phone-number",
        "wrong length for its country, found '+1415' (in from_number)",
        id="from-number",
    ),
    pytest.param(
        "webhook_security:\n  trusted_proxy_ips: [10.0.0.1, proxy]\n",
        2,
        33,
        "invalid-value",
        "expected an IP address such as 10.0.0.5 in webhook_security.trusted_proxy_ips.1, found 'proxy'",
        id="proxy-ip",
    ),
    pytest.param(
        "timezone: America/Springfield\n",
        1,
        11,
        "invalid-value",
        "expected an IANA time zone such as America/New_York in timezone, found 'America/Springfield'",
        id="timezone",
    ),
    pytest.param(
        "webhook_security:\n  trust_forwarding_headers: yes\n",
        2,
        29,
        "wrong-type",
        "expected true or false in webhook_security.trust_forwarding_headers, found 'yes'",
        id="yes-is-text",
    ),
    pytest.param(
        "flows: flow.yaml\n",
        1,
        8,
        "wrong-type",
        "expected a list in flows, found 'flow.yaml'",
        id="flows-not-a-list",
    ),
    pytest.param("- provider\n", 1, 1, "wrong-type", "expected a mapping, found a list", id="root-list"),
    pytest.param(
        "provider: mock\nprovider: twilio\n",
        2,
        1,
        "duplicate-key",
        "duplicate key 'provider' (first at line 1)",
        id="duplicate-key",
    ),
    pytest.param("provider: [mock\n", 2, 1, "yaml-syntax", "not valid YAML", id="yaml-syntax"),
    pytest.param("provider: !env twilio\n", 1, 11, "yaml-tag", "unsupported YAML tag '!env'", id="yaml-tag"),
    pytest.param(
        "data_dir: ${NOPE}\n",
        1,
        11,
        "env-unset",
        "environment variable NOPE is not set (in data_dir)",
        id="env-unset",
    ),
    pytest.param(
        "public_url: ${NOPE}\n",
        1,
        13,
        "env-unset",
        "environment variable NOPE is not set (in public_url)",
        id="env-unset-judged-once",
    ),
    pytest.param(
        "data_dir: a${1X}\n", 1, 11, "env-reference", "'${' starts no ${NAME} reference", id="env-bad-name"
    ),
    pytest.param(
        "data_dir: a${X\n", 1, 11, "env-reference", "write $${ for a literal '${'", id="env-unclosed"
    ),
    pytest.param(
        "twilio:\n  auth_token: 12345678\n",
        2,
        15,
        "wrong-type",
        "expected text in twilio.auth_token, found a number (not shown: it is a secret); write it in quotes",
        id="secret-number",
    ),
    pytest.param(
        "plivo: 12345678\n",
        1,
        8,
        "wrong-type",
        "expected a mapping in plivo, found a number (not shown: it may hold a secret)",
        id="secret-section-scalar",
    ),
]


@pytest.mark.parametrize(("text", "line", "column", "rule", "part"), BROKEN)
def test_a_broken_config_reports_line_column_rule_and_message(
    tmp_path: Path, text: str, line: int, column: int, rule: str, part: str
) -> None:
    [(found_line, found_column, found_rule, message)] = problems_of(write(tmp_path, text))
    assert (found_line, found_column, found_rule) == (line, column, rule)
    assert part in message


@pytest.mark.parametrize(
    ("text", "column", "message"),
    [
        (
            "twilio:\n  api_base: http://api.example.com\n",
            13,
            "expected an https:// URL (http:// only for a loopback host such as 127.0.0.1) in twilio.api_base, "
            "found 'http://api.example.com'",
        ),
        (
            "plivo:\n  api_base: http://10.0.0.8:8080\n",
            13,
            "expected an https:// URL (http:// only for a loopback host such as 127.0.0.1) in plivo.api_base, "
            "found 'http://10.0.0.8:8080'",
        ),
        (
            'telnyx:\n  api_base: "https://[::1"\n',
            13,
            "expected a URL with a host name or address, such as https://api.example.com, in telnyx.api_base, "
            "found 'https://[::1'",
        ),
    ],
    ids=["plain-http", "plain-http-private", "no-host"],
)
def test_an_api_base_must_be_https_unless_it_is_on_this_machine(
    tmp_path: Path, text: str, column: int, message: str
) -> None:
    assert problems_of(write(tmp_path, text)) == [(2, column, "invalid-value", message)]


@pytest.mark.parametrize("base", ["http://127.0.0.1:8080", "http://localhost:8080", "http://[::1]:8080"])
def test_an_api_base_on_this_machine_may_be_plain_http(tmp_path: Path, base: str) -> None:
    config = load_config(write(tmp_path, f'telnyx:\n  api_base: "{base}"\n'), {})
    assert config.telnyx.api_base == base


def test_every_problem_is_reported_in_file_order(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        serve:
          port: 0
        provider: fax
        twilio:
          auth_token: ${UNSET_TOKEN}
        """,
    )
    assert [(line, column, rule) for line, column, rule, _ in problems_of(path)] == [
        (2, 9, "invalid-value"),
        (3, 11, "invalid-value"),
        (5, 15, "env-unset"),
    ]


def test_the_error_formats_like_lint(tmp_path: Path) -> None:
    path = write(tmp_path, "provider: fax\n")
    with pytest.raises(ConfigInvalidError) as caught:
        load_config(path, {})
    assert str(caught.value) == f"config file {path} has 1 error"
    assert caught.value.problems[0].format() == (
        f"{path}:1:11: error: expected one of 'twilio', 'telnyx', 'plivo', 'mock' in provider, "
        "found 'fax' [invalid-value]"
    )


def test_without_a_file_everything_is_the_default() -> None:
    config = load_config(None, {})
    assert config == Config()
    assert config.provider is ProviderName.MOCK
    assert config.serve == ServeSettings(bind="127.0.0.1", port=3334, path="/voice/webhook")
    assert (config.max_duration_seconds, config.stale_call_reaper_seconds, config.max_concurrent_calls) == (
        300,
        0,
        100,
    )
    assert config.inbound.policy is InboundPolicy.DISABLED
    assert config.timezone == "UTC"
    assert config.source is None


def test_an_empty_file_or_one_of_comments_sets_nothing(tmp_path: Path) -> None:
    for text in ("", "# nothing yet\n"):
        path = write(tmp_path, text)
        config = load_config(path, {})
        assert config == Config(source=path.absolute())


def test_callflow_yaml_in_the_current_folder_is_found() -> None:
    Path("callflow.yaml").write_text("provider: plivo\n", encoding="utf-8")
    config = load_config(None, {})
    assert config.provider is ProviderName.PLIVO
    assert config.source == Path.cwd() / "callflow.yaml"


def test_callflow_config_names_the_file_and_beats_the_current_folder(tmp_path: Path) -> None:
    Path("callflow.yaml").write_text("provider: plivo\n", encoding="utf-8")
    chosen = write(tmp_path, "provider: telnyx\n", "elsewhere/config.yaml")
    assert load_config(None, {"CALLFLOW_CONFIG": str(chosen)}).provider is ProviderName.TELNYX


def test_an_explicit_path_beats_callflow_config(tmp_path: Path) -> None:
    by_env = write(tmp_path, "provider: telnyx\n", "env.yaml")
    explicit = write(tmp_path, "provider: twilio\n", "explicit.yaml")
    config = load_config(explicit, {"CALLFLOW_CONFIG": str(by_env)})
    assert config.provider is ProviderName.TWILIO


@pytest.mark.parametrize("how", ["argument", "CALLFLOW_CONFIG"])
def test_a_named_file_that_is_missing_is_an_error(tmp_path: Path, how: str) -> None:
    missing = tmp_path / "nope.yaml"
    path, environ = (missing, {}) if how == "argument" else (None, {"CALLFLOW_CONFIG": str(missing)})
    with pytest.raises(ConfigFileError) as caught:
        load_config(path, environ)
    assert str(caught.value) == f"config file {missing}: no such file"
    assert caught.value.reason == "no such file"


def test_a_folder_is_not_a_config_file(tmp_path: Path) -> None:
    with pytest.raises(ConfigFileError, match="is a folder, not a file"):
        load_config(tmp_path, {})


def test_paths_are_relative_to_the_config_files_folder(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        flows: [flows/reminder.yaml, /abs/other.yaml]
        inbound:
          flow: flows/hotline.yaml
        data_dir: records
        """,
        "project/callflow.yaml",
    )
    config = load_config(path, {})
    folder = tmp_path / "project"
    assert config.flows == (folder / "flows/reminder.yaml", Path("/abs/other.yaml"))
    assert config.inbound.flow == folder / "flows/hotline.yaml"
    assert config.data_dir == folder / "records"
    assert config.source == path


def test_a_relative_config_path_still_resolves_against_its_own_folder(tmp_path: Path) -> None:
    write(tmp_path, "flows: [menu.yaml]\n", "cwd/sub/callflow.yaml")
    config = load_config(Path("sub/callflow.yaml"), {})
    assert config.flows == (Path.cwd() / "sub" / "menu.yaml",)


def test_every_setting_is_read(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        provider: twilio
        from_number: "+14155550100"
        twilio: {account_sid: AC1, auth_token: token, api_base: "https://api.dublin.ie1.twilio.com"}
        telnyx: {api_key: key, connection_id: "123", account_sid: acct, public_key: pub, api_base: "http://127.0.0.1:8080"}
        plivo: {auth_id: MA1, auth_token: ptoken, api_base: "http://localhost:9000/"}
        serve: {bind: 0.0.0.0, port: 8080, path: /hook}
        public_url: https://calls.example.com
        webhook_security:
          allowed_hosts: [calls.example.com]
          trusted_proxy_ips: [10.0.0.5, "::1"]
          trust_forwarding_headers: true
          skip_signature_verification: true
          max_in_flight_per_address: 32
          replay_cache_mb: 64
        inbound:
          policy: allowlist
          allow_from: ["+14155550101"]
          greeting: Hello
          flow: in.yaml
        max_duration_seconds: 60
        stale_call_reaper_seconds: 900
        max_concurrent_calls: 5
        timezone: Europe/Paris
        """,
    )
    config = load_config(path, {})
    assert config.timezone == "Europe/Paris"
    assert config.twilio.account_sid == "AC1"
    assert config.twilio.auth_token == Secret("token")
    assert config.telnyx.api_key == Secret("key")
    assert (config.telnyx.connection_id, config.telnyx.public_key) == ("123", "pub")
    assert config.telnyx.account_sid == "acct"
    assert config.plivo.auth_id == "MA1"
    assert (config.twilio.api_base, config.telnyx.api_base, config.plivo.api_base) == (
        "https://api.dublin.ie1.twilio.com",
        "http://127.0.0.1:8080",
        "http://localhost:9000/",
    )
    assert config.plivo.auth_token == Secret("ptoken")
    assert config.serve == ServeSettings(bind="0.0.0.0", port=8080, path="/hook")
    assert config.public_url == "https://calls.example.com"
    assert config.webhook_security.allowed_hosts == ("calls.example.com",)
    assert config.webhook_security.trusted_proxy_ips == ("10.0.0.5", "::1")
    assert config.webhook_security.trust_forwarding_headers is True
    assert config.webhook_security.skip_signature_verification is True
    assert config.webhook_security.max_in_flight_per_address == 32
    assert config.webhook_security.replay_cache_mb == 64
    assert config.inbound.policy is InboundPolicy.ALLOWLIST
    assert config.inbound.allow_from == ("+14155550101",)
    assert config.inbound.greeting == "Hello"
    assert (config.max_duration_seconds, config.stale_call_reaper_seconds, config.max_concurrent_calls) == (
        60,
        900,
        5,
    )


@pytest.mark.parametrize(
    ("written", "environ", "expected"),
    [
        ("${GREETING}", {"GREETING": "Hello"}, "Hello"),
        ("Hi ${FIRST} and ${SECOND}!", {"FIRST": "a", "SECOND": "b"}, "Hi a and b!"),
        ("$${GREETING}", {"GREETING": "Hello"}, "${GREETING}"),
        ("cost: $5 $$ {x}", {}, "cost: $5 $$ {x}"),
        ("$$${GREETING}", {"GREETING": "Hello"}, "$${GREETING}"),
        ("${EMPTY}", {"EMPTY": ""}, ""),
        # Taken as is: a value never becomes YAML, nor another reference.
        ("${INJECT}", {"INJECT": "x\nprovider: twilio\n- [a]"}, "x\nprovider: twilio\n- [a]"),
        ("${NESTED}", {"NESTED": "${GREETING}", "GREETING": "Hello"}, "${GREETING}"),
    ],
)
def test_env_references_are_substituted_in_text_values(
    tmp_path: Path, written: str, environ: dict[str, str], expected: str
) -> None:
    path = tmp_path / "callflow.yaml"
    path.write_text(f"inbound:\n  greeting: '{written}'\n", encoding="utf-8")
    config = load_config(path, environ)
    assert config.inbound.greeting == expected
    assert config.provider is ProviderName.MOCK


def test_env_references_reach_list_items_and_credentials(tmp_path: Path) -> None:
    path = write(
        tmp_path,
        """
        provider: twilio
        twilio:
          account_sid: ${SID}
          auth_token: ${TOKEN}
        inbound:
          allow_from: ["${BOSS}"]
        flows: ["${FLOWS}/menu.yaml"]
        """,
    )
    environ = {"SID": "AC9", "TOKEN": SECRET, "BOSS": "+14155550101", "FLOWS": "/srv/flows"}
    config = load_config(path, environ)
    assert config.twilio.account_sid == "AC9"
    assert config.twilio.auth_token is not None
    assert config.twilio.auth_token.reveal() == SECRET
    assert config.inbound.allow_from == ("+14155550101",)
    assert config.flows == (Path("/srv/flows/menu.yaml"),)


def test_a_substituted_value_is_validated_where_the_reference_stands(tmp_path: Path) -> None:
    path = write(tmp_path, "serve:\n  path: ${HOOK}\n")
    assert problems_of(path, {"HOOK": "hook"}) == [
        (
            2,
            9,
            "invalid-value",
            "expected a path starting with '/', such as '/voice/webhook' in serve.path, found 'hook'",
        )
    ]


def test_each_unset_variable_is_named_once_per_value(tmp_path: Path) -> None:
    path = write(tmp_path, "inbound:\n  greeting: ${A} ${A} ${B}\n")
    assert [message for *_, message in problems_of(path)] == [
        "environment variable A is not set (in inbound.greeting)",
        "environment variable B is not set (in inbound.greeting)",
    ]


CREDENTIALS = {
    "TWILIO_ACCOUNT_SID": "AC-env",
    "TWILIO_AUTH_TOKEN": "twilio-token-env",
    "TWILIO_FROM_NUMBER": "+14155550100",
    "TELNYX_API_KEY": "telnyx-key-env",
    "TELNYX_CONNECTION_ID": "conn-env",
    "TELNYX_ACCOUNT_SID": "account-env",
    "TELNYX_PUBLIC_KEY": "pub-env",
    "PLIVO_AUTH_ID": "MA-env",
    "PLIVO_AUTH_TOKEN": "plivo-token-env",
}


def test_credentials_fall_back_to_the_environment() -> None:
    config = load_config(None, CREDENTIALS)
    assert config.twilio.account_sid == "AC-env"
    assert config.twilio.auth_token == Secret("twilio-token-env")
    assert config.from_number == "+14155550100"
    assert config.telnyx.api_key == Secret("telnyx-key-env")
    assert config.telnyx.connection_id == "conn-env"
    assert config.telnyx.public_key == "pub-env"
    assert config.plivo.auth_id == "MA-env"
    assert config.plivo.auth_token == Secret("plivo-token-env")


def test_the_file_wins_over_the_environment(tmp_path: Path) -> None:
    path = write(tmp_path, "twilio:\n  auth_token: from-file\nfrom_number: '+14155550199'\n")
    config = load_config(path, CREDENTIALS)
    assert config.twilio.auth_token == Secret("from-file")
    assert config.from_number == "+14155550199"
    assert config.twilio.account_sid == "AC-env"


def test_an_empty_environment_variable_is_no_credential() -> None:
    config = load_config(None, {"TWILIO_AUTH_TOKEN": "", "TWILIO_ACCOUNT_SID": ""})
    assert config.twilio == Config().twilio


def test_a_secret_never_prints_its_value() -> None:
    secret = Secret(SECRET)
    assert secret.reveal() == SECRET
    assert str(secret) == "***"
    assert f"{secret}" == "***"
    assert repr(secret) == "Secret('***')"
    config = load_config(None, CREDENTIALS)
    assert "twilio-token-env" not in repr(config)
    assert "telnyx-key-env" not in f"{config}"


def test_secrets_compare_by_value() -> None:
    assert Secret("a") == Secret("a")
    assert Secret("a") != Secret("b")
    assert Secret("a") != "a"
    assert len({Secret("a"), Secret("a")}) == 1


@pytest.mark.parametrize(
    ("environ", "provider", "missing"),
    [
        ({}, "mock", []),
        ({}, "twilio", ["twilio.account_sid", "twilio.auth_token", "from_number"]),
        ({"TWILIO_ACCOUNT_SID": "AC1"}, "twilio", ["twilio.auth_token", "from_number"]),
        (
            {},
            "telnyx",
            [
                "telnyx.api_key",
                "telnyx.connection_id",
                "telnyx.account_sid",
                "telnyx.public_key",
                "from_number",
            ],
        ),
        ({}, "plivo", ["plivo.auth_id", "plivo.auth_token", "from_number"]),
        (CREDENTIALS, "twilio", []),
        (CREDENTIALS, "telnyx", []),
        (CREDENTIALS, "plivo", []),
    ],
)
def test_missing_credentials_names_the_config_keys(
    tmp_path: Path, environ: dict[str, str], provider: str, missing: list[str]
) -> None:
    config = load_config(write(tmp_path, f"provider: {provider}\n"), environ)
    assert missing_credentials(config) == missing


def test_telnyx_needs_no_public_key_while_signatures_are_not_checked(tmp_path: Path) -> None:
    path = write(tmp_path, "provider: telnyx\nwebhook_security: {skip_signature_verification: true}\n")
    config = load_config(
        path,
        {
            "TELNYX_API_KEY": "k",
            "TELNYX_CONNECTION_ID": "c",
            "TELNYX_ACCOUNT_SID": "a",
            "TWILIO_FROM_NUMBER": "+14155550100",
        },
    )
    assert missing_credentials(config) == []


def test_redacted_masks_secrets_that_are_set_and_nulls_the_rest() -> None:
    data = redacted(load_config(None, {"TWILIO_AUTH_TOKEN": SECRET, "PLIVO_AUTH_ID": "MA1"}))
    assert data["twilio"] == {"account_sid": None, "auth_token": "***", "api_base": None}
    assert data["telnyx"] == {
        "api_key": None,
        "connection_id": None,
        "account_sid": None,
        "public_key": None,
        "api_base": None,
    }
    assert data["plivo"] == {"auth_id": "MA1", "auth_token": None, "api_base": None}
    assert SECRET not in repr(data)


def test_redacted_lists_every_key_of_the_schema() -> None:
    schema = load_schema("config.schema.json")
    data = redacted(Config())
    assert list(data) == list(schema["properties"])
    for key, value in data.items():
        if isinstance(value, dict):
            assert list(value) == list(schema["properties"][key]["properties"])


def test_a_secret_pasted_into_another_key_is_masked_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, f"twilio:\n  auth_token: {SECRET}\nfrom_number: {SECRET}\n")
    [(_, _, rule, message)] = problems_of(path)
    assert rule == "phone-number"
    assert SECRET not in message
    assert "found '***' (in from_number)" in message


def test_an_environment_secret_is_masked_in_messages(tmp_path: Path) -> None:
    path = write(tmp_path, "public_url: ${TWILIO_AUTH_TOKEN}\n")
    [(_, _, _, message)] = problems_of(path, {"TWILIO_AUTH_TOKEN": SECRET})
    assert SECRET not in message
