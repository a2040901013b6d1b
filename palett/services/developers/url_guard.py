"""Where a webhook may be sent: public addresses only.

Checked when a URL is registered and again before every delivery, since DNS can change in between (DNS
rebinding): the delivery then connects to the very address checked here, never to a fresh lookup.
"""

from __future__ import annotations

import ipaddress
import socket
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlsplit

from palett.services.common.errors import UserError
from palett.settings import get_settings

MAX_URL_LENGTH = 2000
# Tests swap this for a resolver that answers what they need (there is no DNS offline).
resolve: Callable[..., list[Any]] = socket.getaddrinfo


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to."""

    url: str
    scheme: str
    host: str
    port: int
    address: str

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (the Host header and TLS keep the name)."""
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        return parts._replace(netloc=f"{ip}:{self.port}", fragment="").geturl()

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def refuse(detail: str) -> UserError:
    return UserError("invalid_input", field="url", detail=detail)


def check(url: str) -> Target:
    """The URL's target when every address its host resolves to is public; else UserError naming `url`.

    Blocking (a DNS lookup): call it from a thread in async code.
    """
    url = url.strip()
    if not url or len(url) > MAX_URL_LENGTH:
        raise refuse(f"give a URL of at most {MAX_URL_LENGTH} characters")
    parts = urlsplit(url)
    settings = get_settings()
    schemes = ("https",) if settings.production else ("https", "http")
    if parts.scheme not in schemes:
        raise refuse("use an https:// URL" if settings.production else "use an https:// or http:// URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise refuse("give a host name, without a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise refuse("the port is not a number from 1 to 65535") from None
    try:
        infos = resolve(parts.hostname, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError):
        raise refuse(f"{parts.hostname} does not resolve to an address") from None
    addresses = [ipaddress.ip_address(info[4][0].split("%")[0]) for info in infos]
    if not addresses:
        raise refuse(f"{parts.hostname} does not resolve to an address")
    for address in addresses:
        if not _allowed(address):
            raise refuse(f"{parts.hostname} points at a private, loopback or reserved address; "
                         "webhooks go to public addresses only")
    return Target(url=url, scheme=parts.scheme, host=parts.hostname, port=port, address=str(addresses[0]))


def _allowed(address: ipaddress.IPv4Address | ipaddress.IPv6Address) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:  # ::ffff:127.0.0.1 is loopback too
        address = address.ipv4_mapped
    if address.is_loopback:
        settings = get_settings()
        return settings.webhook_allow_loopback and not settings.production
    return address.is_global and not address.is_multicast
