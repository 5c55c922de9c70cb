"""IP addresses as the checks compare them: an IPv4-mapped IPv6 address is its IPv4 one.

A dual-stack socket reports an IPv4 client as ``::ffff:127.0.0.1``; an allowlist of
``127.0.0.1`` and a loopback test must see the same address.
"""

from __future__ import annotations

import ipaddress
from ipaddress import IPv4Address, IPv6Address


def unmapped(address: IPv4Address | IPv6Address) -> IPv4Address | IPv6Address:
    """The IPv4 address an IPv4-mapped IPv6 address carries; any other address as is."""
    if isinstance(address, IPv6Address) and address.ipv4_mapped is not None:
        return address.ipv4_mapped
    return address


def parse_address(text: str) -> IPv4Address | IPv6Address | None:
    """The address ``text`` spells in standard notation, unmapped; None when it spells none."""
    try:
        return unmapped(ipaddress.ip_address(text))
    except ValueError:
        return None
