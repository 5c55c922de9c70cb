from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest

from tests.conftest import CLI, EXAMPLES, ZIP_FLOW

REMINDER = EXAMPLES / "appointment-reminder.yaml"
ADA = ("--var", "name=Ada", "--var", "phone=+14155550100")


def test_the_contract_example_simulates_as_its_comment_says(cli: CLI) -> None:
    result = cli("simulate", REMINDER, *ADA, "--input", "1", "--json")
    assert result.code == 0, result.err
    summary = result.json()
    assert summary["flow"] == "appointment-reminder"
    assert summary["path"] == ["menu", "confirmed"]
    assert summary["said"] == [
        "Hi Ada, this is the clinic.",
        "Press 1 to confirm your appointment, or 2 to cancel it.",
        "See you then.",
    ]
    assert summary["digits_sent"] == []
    assert summary["end_reason"] == "hangup-bot"
    assert summary["error"] is None


def test_plain_output_is_a_readable_transcript(cli: CLI) -> None:
    result = cli("simulate", REMINDER, *ADA, "--input", "silence", "--input", "say:cancel please")
    lines = result.out.splitlines()
    assert lines[0].startswith("appointment-reminder: outbound call to +14155550100 (simulated, id sim-")
    assert lines[1:] == [
        "  bot    Hi Ada, this is the clinic.",
        "  bot    [menu] Press 1 to confirm your appointment, or 2 to cancel it.",
        "  bot    [menu] Press 1 to confirm your appointment, or 2 to cancel it.",
        "  caller [menu] cancel please",
        "  bot    [cancelled] Your appointment is cancelled.",
        # ... and the bot hangs up once that is said, 30 characters at 15 a second later.
        "ended: hangup-bot after 19.1 s; path: menu > cancelled",
    ]


def test_inputs_running_out_means_the_caller_hung_up(cli: CLI) -> None:
    summary = cli("simulate", REMINDER, *ADA, "--json").json()
    assert (summary["path"], summary["end_reason"]) == (["menu"], "hangup-user")


def test_a_retry_adds_no_entry_to_the_path(cli: CLI) -> None:
    summary = cli("simulate", REMINDER, *ADA, "--input", "9", "--input", "2", "--json").json()
    assert summary["path"] == ["menu", "cancelled"]
    assert summary["said"].count("Press 1 to confirm your appointment, or 2 to cancel it.") == 2


def test_dtmf_sequence_and_agent_replies(cli: CLI) -> None:
    result = cli(
        "simulate",
        EXAMPLES / "meeting-dial-in.yaml",
        "--var", "bridge=+14155550100",
        "--var", "pin=77",
        "--input", "say:Are you there?",
        "--agent-reply", "I am here.",
        "--json",
    )  # fmt: skip
    summary = result.json()
    assert summary["digits_sent"] == ["ww77#"]
    assert summary["said"] == ["Hello, this is the assistant joining the meeting.", "I am here."]


def test_a_missing_required_input_is_a_usage_error_naming_it(cli: CLI) -> None:
    result = cli("simulate", REMINDER, "--var", "name=Ada")
    assert result.code == 2
    assert result.err == (
        "callflow simulate: error: flow 'appointment-reminder' needs input phone: give --var phone=...\n"
    )


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (
            ("--input", "press one"),
            "expected keys (0-9 * #), say:TEXT, silence, wait:N or hangup as an input, found 'press one'",
        ),
        (("--input", "say:"), "'say:' needs the words the caller says, as in say:confirm"),
        (("--var", "phone"), "--var takes NAME=VALUE, found 'phone'"),
        (("--var", "phone=12"), "input 'phone': expected an E.164 phone number"),
    ],
)
def test_bad_arguments_say_what_is_wrong(cli: CLI, argv: tuple[str, ...], message: str) -> None:
    result = cli("simulate", REMINDER, "--var", "name=Ada", "--var", "phone=+14155550100", *argv)
    assert result.code == 2
    assert message in result.err
    assert "Traceback" not in result.err


def test_a_flow_that_does_not_lint_is_not_run(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow("version: 1\nname: broken\ngreeting: '{{ nme }}'\n")
    result = cli("simulate", flow)
    assert result.code == 2
    assert f"{flow}:3:15: error: 'nme' is not defined" in result.err
    assert result.err.endswith(
        f"callflow simulate: error: {flow} has 1 lint error; run 'callflow lint {flow}'\n"
    )


def test_a_run_time_failure_is_exit_1_with_the_reason(cli: CLI, write_flow: Callable[[str], Path]) -> None:
    flow = write_flow(
        """
        version: 1
        name: split
        inputs:
          people: {type: integer}
        greeting: "Each of you gets {{ 12 // people }} slices."
        """
    )
    result = cli("simulate", flow, "--var", "people=0", "--json")
    assert result.code == 1
    summary = result.json()
    assert summary["end_reason"] == "error"
    assert summary["error"] == "template error in greeting: integer division or modulo by zero"


def test_a_to_that_renders_to_no_number_is_refused_before_dialing(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(
        """
        version: 1
        name: dial
        inputs:
          who: {type: string}
        to: "{{ who }}"
        greeting: Hi.
        """
    )
    result = cli("simulate", flow, "--var", "who=bob")
    assert result.code == 2
    assert "'to' is 'bob': expected an E.164 phone number" in result.err


def test_an_inbound_flow_is_simulated_as_an_inbound_call(cli: CLI) -> None:
    result = cli("simulate", EXAMPLES / "inbound-hotline.yaml", "--input", "2")
    assert result.code == 0
    assert result.out.startswith("inbound-hotline: inbound call from +14155550123 (simulated, id sim-")


def test_a_simulated_call_is_recorded_in_the_data_folder(cli: CLI, data_dir: Path) -> None:
    call_id = cli("simulate", REMINDER, *ADA, "--input", "1", "--json").json()["call_id"]
    status = cli("status", "--call-id", call_id)
    assert status.code == 0
    assert "path:        menu > confirmed" in status.out
    assert "end reason:  hangup-bot" in status.out
    assert (data_dir / "calls.sqlite3").is_file()
    tail = cli("tail", "-n", "1")
    assert call_id in tail.out
    assert tail.out.rstrip().endswith("hangup-bot  menu > confirmed")


def test_latency_figures_come_from_simulated_turns(cli: CLI) -> None:
    cli("simulate", REMINDER, *ADA, "--input", "silence", "--input", "1")
    figures = cli("latency", "--include-simulated", "--json").json()
    # The silent turn is left out; the answered one: the prompt (55 characters at 15 a
    # second) and one second of the caller's reaction.
    assert figures["calls"] == 1
    assert figures["turn_latency"]["count"] == 1
    assert figures["listen_wait"]["p50"] == 1.0
    assert figures["turn_latency"]["p50"] == pytest.approx(1.0 + 55 / 15, abs=1e-6)


@pytest.mark.parametrize(
    ("gather", "keys", "heard"),
    [
        ("{}", "94107#", "You entered 94107."),
        ('{finish_on_key: "*"}', "42*", "You entered 42."),
        ('{finish_on_key: "*"}', "42#", "You entered 42#."),
        ('{finish_on_key: ""}', "42#", "You entered 42#."),
    ],
)
def test_the_finishing_key_is_not_part_of_the_digits(
    cli: CLI, write_flow: Callable[[str], Path], gather: str, keys: str, heard: str
) -> None:
    flow = write_flow(ZIP_FLOW.format(gather=gather))
    result = cli("simulate", flow, "--input", keys, "--json")
    assert result.code == 0, result.err
    assert result.json()["said"] == ["Key in your zip code.", heard]


def test_max_duration_ends_the_call_at_its_limit_while_the_caller_waits(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    flow = write_flow(
        """
        version: 1
        name: short
        mode: conversation
        to: "+14155550100"
        max_duration: 10
        steps:
          ask:
            say: Press 1.
            gather: {timeout: 5, retries: 5}
            on:
              "1": done
          done:
            say: Done.
        """
    )
    # Silent for 30 s: the gather times out (t = 2 + 0.5 + 5) and re-prompts, and the
    # call ends 10 s after it was answered (it rang for 2 s), before the caller presses 1.
    result = cli("simulate", flow, "--input", "wait:30", "--input", "1")
    assert result.code == 0, result.err
    assert result.out.splitlines()[1:] == [
        "  bot    [ask] Press 1.",
        "  bot    [ask] Press 1.",
        "ended: timeout after 12.0 s; path: ask",
    ]


def test_a_notify_call_lasts_as_long_as_its_greeting_takes_to_say(
    cli: CLI, write_flow: Callable[[str], Path]
) -> None:
    greeting = ("Power is back. " * 20).strip()
    flow = write_flow(f"version: 1\nname: notice\nmode: notify\nto: '+14155550100'\ngreeting: {greeting}\n")
    result = cli("simulate", flow)
    assert (result.code, result.err) == (0, "")
    # Two seconds of ringing, then 299 characters at 15 a second before the hang-up.
    assert result.out.splitlines()[1:] == [
        f"  bot    {greeting}",
        "ended: completed after 21.9 s; path: no steps",
    ]


def test_a_wait_shorter_than_the_gather_is_a_pause_before_the_next_input(
    cli: CLI, write_flow: Callable[[str], Path], data_dir: Path
) -> None:
    flow = write_flow(ZIP_FLOW.format(gather="{timeout: 20}"))
    summary = cli("simulate", flow, "--input", "wait:3", "--input", "123#", "--json").json()
    assert summary["said"] == ["Key in your zip code.", "You entered 123."]
    status = cli("status", "--call-id", summary["call_id"], "--json").json()
    # Answered at 2 s, the prompt takes 21 / 15 s, then 3 s of waiting: no reaction time on top.
    (turn,) = status["turns"]
    assert turn["input_at"] - status["answered_at"] == pytest.approx(21 / 15 + 3)


def test_agent_replies_are_read_as_the_server_reads_a_model_reply(cli: CLI) -> None:
    result = cli(
        "simulate",
        EXAMPLES / "meeting-dial-in.yaml",
        "--var", "bridge=+14155550100",
        "--var", "pin=77",
        "--input", "say:Are you there?",
        "--input", "say:What is first?",
        "--input", "say:And then?",
        "--agent-reply", '{"spoken": "Hi"}',
        # A small model that wraps its JSON in prose and a fence.
        "--agent-reply", 'Sure! Here is my answer:\n```json\n{"spoken": "The budget first."}\n```',
        "--agent-reply", "Then   hiring,\nas planned.",
        "--json",
    )  # fmt: skip
    assert result.code == 0, result.err
    assert result.json()["said"] == [
        "Hello, this is the assistant joining the meeting.",
        "Hi",
        "The budget first.",
        "Then hiring, as planned.",
    ]
