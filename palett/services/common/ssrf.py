"""Requests to URLs that users give us (webhook endpoints, image URLs of the API): public addresses only.

One rule for every such request: resolve the host once, refuse it unless every address it resolves to is
public, then connect to that checked address, never to a fresh lookup. A second lookup at connect time is
what DNS rebinding exploits (a name that answers a public address to the check and loopback to the
connection). Over https the TLS name (SNI and the certificate check) stays the URL's host.
"""

from __future__ import annotations

import asyncio
import ipaddress
import os
import socket
import ssl
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from dataclasses import dataclass
from functools import lru_cache
from typing import Any
from urllib.parse import urlsplit

import httpx


class Refused(Exception):
    """The URL may not be requested; the message says why, in words for the person who gave it."""


def resolve(host: str, port: int) -> list[Any]:
    """getaddrinfo for TCP, looked up when called (tests swap socket.getaddrinfo or this: no DNS offline)."""
    return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)


@dataclass(frozen=True)
class Target:
    """A checked URL and the address to connect to (None: a host the operator allowed, connected by name)."""

    url: str
    scheme: str
    host: str
    port: int
    address: str | None

    @property
    def pinned_url(self) -> str:
        """The URL with its host replaced by the checked address (the Host header and TLS keep the name)."""
        if self.address is None:
            return self.url
        parts = urlsplit(self.url)
        ip = f"[{self.address}]" if ":" in self.address else self.address
        return parts._replace(netloc=f"{ip}:{self.port}", fragment="").geturl()

    @property
    def host_header(self) -> str:
        default = 443 if self.scheme == "https" else 80
        name = f"[{self.host}]" if ":" in self.host else self.host
        return name if self.port == default else f"{name}:{self.port}"


def check(url: str, *, schemes: Collection[str] = ("https",), allow_loopback: bool = False,
          allow_hosts: Collection[str] = ()) -> Target:
    """The URL's target when every address its host resolves to is public; else Refused.

    allow_hosts: names (or name:port) the operator trusts, e.g. a local emulator, over http or https; they are
    neither checked nor pinned. Blocking (a DNS lookup): call check_async from async code.
    """
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http"):
        raise Refused(f"use an {' or '.join(f'{s}://' for s in schemes)} URL")
    if not parts.hostname or parts.username is not None or parts.password is not None:
        raise Refused("give a host name, without a user name or password")
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
    except ValueError:
        raise Refused("the port is not a number from 1 to 65535") from None
    host = parts.hostname
    if host in allow_hosts or f"{host}:{parts.port}" in allow_hosts:  # http too: an emulator may speak it
        return Target(url=url, scheme=parts.scheme, host=host, port=port, address=None)
    if parts.scheme not in schemes:
        raise Refused(f"use an {' or '.join(f'{s}://' for s in schemes)} URL")
    try:
        infos = resolve(host, port)
    except (OSError, UnicodeError):  # socket.gaierror is an OSError
        raise Refused(f"{host} does not resolve to an address") from None
    addresses = [ipaddress.ip_address(str(info[4][0]).split("%")[0]) for info in infos]
    if not addresses:
        raise Refused(f"{host} does not resolve to an address")
    if not all(_public(address, allow_loopback) for address in addresses):
        raise Refused(f"{host} points at a private, loopback or reserved address")
    return Target(url=url, scheme=parts.scheme, host=host, port=port, address=str(addresses[0]))


async def check_async(url: str, **policy: Any) -> Target:
    return await asyncio.to_thread(check, url, **policy)


def _public(address: ipaddress.IPv4Address | ipaddress.IPv6Address, allow_loopback: bool) -> bool:
    if isinstance(address, ipaddress.IPv6Address) and address.ipv4_mapped:  # ::ffff:127.0.0.1 is loopback too
        address = address.ipv4_mapped
    if address.is_loopback:
        return allow_loopback
    return address.is_global and not address.is_multicast


@asynccontextmanager
async def stream(client: httpx.AsyncClient, method: str, target: Target, *,
                 headers: dict[str, str] | None = None, **options: Any) -> AsyncIterator[httpx.Response]:
    """client.stream() to the checked address. The client must not follow redirects (each hop would need its
    own check) nor use proxies from the environment (a proxy would resolve the name again): see client()."""
    extensions = {"sni_hostname": target.host} if target.scheme == "https" and target.address else {}
    async with client.stream(method, target.pinned_url, headers={**(headers or {}), "host": target.host_header},
                             extensions=extensions, **options) as response:
        yield response


def client(*, timeout: float) -> httpx.AsyncClient:
    """An httpx client fit for stream(): no redirects, no proxies from the environment; SSL_CERT_FILE still counts."""
    return httpx.AsyncClient(timeout=timeout, follow_redirects=False, trust_env=False,
                             verify=_tls(os.environ.get("SSL_CERT_FILE")))


@lru_cache(maxsize=4)
def _tls(cert_file: str | None) -> ssl.SSLContext:
    """Loading the CA bundle takes tens of milliseconds: once per process (and SSL_CERT_FILE) is enough."""
    return httpx.create_ssl_context()
