"""Can a carrier on the internet reach a host? Answered from the host's text alone.

Host names are not resolved: the check must work offline, and what a name resolves to
here says little about what it resolves to at the carrier.
"""

from __future__ import annotations

import ipaddress
import socket
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network

from runner.addresses import unmapped

_PRIVATE: tuple[IPv4Network | IPv6Network, ...] = (
    IPv4Network("10.0.0.0/8"),
    IPv4Network("172.16.0.0/12"),
    IPv4Network("192.168.0.0/16"),
    IPv6Network("fc00::/7"),
)


def unreachable_reason(host: str) -> str | None:
    """Why ``host`` cannot be reached from the internet ("a loopback address (...)"),
    or None when it may be: a host name, or a public IP address."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return "a name for this machine"
    address = ip_literal(name)
    if address is None:
        return None
    plain = unmapped(address)
    if plain is not address:
        inner = _address_reason(plain)
        return None if inner is None else f"the IPv4-mapped form of {plain}, {inner}"
    return _address_reason(address)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine: localhost, or a loopback address."""
    name = host.rstrip(".").lower()
    if name == "localhost" or name.endswith(".localhost"):
        return True
    address = ip_literal(name)
    return address is not None and unmapped(address).is_loopback


def ip_literal(host: str) -> IPv4Address | IPv6Address | None:
    """The address ``host`` spells, or None for a host name."""
    try:
        return ipaddress.ip_address(host)
    except ValueError:
        pass
    # HTTP clients also take the old shorthands such as 127.1 or 0x7f000001 as IPv4.
    if host[:1].isdigit() and ":" not in host:
        try:
            return IPv4Address(socket.inet_aton(host))
        except OSError:
            return None
    return None


def _address_reason(address: IPv4Address | IPv6Address) -> str | None:
    if address.is_unspecified:
        return "the unspecified address (it names no host)"
    if address.is_loopback:
        return "a loopback address (this machine only)"
    if address.is_link_local:
        return "a link-local address (its own network segment only)"
    if any(address in network for network in _PRIVATE if network.version == address.version):
        return "a private address (its own network only)"
    if address.is_multicast or not address.is_global:
        return "a reserved address (not on the public internet)"
    return None
