"""The mock carrier, calling a real server on 127.0.0.1 as a carrier would."""

from __future__ import annotations

from pathlib import Path

import pytest

from runner.providers.mock_outcomes import MockOutcomes, MockOutcomesError, Outcome
from tests.conftest import ZIP_FLOW
from tests.runner.server.harness import running_server


@pytest.mark.parametrize(
    ("gather", "keys", "heard"),
    [("{}", "94107#", "94107"), ('{finish_on_key: "*"}', "42*", "42"), ('{finish_on_key: ""}', "42#", "42#")],
)
def test_the_mock_carrier_sends_the_digits_without_the_finishing_key(
    data_dir: Path, tmp_path: Path, gather: str, keys: str, heard: str
) -> None:
    flow = tmp_path / "zip.yaml"
    flow.write_text(ZIP_FLOW.format(gather=gather), encoding="utf-8")
    with running_server(data_dir, flows=[flow]) as server:
        started = server.api("POST", "/api/calls", {"flow": "zip", "inputs": [keys]})
        assert started.status_code == 201, started.text
        record = server.api("POST", f"/api/calls/{started.json()['id']}/wait", {"timeout": 20}).json()
        assert record["said"] == ["Key in your zip code.", f"You entered {heard}."]
        assert [entry["text"] for entry in record["transcript"] if entry["speaker"] == "caller"] == [heard]


SPEC = "answered=0.5,busy=0.2,no-answer=0.1,machine=0.1,failed=0.1"


def test_the_same_seed_draws_the_same_outcomes_in_the_same_order() -> None:
    first = MockOutcomes.parse(SPEC, seed=11)
    second = MockOutcomes.parse(SPEC, seed=11)

    drawn = [first.draw() for _ in range(200)]

    assert drawn == [second.draw() for _ in range(200)]
    assert set(drawn) == set(Outcome)


def test_an_outcome_with_no_share_is_never_drawn() -> None:
    outcomes = MockOutcomes.parse("answered=0.5, busy=0.5, machine=0", seed=1)

    assert {outcomes.draw() for _ in range(100)} == {Outcome.ANSWERED, Outcome.BUSY}


def test_shares_may_miss_1_by_rounding_only() -> None:
    assert MockOutcomes.parse("answered=0.3333,busy=0.3333,failed=0.3333").shares[Outcome.FAILED] == 0.3333
    with pytest.raises(MockOutcomesError, match=r"the shares add up to 0\.998, not 1"):
        MockOutcomes.parse("answered=0.333,busy=0.333,failed=0.332")
