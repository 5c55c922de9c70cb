"""The URL the carrier called: what webhook signatures are computed over.

With ``public_url`` configured, its scheme, host and path are used with the request's
query. Without it the URL is rebuilt from the request, and forwarding headers are
believed only where the config says a proxy may set them.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit

from runner.addresses import parse_address

# A host name or IP literal as a Host header may carry it, with an optional port.
_HOST = re.compile(r"(?:\[[0-9a-f:.]+\]|[a-z0-9](?:[a-z0-9.-]{0,251}[a-z0-9])?)(?::[0-9]{1,5})?")


def clean_host(value: str) -> str | None:
    """The lower-cased host (with port) when it is a valid one, else None ('@' never is)."""
    host = value.strip().lower()
    if not host or "@" in host or not _HOST.fullmatch(host):
        return None
    return host


@dataclass(frozen=True)
class PublicUrl:
    """How to find the URL a carrier called."""

    public_url: str | None = None
    allowed_hosts: frozenset[str] = frozenset()
    trusted_proxy_ips: frozenset[str] = frozenset()
    trust_forwarding_headers: bool = False

    @classmethod
    def from_settings(
        cls,
        public_url: str | None,
        allowed_hosts: Iterable[str] = (),
        trusted_proxy_ips: Iterable[str] = (),
        trust_forwarding_headers: bool = False,
    ) -> PublicUrl:
        proxies = {str(address) for text in trusted_proxy_ips if (address := parse_address(text)) is not None}
        hosts = {host for text in allowed_hosts if (host := clean_host(text)) is not None}
        return cls(public_url, frozenset(hosts), frozenset(proxies), trust_forwarding_headers)

    def url(
        self, scheme: str, headers: Mapping[str, str], client_ip: str, path: str, query: str
    ) -> str | None:
        """The full URL of a request, or None when its Host header is not a valid host.

        ``headers`` are lower-cased names; ``query`` is the raw query string.
        """
        suffix = f"?{query}" if query else ""
        if self.public_url is not None:
            # public_url is the server's base address as the carrier sees it; a proxy in
            # front may strip its path, so the request's own path goes after it.
            public = urlsplit(self.public_url)
            return f"{public.scheme}://{public.netloc}{public.path.rstrip('/')}{path}{suffix}"
        host = clean_host(headers.get("host", ""))
        if host is None:
            return None
        if self._believes_forwarding(client_ip):
            forwarded = headers.get("x-forwarded-host") or headers.get("x-original-host")
            forwarded_host = clean_host(forwarded.split(",")[0]) if forwarded else None
            if forwarded_host is not None and self._host_allowed(forwarded_host):
                host = forwarded_host
            proto = headers.get("x-forwarded-proto", "").split(",")[0].strip().lower()
            if proto in ("http", "https"):
                scheme = proto
        return f"{scheme}://{host}{path}{suffix}"

    def _believes_forwarding(self, client_ip: str) -> bool:
        if not (self.allowed_hosts or self.trust_forwarding_headers):
            return False
        if self.trusted_proxy_ips:
            address = parse_address(client_ip)
            return address is not None and str(address) in self.trusted_proxy_ips
        return True

    def _host_allowed(self, host: str) -> bool:
        if not self.allowed_hosts:
            return self.trust_forwarding_headers
        bare = host.rsplit(":", 1)[0] if not host.endswith("]") else host
        return host in self.allowed_hosts or bare in self.allowed_hosts
