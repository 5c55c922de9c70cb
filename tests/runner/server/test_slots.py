from __future__ import annotations

from runner.server._slots import AddressSlots


def test_each_address_gets_its_own_slots_and_gives_them_back() -> None:
    slots = AddressSlots(2)
    assert [slots.enter("a"), slots.enter("a")] == [True, True]
    assert not slots.enter("a")
    assert slots.enter("b")
    slots.leave("a")
    assert slots.enter("a")


def test_the_table_of_addresses_is_bounded() -> None:
    slots = AddressSlots(8, addresses=2)
    assert [slots.enter("a"), slots.enter("b")] == [True, True]
    assert not slots.enter("c")
    assert slots.enter("a")  # a known address still gets its slots
    slots.leave("b")
    assert slots.enter("c")


def test_the_total_is_bounded_across_addresses() -> None:
    slots = AddressSlots(8, total=3)
    assert [slots.enter(address) for address in "abc"] == [True, True, True]
    assert not slots.enter("d")
    slots.leave("a")
    slots.leave("a")  # giving back what was not taken changes nothing
    assert slots.enter("d")
    assert not slots.enter("e")
