"""``--mock-outcomes SPEC --seed N``: what the mock carrier's calls come to (serve, call, campaign)."""

from __future__ import annotations

import argparse

from runner.cli._base import UsageError
from runner.config import Config, ProviderName
from runner.providers.mock_outcomes import MockOutcomes, MockOutcomesError


def add_mock_outcome_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--mock-outcomes",
        metavar="SPEC",
        help="on the mock provider, each call's outcome drawn from these shares, e.g. "
        "answered=0.8,busy=0.1,no-answer=0.1,machine=0,failed=0 (default: every call answered)",
    )
    parser.add_argument(
        "--seed", type=int, metavar="N", help="seed of the --mock-outcomes draws (same seed, same outcomes)"
    )


def mock_outcomes_from(args: argparse.Namespace, config: Config) -> MockOutcomes | None:
    """The outcomes asked for, or None for the mock's default (every call answered).
    UsageError for a spec that cannot be read, or one given for a real carrier."""
    if args.mock_outcomes is None:
        if args.seed is not None:
            raise UsageError("--seed seeds the draws of --mock-outcomes; pass --mock-outcomes too")
        return None
    if config.provider is not ProviderName.MOCK:
        raise UsageError(f"--mock-outcomes is for the mock provider, and the config's is {config.provider}")
    try:
        return MockOutcomes.parse(args.mock_outcomes, args.seed)
    except MockOutcomesError as error:
        raise UsageError(str(error)) from None
