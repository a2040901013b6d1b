"""The trusted origins: PUBLIC_URL's origin plus ALLOWED_ORIGINS, compared the way browsers send `Origin`."""

from __future__ import annotations

from urllib.parse import urlsplit

from palett.settings import Settings

_DEFAULT_PORTS = {"http": 80, "https": 443, "ws": 80, "wss": 443}


def origin_of(url: str) -> str:
    """`scheme://host[:port]` in lower case, default port dropped (as in an `Origin` header); "" if not a URL."""
    try:
        parts = urlsplit(url.strip())
        port = parts.port
    except ValueError:
        return ""
    if not parts.scheme or not parts.hostname:
        return ""
    scheme = parts.scheme.lower()
    host = parts.hostname.lower()
    host = f"[{host}]" if ":" in host else host
    return f"{scheme}://{host}" + (f":{port}" if port and port != _DEFAULT_PORTS.get(scheme) else "")


def trusted_origins(settings: Settings) -> frozenset[str]:
    extra = (origin_of(o) for o in settings.allowed_origins.split(",") if o.strip())
    return frozenset({origin_of(settings.public_url), *extra} - {""})


def is_trusted(origin: str, settings: Settings) -> bool:
    """A page on another port or subdomain is another origin, even though browsers count it as the
    same *site* and send it our SameSite=Lax cookie; only this check keeps it out. `null` never passes.
    """
    normalized = origin_of(origin)
    return bool(normalized) and normalized in trusted_origins(settings)


def port_mismatch_warning(settings: Settings, listening_port: int | None) -> str:
    """A start-up warning when PUBLIC_URL points at another port than the one the app listens on.

    Behind a proxy the ports differ on purpose (https://example.com -> :3000): only a localhost
    PUBLIC_URL, which can only mean this process, is checked.
    """
    parts = urlsplit(settings.public_url)
    if not listening_port or parts.hostname not in ("localhost", "127.0.0.1", "::1"):
        return ""
    public_port = parts.port or _DEFAULT_PORTS.get(parts.scheme, 0)
    if public_port == listening_port:
        return ""
    return (f"PUBLIC_URL is {settings.public_url} but the app listens on port {listening_port}: mailed links, "
            f"OAuth callbacks and share URLs will point at a dead port. Unset PUBLIC_URL (it follows PALETT_PORT "
            f"or PORT) or set it to http://localhost:{listening_port}.")
