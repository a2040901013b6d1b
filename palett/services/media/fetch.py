"""Fetching provider outputs by URL, with an SSRF guard and a size cap."""

from __future__ import annotations

import asyncio
import ipaddress
import socket
from urllib.parse import urlsplit

import httpx

from palett.settings import get_settings


class FetchRefused(Exception):
    pass


async def check_url(url: str) -> None:
    """Refuse URLs that point into our own network (unless the host is explicitly allowed)."""
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise FetchRefused(f"unsupported URL {url[:80]}")
    allowed = {h.strip() for h in get_settings().ssrf_allow_hosts.split(",") if h.strip()}
    if parts.hostname in allowed or f"{parts.hostname}:{parts.port}" in allowed:
        return
    if parts.scheme != "https":
        raise FetchRefused("only https URLs are fetched")
    infos = await asyncio.to_thread(socket.getaddrinfo, parts.hostname, parts.port or 443)
    for info in infos:
        address = ipaddress.ip_address(info[4][0])
        if not address.is_global:
            raise FetchRefused(f"{parts.hostname} resolves to a non-public address")


async def fetch_bytes(url: str, *, max_bytes: int | None = None) -> bytes:
    limit = max_bytes or get_settings().max_output_bytes
    await check_url(url)
    # Redirects are not followed: each hop would need the same check.
    async with httpx.AsyncClient(timeout=60, follow_redirects=False) as client, \
            client.stream("GET", url) as response:
        response.raise_for_status()
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchRefused(f"output larger than {limit} bytes")
            chunks.append(chunk)
    return b"".join(chunks)
