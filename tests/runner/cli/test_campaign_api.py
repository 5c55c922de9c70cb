"""The control API's campaigns on a real ``callflow serve`` on the mock carrier: launch,
watch, stop and resume, cancel, report, metrics, and every refusal with its words; and
``callflow campaign run`` handing its campaign to that running server."""

from __future__ import annotations

import time
from collections import Counter
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx
import pytest

from runner.server import read_control_token
from runner.store import open_store
from tests.conftest import CLI, EXAMPLES
from tests.runner.cli.listening_call import mock_config
from tests.runner.cli.serve_process import ServeProcess

OUTAGE = EXAMPLES / "outage-notice.yaml"
NUMBERS = [f"+1415555010{index}" for index in range(5)]


@pytest.fixture
def data_dir(tmp_path: Path) -> Path:
    return tmp_path / "data"


@pytest.fixture
def config(tmp_path: Path, data_dir: Path, port: int) -> Path:
    return mock_config(tmp_path / "config", data_dir, port, [OUTAGE])


@pytest.fixture
def server(config: Path, port: int) -> Iterator[ServeProcess]:
    process = ServeProcess(config, port).start()
    yield process
    process.stop()


@pytest.fixture
def api(server: ServeProcess, data_dir: Path) -> Iterator[httpx.Client]:
    token = read_control_token(data_dir)
    with httpx.Client(
        base_url=server.base, headers={"Authorization": f"Bearer {token}"}, timeout=30
    ) as client:
        yield client


@pytest.fixture
def street(tmp_path: Path) -> Path:
    path = tmp_path / "street.csv"
    path.write_text("name,phone\n" + "".join(f"R{i},{n}\n" for i, n in enumerate(NUMBERS)), encoding="utf-8")
    return path


def launch(api: httpx.Client, recipients: Path, **options: Any) -> httpx.Response:
    return api.post(
        "/api/campaigns", json={"flow": "outage-notice", "recipients": str(recipients), **options}
    )


def until_not_dialing(api: httpx.Client, name: str) -> dict[str, Any]:
    deadline = time.monotonic() + 30
    while True:
        view = api.get(f"/api/campaigns/{name}").json()
        if not view["dialing"]:
            return dict(view)
        assert time.monotonic() < deadline, view
        time.sleep(0.05)


def dialled(data_dir: Path) -> Counter[str]:
    with open_store(data_dir) as store:
        return Counter(record.to_number for record in store.all())


def test_a_campaign_launched_over_the_api_calls_everyone_once_and_reports(
    api: httpx.Client, street: Path, data_dir: Path
) -> None:
    launched = launch(api, street, cps=None, concurrency=5)
    assert launched.status_code == 201, launched.text
    assert launched.json()["launched"] == "created"
    assert launched.json()["name"] == "street"
    view = until_not_dialing(api, "street")
    assert (view["state"], view["by_status"], view["by_outcome"]) == ("done", {"done": 5}, {"completed": 5})
    assert view["run"] == {"calls_placed": 5, "retries": 0, "unsettled": 0, "cancelled": False}
    assert dialled(data_dir) == Counter(NUMBERS)

    report = api.get("/api/campaigns/street/report")
    assert report.headers["content-type"] == "text/csv; charset=utf-8"
    lines = report.text.splitlines()
    assert lines[0] == "name,phone,eta,outcome,attempts,call_ids,duration,answered_by,status"
    assert [line.split(",")[:5] for line in lines[1:]] == [
        [f"R{index}", number, "6 pm", "completed", "1"] for index, number in enumerate(NUMBERS)
    ]

    metrics = api.get("/metrics").text
    assert 'callflow_campaign_calls_placed_total{campaign="street"} 5.0' in metrics
    assert 'callflow_campaign_outcomes_total{campaign="street",outcome="completed"} 5.0' in metrics
    assert "callflow_campaigns_dialing 0.0" in metrics

    listed = api.get("/api/campaigns").json()["campaigns"]
    assert [(item["name"], item["state"], item["dialing"]) for item in listed] == [("street", "done", False)]
    again = launch(api, street)
    assert (again.status_code, again.json()["launched"]) == (200, "done")
    assert dialled(data_dir) == Counter(NUMBERS)


def test_stop_leaves_the_campaign_resumable_and_a_relaunch_calls_the_rest_once(
    api: httpx.Client, street: Path, data_dir: Path
) -> None:
    assert launch(api, street, cps=1, concurrency=1).status_code == 201
    dialing = api.get("/metrics").text
    assert "callflow_campaigns_dialing 1.0" in dialing
    assert 'callflow_campaign_recipients{campaign="street",status="pending"}' in dialing
    stopped = api.post("/api/campaigns/street/stop")
    assert stopped.json()["stopped"] is True
    view = until_not_dialing(api, "street")
    assert view["state"] == "running"
    assert view["run"]["cancelled"] is True
    placed_before = sum(dialled(data_dir).values())
    assert placed_before < len(NUMBERS)
    # No longer dialled here: it leaves the gauge rather than stay at its last counts.
    assert "callflow_campaign_recipients{" not in api.get("/metrics").text

    resumed = launch(api, street, cps=None, concurrency=5)
    assert (resumed.status_code, resumed.json()["launched"]) == (200, "resumed")
    view = until_not_dialing(api, "street")
    assert (view["state"], view["by_outcome"]) == ("done", {"completed": 5})
    assert dialled(data_dir) == Counter(NUMBERS)
    assert api.post("/api/campaigns/street/stop").json()["stopped"] is False


def test_cancel_is_final(api: httpx.Client, street: Path, data_dir: Path) -> None:
    assert launch(api, street, cps=1, concurrency=1).status_code == 201
    cancelled = api.post("/api/campaigns/street/cancel")
    assert (cancelled.status_code, cancelled.json()["state"]) == (200, "cancelled")
    view = until_not_dialing(api, "street")
    assert view["state"] == "cancelled"
    assert sum(dialled(data_dir).values()) < len(NUMBERS)
    again = launch(api, street)
    assert again.status_code == 409
    assert again.json() == {
        "error": "campaign street was cancelled: it is not dialled again",
        "reason": "cancelled",
    }


def test_a_launch_while_dialing_and_a_changed_file_are_conflicts(api: httpx.Client, street: Path) -> None:
    assert launch(api, street, cps=1, concurrency=1).status_code == 201
    twice = launch(api, street)
    assert (twice.status_code, twice.json()["reason"]) == (409, "dialing")
    assert twice.json()["error"] == "campaign street is being dialled by this server already"
    api.post("/api/campaigns/street/stop")
    until_not_dialing(api, "street")
    street.write_text(street.read_text(encoding="utf-8") + "R9,+14155550109\n", encoding="utf-8")
    changed = launch(api, street)
    assert (changed.status_code, changed.json()["reason"]) == (409, "file-changed")
    assert changed.json()["error"].startswith(
        f"recipients file changed since campaign street started: {street}"
    )


def test_invalid_rows_are_listed_with_their_lines_and_nothing_is_created(
    api: httpx.Client, tmp_path: Path
) -> None:
    bad = tmp_path / "bad.csv"
    bad.write_text("name,phone\nR0,+14155550100\nR1,not a number\nR2,+14155550100\n", encoding="utf-8")
    answer = launch(api, bad)
    assert answer.status_code == 422
    body = answer.json()
    assert body["error"] == f"{bad}: 2 invalid rows: no call is placed"
    assert body["invalid_rows"] == 2
    assert [(p["line"], p["column"], p["severity"]) for p in body["problems"]] == [
        (3, "phone", "error"),
        (4, "phone", "error"),
    ]
    assert api.get("/api/campaigns").json() == {"campaigns": []}
    skipped = launch(api, bad, skip_invalid=True, cps=None)
    assert skipped.status_code == 201
    view = until_not_dialing(api, "bad")
    assert (view["by_status"], view["by_outcome"]) == (
        {"done": 1, "invalid": 2},
        {"completed": 1, "invalid": 2},
    )


@pytest.mark.parametrize(
    ("body", "status", "error"),
    [
        ({"flow": "nope", "recipients": "/x.csv"}, 404, "no flow named 'nope' is loaded (loaded: "),
        (
            {"flow": "outage-notice", "recipients": "/x.csv", "max_attemps": 2},
            400,
            "unknown field 'max_attemps' (a launch takes flow, recipients, name,",
        ),
        (
            {"flow": "outage-notice", "recipients": "/x.csv", "retry_delay": -1},
            400,
            "'retry_delay' must",
        ),
        (
            {"flow": "outage-notice", "recipients": "/x.csv", "window": "9-5"},
            400,
            "'window': a calling window is HH:MM-HH:MM, as 09:00-20:00, not '9-5'",
        ),
        (
            {"flow": "outage-notice", "recipients": "street.csv"},
            400,
            "'recipients' must be an absolute path on the server's machine, not 'street.csv'",
        ),
        (
            {"flow": "outage-notice", "recipients": "/no/such/file.csv"},
            400,
            "cannot read /no/such/file.csv: No such file or directory",
        ),
        ({"flow": "outage-notice", "recipients": "/x.csv", "cps": 0}, 400, "'cps' must be a whole number"),
        ({"flow": "outage-notice", "recipients": "/x.csv", "max_attempts": None}, 400, "'max_attempts' must"),
        ({"flow": "outage-notice", "recipients": "/x.csv", "region": "ZZ"}, 400, "'region': "),
        (
            {"flow": "outage-notice", "recipients": "/x.csv", "skip_invalid": "yes"},
            400,
            "'skip_invalid' must",
        ),
        ({"flow": "outage-notice", "recipients": "/x.csv", "name": "../x"}, 400, "a campaign's name takes"),
        ({"recipients": "/x.csv"}, 400, "'flow' must be non-empty text"),
    ],
)
def test_a_bad_launch_says_what_is_wrong(
    api: httpx.Client, body: dict[str, Any], status: int, error: str
) -> None:
    answer = api.post("/api/campaigns", json=body)
    assert answer.status_code == status, answer.text
    assert answer.json()["error"].startswith(error), answer.json()


def test_unknown_campaigns_and_a_missing_token_are_refused(api: httpx.Client, server: ServeProcess) -> None:
    for method, path in [("GET", ""), ("POST", "/stop"), ("POST", "/cancel"), ("GET", "/report")]:
        answer = api.request(method, f"/api/campaigns/avenue{path}")
        assert (answer.status_code, answer.json()) == (
            404,
            {"error": "no campaign named 'avenue' (known: none yet)"},
        )
    anonymous = httpx.get(f"{server.base}/api/campaigns")
    assert anonymous.status_code == 401


def test_campaign_run_hands_its_campaign_to_the_running_server(
    cli: CLI, api: httpx.Client, config: Path, street: Path, data_dir: Path
) -> None:
    result = cli("campaign", "run", OUTAGE, street, "--config", config, "--cps", "1000", "--json")
    assert (result.code, result.err) == (0, "")
    assert result.json()["state"] == "done"
    assert result.json()["counts"] == {"completed": 5}
    # The running server dialled it: its metrics counted the calls.
    assert 'callflow_campaign_calls_placed_total{campaign="street"} 5.0' in api.get("/metrics").text
    assert dialled(data_dir) == Counter(NUMBERS)
    refused = cli(
        "campaign", "run", OUTAGE, street, "--config", config, "--name", "b", "--mock-outcomes", "busy=1"
    )
    assert refused.code == 2
    assert "one is running already: give it to 'callflow serve'" in refused.err


def test_an_endless_retry_delay_is_refused(api: httpx.Client, street: Path) -> None:
    # Python's JSON reads Infinity; a retry after it would never come due.
    body = f'{{"flow": "outage-notice", "recipients": "{street}", "retry_delay": Infinity}}'
    answer = api.post("/api/campaigns", content=body, headers={"content-type": "application/json"})
    assert (answer.status_code, answer.json()) == (400, {"error": "'retry_delay' must be seconds, 0 or more"})


def test_a_rows_timezone_is_kept_for_its_calling_window(
    api: httpx.Client, tmp_path: Path, data_dir: Path
) -> None:
    zoned = tmp_path / "zoned.csv"
    zoned.write_text("name,phone,timezone\nR0,+14155550100,Asia/Tokyo\nR1,+14155550101,\n", encoding="utf-8")
    launched = launch(api, zoned, cps=None, window="09:00-17:00")
    assert launched.status_code == 201
    assert launched.json()["options"]["window"] == "09:00-17:00"
    with open_store(data_dir) as store:
        assert [(r.line, r.time_zone) for r in store.recipients("zoned")] == [(2, "Asia/Tokyo"), (3, None)]
    api.post("/api/campaigns/zoned/stop")
    until_not_dialing(api, "zoned")
