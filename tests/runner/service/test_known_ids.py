"""The Bloom filter of carrier call ids: never wrong about an id it holds, rarely about one it does not."""

from __future__ import annotations

from runner.service._known_ids import FALSE_MAYBE_RATE, MIN_CAPACITY, KnownIds


def test_an_id_added_or_in_the_store_is_always_maybe_known() -> None:
    known = KnownIds(lambda: ["CA-stored-1", "CA-stored-2"])
    known.add("CA-new")
    assert all(known.may_know(carrier_id) for carrier_id in ("CA-stored-1", "CA-stored-2", "CA-new"))


def test_new_ids_are_almost_always_certainly_new() -> None:
    known = KnownIds(list)
    for number in range(MIN_CAPACITY):
        known.add(f"CA{number:032x}")
    wrongly_maybe = sum(known.may_know(f"CX{number:032x}") for number in range(20_000))
    # At capacity the rate is 1 %: well under twice that, over 20,000 ids.
    assert wrongly_maybe < 20_000 * FALSE_MAYBE_RATE * 2


def test_past_its_capacity_it_is_built_again_from_every_id_known() -> None:
    everything: list[str] = []
    loads = 0

    def all_ids() -> list[str]:
        nonlocal loads
        loads += 1
        return list(everything)

    known = KnownIds(all_ids)
    for number in range(MIN_CAPACITY + 10):
        carrier_id = f"CA{number}"
        everything.append(carrier_id)
        known.add(carrier_id)
    assert loads == 2
    assert all(known.may_know(f"CA{number}") for number in range(MIN_CAPACITY + 10))
