from __future__ import annotations

import textwrap
from pathlib import Path

import pytest

from runner.config import CREDENTIAL_ENV
from tests.conftest import CLI, EXAMPLES

SECRETS = {
    "TWILIO_AUTH_TOKEN": "tok-SECRET-123",
    "TELNYX_API_KEY": "key-SECRET-456",
    "PLIVO_AUTH_TOKEN": "plivo-SECRET-789",
}

DEFAULTS_YAML = """\
# no config file: the defaults and the environment
provider: mock
from_number: null
twilio:
  account_sid: null
  auth_token: null
  api_base: null
telnyx:
  api_key: null
  connection_id: null
  account_sid: null
  public_key: null
  api_base: null
plivo:
  auth_id: null
  auth_token: null
  api_base: null
serve:
  bind: 127.0.0.1
  port: 3334
  path: /voice/webhook
public_url: null
webhook_security:
  allowed_hosts: []
  trusted_proxy_ips: []
  trust_forwarding_headers: false
  skip_signature_verification: false
  max_in_flight_per_address: 8
  replay_cache_mb: 1024
inbound:
  policy: disabled
  allow_from: []
  greeting: null
  flow: null
  agent: false
flows: []
max_duration_seconds: 300
stale_call_reaper_seconds: 0
max_concurrent_calls: 100
timezone: UTC
data_dir: {data_dir}
audio:
  path: gather
  tts:
    engine: espeak-ng
    voice: null
    language: null
    base_url: null
    model: null
    api_key: null
    timeout: 10.0
  stt:
    engine: whisper
    model_dir: null
    language: en
    base_url: null
    model: null
    api_key: null
    silence_ms: 600
  realtime:
    provider: openai
    base_url: null
    model: null
    voice: null
    api_key: null
agent: null
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


def write(path: Path, text: str) -> Path:
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text).lstrip("\n"), encoding="utf-8")
    return path


def test_show_without_a_file_prints_the_defaults(cli: CLI, data_dir: Path) -> None:
    result = cli("config", "show")
    assert (result.code, result.err) == (0, "")
    assert result.out == DEFAULTS_YAML.format(data_dir=data_dir)


def test_show_prints_the_data_folder_the_other_commands_use(
    cli: CLI, tmp_path: Path, cwd: Path, data_dir: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def shown(*argv: str | Path) -> str:
        data = cli("config", "show", "--json", *argv).json()
        assert isinstance(data["data_dir"], str)
        return data["data_dir"]

    assert shown() == str(data_dir)
    config = write(tmp_path / "project" / "callflow.yaml", "data_dir: records\n")
    assert shown("--config", config) == str(tmp_path / "project" / "records")
    assert shown("--config", config, "--data-dir", "mine") == str(cwd / "mine")
    monkeypatch.delenv("CALLFLOW_DATA_DIR")
    assert shown() == str(cwd / ".callflow")
    # What it names is where a command keeps its records.
    simulated = cli(
        "simulate", EXAMPLES / "outage-notice.yaml", "--var", "name=Ada", "--var", "phone=+14155550100",
        "--config", config,
    )  # fmt: skip
    assert simulated.code == 0, simulated.err
    assert (Path(shown("--config", config)) / "calls.sqlite3").is_file()


def test_show_names_the_file_it_read_and_makes_paths_absolute(cli: CLI, tmp_path: Path) -> None:
    config = write(
        tmp_path / "project" / "callflow.yaml",
        """
        provider: twilio
        from_number: "+14155550100"
        twilio: {account_sid: AC1}
        flows: [menu.yaml]
        """,
    )
    result = cli("config", "show", "--config", config)
    assert result.code == 0
    lines = result.out.splitlines()
    assert lines[0] == f"# effective config from {config}"
    assert lines[1:6] == [
        "provider: twilio",
        "from_number: '+14155550100'",
        "twilio:",
        "  account_sid: AC1",
        "  auth_token: null",
    ]
    assert f"- {tmp_path / 'project' / 'menu.yaml'}" in lines


def test_show_json_is_the_redacted_config(cli: CLI, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TWILIO_AUTH_TOKEN", SECRETS["TWILIO_AUTH_TOKEN"])
    data = cli("config", "show", "--json").json()
    assert list(data) == [
        "provider",
        "from_number",
        "twilio",
        "telnyx",
        "plivo",
        "serve",
        "public_url",
        "webhook_security",
        "inbound",
        "flows",
        "max_duration_seconds",
        "stale_call_reaper_seconds",
        "max_concurrent_calls",
        "timezone",
        "data_dir",
        "audio",
        "agent",
    ]
    assert data["twilio"] == {"account_sid": None, "auth_token": "***", "api_base": None}
    assert data["serve"] == {"bind": "127.0.0.1", "port": 3334, "path": "/voice/webhook"}


def test_show_reads_callflow_yaml_in_the_current_folder(cli: CLI, cwd: Path) -> None:
    write(cwd / "callflow.yaml", "provider: plivo\n")
    result = cli("config", "show", "--json")
    assert result.json()["provider"] == "plivo"


def test_show_reads_the_file_callflow_config_names(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("CALLFLOW_CONFIG", str(write(tmp_path / "other.yaml", "provider: telnyx\n")))
    assert cli("config", "show", "--json").json()["provider"] == "telnyx"


def test_an_invalid_config_prints_its_problems_and_exits_2(cli: CLI, tmp_path: Path) -> None:
    config = write(tmp_path / "callflow.yaml", "provider: twillio\nserve:\n  port: 0\n")
    result = cli("config", "show", "--config", config)
    assert result.code == 2
    assert result.out == ""
    assert result.err.splitlines() == [
        f"{config}:1:11: error: expected one of 'twilio', 'telnyx', 'plivo', 'mock' in provider, "
        "found 'twillio'; did you mean 'twilio'? [invalid-value]",
        f"{config}:3:9: error: expected a value at least 1 in serve.port, found the number 0 [invalid-value]",
        f"callflow config: error: config file {config} has 2 errors",
    ]


def test_environment_values_take_the_type_the_schema_wants_there(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PORT", "8080")
    monkeypatch.setenv("TRUST", "True")
    monkeypatch.setenv("REAPER", " 900 ")
    config = write(
        tmp_path / "callflow.yaml",
        """
        serve:
          port: ${PORT}
          path: /hook-${PORT}
        webhook_security:
          trust_forwarding_headers: "${TRUST}"
        stale_call_reaper_seconds: ${REAPER}
        """,
    )
    result = cli("config", "show", "--config", config, "--json")
    assert (result.code, result.err) == (0, "")
    data = result.json()
    assert data["serve"] == {"bind": "127.0.0.1", "port": 8080, "path": "/hook-8080"}
    assert data["webhook_security"]["trust_forwarding_headers"] is True
    assert data["stale_call_reaper_seconds"] == 900


@pytest.mark.parametrize(
    ("line", "expected"),
    [
        (
            "serve:\n  port: ${PORT}",
            "4:9: error: expected a whole number from environment variable PORT, found '80a' (in serve.port)",
        ),
        (
            "max_duration_seconds: ${PORT}${PORT}",
            "3:23: error: expected a whole number from environment variable PORT, found '80a80a' (in max_duration_seconds)",
        ),
        (
            "webhook_security:\n  trust_forwarding_headers: ${PORT}",
            "4:29: error: expected true or false from environment variable PORT, found '80a' "
            "(in webhook_security.trust_forwarding_headers)",
        ),
    ],
)
def test_an_environment_value_of_the_wrong_type_names_the_variable_and_the_type(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, line: str, expected: str
) -> None:
    monkeypatch.setenv("PORT", "80a")
    config = write(tmp_path / "callflow.yaml", f"# the port\nprovider: mock\n{line}\n")
    result = cli("config", "show", "--config", config)
    assert (result.code, result.out) == (2, "")
    assert result.err.splitlines() == [
        f"{config}:{expected} [env-type]",
        f"callflow config: error: config file {config} has 1 error",
    ]


def test_a_missing_config_file_is_a_usage_error(cli: CLI, tmp_path: Path) -> None:
    missing = tmp_path / "nope.yaml"
    result = cli("config", "show", "--config", missing)
    assert (result.code, result.out) == (2, "")
    assert result.err == f"callflow config: error: config file {missing}: no such file\n"


def test_config_needs_an_action(cli: CLI) -> None:
    result = cli("config")
    assert result.code == 2
    assert "the following arguments are required: ACTION" in result.err


def test_help_names_where_the_config_comes_from(cli: CLI) -> None:
    result = cli("config", "show", "--help")
    assert result.code == 0
    assert "CALLFLOW_CONFIG" in result.out
    assert "callflow.yaml" in result.out


SECRET_CONFIG = """
provider: twilio
twilio:
  account_sid: AC1
  auth_token: tok-SECRET-file
telnyx:
  api_key: ${TELNYX_API_KEY}
"""


@pytest.mark.parametrize("json_flag", [[], ["--json"]])
def test_show_never_prints_a_secret(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, json_flag: list[str]
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    config = write(tmp_path / "callflow.yaml", SECRET_CONFIG)
    result = cli("config", "show", "--config", config, *json_flag)
    assert result.code == 0
    for secret in [*SECRETS.values(), "tok-SECRET-file"]:
        assert secret not in result.out + result.err
    assert result.out.count("***") == 3


@pytest.mark.parametrize(
    "broken",
    [
        "twilio:\n  auth_token: 987654321\nserve: {port: 0}\n",
        "plivo: tok-SECRET-file\n",
        "twilio:\n  auth_token: tok-SECRET-file\nfrom_number: tok-SECRET-file\n",
        "telnyx:\n  api_key: ${TELNYX_API_KEY}\npublic_url: ${PLIVO_AUTH_TOKEN}\n",
        "from_number: ${TWILIO_AUTH_TOKEN}\n",
        "serve:\n  port: ${TWILIO_AUTH_TOKEN}\n",
    ],
)
def test_an_invalid_config_never_prints_a_secret(
    cli: CLI, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, broken: str
) -> None:
    for name, value in SECRETS.items():
        monkeypatch.setenv(name, value)
    config = write(tmp_path / "callflow.yaml", broken)
    result = cli("config", "show", "--config", config)
    assert result.code == 2
    assert "error:" in result.err
    for secret in [*SECRETS.values(), "tok-SECRET-file", "987654321"]:
        assert secret not in result.out + result.err
