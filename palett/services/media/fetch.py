"""Fetching provider outputs and the API's image URLs by URL: public addresses only, and a size cap.

services/common/ssrf resolves the host once, checks every address and connects to the checked one (no second
lookup for DNS rebinding to answer). Hosts in SSRF_ALLOW_HOSTS (a local emulator) skip the check.
"""

from __future__ import annotations

from palett.services.common import ssrf
from palett.settings import get_settings

TIMEOUT_SECONDS = 60


class FetchRefused(Exception):
    pass


async def fetch_bytes(url: str, *, max_bytes: int | None = None) -> bytes:
    limit = max_bytes or get_settings().max_output_bytes
    allowed = {h.strip() for h in get_settings().ssrf_allow_hosts.split(",") if h.strip()}
    try:
        target = await ssrf.check_async(url, schemes=("https",), allow_hosts=allowed)
    except ssrf.Refused as exc:
        raise FetchRefused(str(exc)) from None
    # Redirects are not followed: each hop would need the same check.
    async with ssrf.client(timeout=TIMEOUT_SECONDS) as client, ssrf.stream(client, "GET", target) as response:
        response.raise_for_status()
        chunks, size = [], 0
        async for chunk in response.aiter_bytes():
            size += len(chunk)
            if size > limit:
                raise FetchRefused(f"output larger than {limit} bytes")
            chunks.append(chunk)
    return b"".join(chunks)

