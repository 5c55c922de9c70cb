"""``callflow expose`` and ``serve --expose`` with stand-ins for the tunnel tools on PATH:
small scripts that print their address the way each real tool does, then wait."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import httpx
import pytest
from twilio.request_validator import RequestValidator

from runner.tunnels import TunnelError, open_tunnel
from tests.conftest import CLI, PROJECT
from tests.runner.cli.serve_process import AUTH_TOKEN, ServeProcess, twilio_config

CLOUDFLARED = """\
2026-12-01T10:00:00Z INF Thank you for trying Cloudflare Tunnel. Read more at https://developers.cloudflare.com/
2026-12-01T10:00:00Z INF Requesting new quick Tunnel on trycloudflare.com...
2026-12-01T10:00:01Z INF +--------------------------------------------------------------------------------------------+
2026-12-01T10:00:01Z INF |  Your quick Tunnel has been created! Visit it at (it may take some time to be reachable):  |
2026-12-01T10:00:01Z INF |  https://quiet-river-lamp-owl.trycloudflare.com                                            |
2026-12-01T10:00:01Z INF +--------------------------------------------------------------------------------------------+
"""
NGROK = """\
{"addr":"","lvl":"info","msg":"starting web service","obj":"web","t":"2026-12-01T10:00:00Z"}
{"lvl":"info","msg":"client session established","obj":"tunnels.session","t":"2026-12-01T10:00:01Z"}
{"addr":"http://localhost:3334","lvl":"info","msg":"started tunnel","name":"command_line","obj":"tunnels","t":"2026-12-01T10:00:01Z","url":"https://7f3a-203-0-113-9.ngrok-free.app"}
"""
TAILSCALE = """\
Available on the internet:

https://laptop.tail1234.ts.net/
|-- proxy http://127.0.0.1:3334

Press Ctrl+C to exit.
"""


def stand_in(folder: Path, name: str, output: str, stream: str = "stdout", then: str = "sleep") -> Path:
    """An executable ``name`` in ``folder`` that records its pid and arguments, prints
    ``output`` on ``stream``, then sleeps (or exits 1)."""
    folder.mkdir(exist_ok=True)
    script = folder / name
    finish = "time.sleep(600)" if then == "sleep" else "sys.exit(1)"
    script.write_text(
        f"#!{sys.executable}\n"
        + textwrap.dedent(
            f"""
            import os, sys, time
            with open({str(folder / (name + ".pid"))!r}, "w") as record:
                record.write(f"{{os.getpid()}}\\n" + " ".join(sys.argv[1:]))
            sys.{stream}.write({output!r})
            sys.{stream}.flush()
            {finish}
            """
        ),
        encoding="utf-8",
    )
    script.chmod(0o755)
    return script


def recorded(folder: Path, name: str) -> tuple[int, str]:
    """The stand-in's pid and the arguments it was started with."""
    pid, arguments = (folder / f"{name}.pid").read_text(encoding="utf-8").split("\n", 1)
    return int(pid), arguments


def is_running(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    return True


def expose(bin_dir: Path, *arguments: str) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-c", "from runner.cli import run; run()", "expose", *arguments],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        cwd=bin_dir.parent,
        env={**os.environ, "PATH": str(bin_dir), "PYTHONPATH": str(PROJECT)},
    )


def interrupt(process: subprocess.Popen[str]) -> tuple[str, str]:
    """Ctrl-C, as a user stops it: the tunnel tool goes with it (SIGKILL would leave it)."""
    process.send_signal(signal.SIGINT)
    return process.communicate(timeout=10)


def read_until_open(process: subprocess.Popen[str]) -> list[str]:
    """The lines ``callflow expose`` prints until it says the tunnel is open."""
    assert process.stdout is not None
    lines = []
    for line in process.stdout:
        lines.append(line.rstrip("\n"))
        if "Ctrl-C closes it" in line:
            return lines
    raise AssertionError(f"expose stopped: {lines} {process.stderr.read() if process.stderr else ''}")


@pytest.mark.parametrize(
    ("tool", "output", "stream", "address", "arguments"),
    [
        (
            "cloudflared",
            CLOUDFLARED,
            "stderr",
            "https://quiet-river-lamp-owl.trycloudflare.com",
            "tunnel --url http://127.0.0.1:4567",
        ),
        (
            "ngrok",
            NGROK,
            "stdout",
            "https://7f3a-203-0-113-9.ngrok-free.app",
            "http 4567 --log stdout --log-format json",
        ),
        ("tailscale", TAILSCALE, "stdout", "https://laptop.tail1234.ts.net", "funnel 4567"),
    ],
)
def test_each_tool_address_is_printed_and_ctrl_c_closes_the_tunnel(
    tmp_path: Path, tool: str, output: str, stream: str, address: str, arguments: str
) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, tool, output, stream)
    process = expose(bin_dir, "--port", "4567")
    try:
        lines = read_until_open(process)
        pid, started_with = recorded(bin_dir, tool)
        assert started_with == arguments
        assert is_running(pid)
        _, err = interrupt(process)
    finally:
        process.kill()
    assert lines == [
        f"public address: {address} ({tool}, to 127.0.0.1:4567)",
        f"webhook URL for the carrier's console: {address}/voice/webhook",
        "for the config:",
        f"public_url: {address}",
        "the tunnel is open; Ctrl-C closes it",
    ]
    assert (process.returncode, err) == (130, "callflow: interrupted\n")
    assert not is_running(pid)


def test_the_first_tool_on_path_is_used_and_with_picks_another(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "cloudflared", CLOUDFLARED, "stderr")
    stand_in(bin_dir, "tailscale", TAILSCALE)
    first = expose(bin_dir)
    picked = expose(bin_dir, "--with", "tailscale")
    try:
        assert read_until_open(first)[0].startswith(
            "public address: https://quiet-river-lamp-owl.trycloudflare.com"
        )
        assert (
            read_until_open(picked)[0]
            == "public address: https://laptop.tail1234.ts.net (tailscale, to 127.0.0.1:3334)"
        )
    finally:
        interrupt(first)
        interrupt(picked)


def test_the_config_gives_the_port_and_the_webhook_path(tmp_path: Path) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "ngrok", NGROK)
    config = tmp_path / "callflow.yaml"
    config.write_text("serve: {port: 4000, path: /hooks/voice}\n", encoding="utf-8")
    process = expose(bin_dir, "--config", str(config))
    try:
        lines = read_until_open(process)
    finally:
        interrupt(process)
    assert lines[:2] == [
        "public address: https://7f3a-203-0-113-9.ngrok-free.app (ngrok, to 127.0.0.1:4000)",
        "webhook URL for the carrier's console: https://7f3a-203-0-113-9.ngrok-free.app/hooks/voice",
    ]
    assert recorded(bin_dir, "ngrok")[1] == "http 4000 --log stdout --log-format json"


def test_no_tool_installed_says_which_to_install(
    tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    (tmp_path / "empty").mkdir()
    monkeypatch.setenv("PATH", str(tmp_path / "empty"))
    result = cli("expose")
    assert result.code == 2
    assert result.err == (
        "callflow expose: error: no tunnel tool is on PATH; install one of: "
        "cloudflared (https://developers.cloudflare.com/cloudflare-one/connections/connect-networks/downloads/); "
        "ngrok (https://ngrok.com/download); tailscale (https://tailscale.com/download)\n"
    )
    assert result.out == ""


def test_with_a_tool_not_installed_names_it(
    tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "cloudflared", CLOUDFLARED, "stderr")
    monkeypatch.setenv("PATH", str(bin_dir))
    result = cli("expose", "--with", "ngrok")
    assert (result.code, result.err) == (
        2,
        "callflow expose: error: ngrok is not on PATH; install it: ngrok (https://ngrok.com/download)\n",
    )


def test_a_tool_that_exits_without_an_address_is_a_clear_error(
    tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "tailscale", "Funnel is not enabled on your tailnet.\n", then="exit")
    monkeypatch.setenv("PATH", str(bin_dir))
    result = cli("expose")
    assert (result.code, result.out) == (1, "")
    assert result.err == (
        "callflow expose: error: tailscale exited before printing its public address: "
        "Funnel is not enabled on your tailnet.\n"
    )


def test_a_tool_that_exits_after_its_address_closes_the_tunnel_with_an_error(
    tmp_path: Path, cli: CLI, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "cloudflared", CLOUDFLARED, "stderr", then="exit")
    monkeypatch.setenv("PATH", str(bin_dir))
    result = cli("expose")
    assert result.code == 1
    assert result.out.endswith("the tunnel is open; Ctrl-C closes it\n")
    assert result.err == "callflow expose: error: cloudflared exited (status 1): the tunnel is closed\n"


def test_a_tool_silent_past_the_timeout_is_stopped_with_a_clear_error(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # Through the module: the command's 30 s are too long for a test.
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "ngrok", '{"lvl":"info","msg":"starting web service"}\n')
    monkeypatch.setenv("PATH", str(bin_dir))
    with pytest.raises(TunnelError) as raised, open_tunnel(4567, timeout=2):
        pass
    assert str(raised.value) == "ngrok printed no public address within 2 s"
    assert not is_running(recorded(bin_dir, "ngrok")[0])


def test_serve_expose_uses_the_tunnel_address_as_public_url(
    tmp_path: Path, port: int, monkeypatch: pytest.MonkeyPatch
) -> None:
    bin_dir = tmp_path / "bin"
    stand_in(bin_dir, "cloudflared", CLOUDFLARED, "stderr")
    monkeypatch.setenv("PATH", f"{bin_dir}{os.pathsep}{os.environ['PATH']}")
    # The config's public_url is on loopback: without --expose, serve refuses it.
    server = ServeProcess(twilio_config(tmp_path, port), port, "--expose").start()
    try:
        pid, started_with = recorded(bin_dir, "cloudflared")
        assert started_with == f"tunnel --url http://127.0.0.1:{port}"
        form = {
            "CallSid": "CA-tunnel-1",
            "From": "+14155550111",
            "To": "+14155550199",
            "CallStatus": "ringing",
            "Direction": "inbound",
        }
        validator = RequestValidator(AUTH_TOKEN)
        public = "https://quiet-river-lamp-owl.trycloudflare.com/voice/webhook"
        signed_public = httpx.post(
            f"{server.base}/voice/webhook",
            data=form,
            headers={"X-Twilio-Signature": validator.compute_signature(public, form)},
            timeout=10,
        )
        signed_local = httpx.post(
            f"{server.base}/voice/webhook",
            data=form,
            headers={"X-Twilio-Signature": validator.compute_signature(f"{server.base}/voice/webhook", form)},
            timeout=10,
        )
    finally:
        status = server.stop()
    assert signed_public.status_code == 200, signed_public.text
    assert "<Say>You have reached the outage hotline.</Say>" in signed_public.text
    assert (signed_local.status_code, signed_local.text) == (401, "the signature does not match")
    assert status == 0
    output = server.output.read_text(encoding="utf-8")
    assert f"webhook URL for the carrier's console: {public}\n" in output
    deadline = time.monotonic() + 5
    while is_running(pid) and time.monotonic() < deadline:
        time.sleep(0.05)
    assert not is_running(pid)


def test_serve_with_without_expose_is_a_usage_error(tmp_path: Path, cli: CLI, port: int) -> None:
    result = cli("serve", "--config", twilio_config(tmp_path, port), "--with", "ngrok")
    assert (result.code, result.err) == (
        2,
        "callflow serve: error: --with names the tunnel tool of --expose; pass --expose too\n",
    )
