"""The client's IP address: the peer, or what trusted proxies say the peer was.

Forwarded headers are client-controlled unless the request came through a proxy we trust
(TRUSTED_PROXIES), so they are read only then, right to left, skipping our own proxies:
the first untrusted address is the client. Every per-IP limit keys on this one function.
"""

from __future__ import annotations

import ipaddress
import re
from collections.abc import Mapping
from functools import lru_cache

Network = ipaddress.IPv4Network | ipaddress.IPv6Network

_FORWARDED_FOR = re.compile(r'for\s*=\s*"?\[?([^\]";,]+)', re.IGNORECASE)


@lru_cache(maxsize=16)
def proxy_networks(trusted_proxies: str) -> tuple[Network, ...]:
    """Parse TRUSTED_PROXIES ("10.0.0.0/8, 127.0.0.1"); a bad entry fails loudly at the first request."""
    return tuple(ipaddress.ip_network(p.strip(), strict=False) for p in trusted_proxies.split(",") if p.strip())


def client_address(peer: str, headers: Mapping[str, str], trusted_proxies: str) -> str:
    """The client address for a request from `peer` with these (lower-case keyed) headers."""
    networks = proxy_networks(trusted_proxies)
    if not _is_trusted(peer, networks):
        return peer
    for hop in reversed(_forwarded_chain(headers)):
        if not _is_trusted(hop, networks):
            return hop
    return peer


def _forwarded_chain(headers: Mapping[str, str]) -> list[str]:
    """Addresses from `Forwarded` (RFC 7239) if present, else `X-Forwarded-For`, client first."""
    if forwarded := headers.get("forwarded", ""):
        hops = _FORWARDED_FOR.findall(forwarded)
    else:
        hops = headers.get("x-forwarded-for", "").split(",")
    return [_strip_port(h.strip()) for h in hops if h.strip()]


def _strip_port(hop: str) -> str:
    # "203.0.113.7:4711" -> "203.0.113.7"; bare IPv6 addresses keep their colons.
    if hop.count(":") == 1:
        return hop.split(":", 1)[0]
    return hop


def _is_trusted(address: str, networks: tuple[Network, ...]) -> bool:
    try:
        ip = ipaddress.ip_address(address)
    except ValueError:
        return False
    return any(ip in net for net in networks)
