"""Which origin is trusted, which address is the client's, where PUBLIC_URL points by default."""

from __future__ import annotations

import asyncio
import importlib.util
from pathlib import Path

import pytest

from palett.api.security_headers import SecurityHeaders, csp, script_hashes, static_headers
from palett.services.common.client_address import client_address
from palett.services.common.origins import is_trusted, origin_of, port_mismatch_warning
from palett.settings import Settings

ROOT = Path(__file__).resolve().parents[2]


def settings(tmp_path, **values) -> Settings:
    return Settings(data_dir=tmp_path, **values)


# Item 9: PUBLIC_URL follows the listening port.

def test_public_url_defaults_to_the_port_the_app_listens_on(tmp_path, monkeypatch):
    monkeypatch.delenv("PUBLIC_URL")
    monkeypatch.delenv("PALETT_PORT", raising=False)
    monkeypatch.setenv("PORT", "3100")
    assert Settings(data_dir=tmp_path).public_url == "http://localhost:3100"
    monkeypatch.setenv("PALETT_PORT", "3200")
    assert Settings(data_dir=tmp_path).public_url == "http://localhost:3200"
    monkeypatch.delenv("PORT")
    monkeypatch.delenv("PALETT_PORT")
    assert Settings(data_dir=tmp_path).public_url == "http://localhost:3000"
    monkeypatch.setenv("PUBLIC_URL", "https://palett.example")
    monkeypatch.setenv("PORT", "3100")
    assert Settings(data_dir=tmp_path).public_url == "https://palett.example"


def test_start_up_warns_when_public_url_points_at_another_local_port(tmp_path):
    wrong = settings(tmp_path, public_url="http://localhost:3000")
    assert "3100" in port_mismatch_warning(wrong, 3100) and "dead port" in port_mismatch_warning(wrong, 3100)
    assert port_mismatch_warning(wrong, 3000) == ""
    # Behind a proxy the public port differs on purpose.
    assert port_mismatch_warning(settings(tmp_path, public_url="https://palett.example"), 3000) == ""


# Item 1: one trusted origin.

def test_only_public_url_and_allowed_origins_are_trusted(tmp_path):
    s = settings(tmp_path, public_url="https://palett.example/", allowed_origins="https://admin.palett.example, "
                                                                               "http://localhost:5173")
    for ok in ("https://palett.example", "https://PALETT.example:443", "https://admin.palett.example",
               "http://localhost:5173"):
        assert is_trusted(ok, s), ok
    for bad in ("https://palett.example:8443", "http://palett.example", "https://evil.palett.example",
                "https://palett.example.evil.com", "null", "", "http://localhost:5174"):
        assert not is_trusted(bad, s), bad
    assert origin_of("http://[::1]:3000/x") == "http://[::1]:3000"


def test_reflex_cors_allows_only_the_trusted_origins(monkeypatch):
    monkeypatch.setenv("PUBLIC_URL", "https://palett.example")
    monkeypatch.setenv("ALLOWED_ORIGINS", "https://admin.palett.example")
    spec = importlib.util.spec_from_file_location("rxconfig_under_test", ROOT / "rxconfig.py")
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    assert sorted(module.config.cors_allowed_origins) == ["https://admin.palett.example", "https://palett.example"]


# Item 8: the client address behind proxies.

@pytest.mark.parametrize(("peer", "headers", "trusted", "expected"), [
    ("203.0.113.9", {"x-forwarded-for": "198.51.100.1"}, "", "203.0.113.9"),  # no proxy trusted: header ignored
    ("203.0.113.9", {"x-forwarded-for": "198.51.100.1"}, "10.0.0.0/8", "203.0.113.9"),  # peer is not our proxy
    ("10.0.0.5", {"x-forwarded-for": "198.51.100.1"}, "10.0.0.0/8", "198.51.100.1"),
    # A client-written first entry is skipped: the rightmost address our proxies did not add wins.
    ("10.0.0.5", {"x-forwarded-for": "1.2.3.4, 198.51.100.1, 10.0.0.7"}, "10.0.0.0/8", "198.51.100.1"),
    ("10.0.0.5", {"forwarded": 'for=198.51.100.1;proto=https, for="[2001:db8::1]:443"'}, "10.0.0.0/8",
     "2001:db8::1"),
    ("10.0.0.5", {"forwarded": "for=198.51.100.1:4711"}, "10.0.0.5", "198.51.100.1"),
    ("10.0.0.5", {}, "10.0.0.0/8", "10.0.0.5"),
    ("::1", {"x-forwarded-for": "198.51.100.1"}, "127.0.0.1, ::1", "198.51.100.1"),
])
def test_client_address(peer, headers, trusted, expected):
    assert client_address(peer, headers, trusted) == expected


# Item 4: the header values.

def test_csp_is_self_only_and_lists_inline_script_hashes(tmp_path):
    page = b'<html><script>window.a = 1;</script><script type="module" src="/x.js"></script></html>'
    (digest,) = script_hashes(page)
    policy = csp(settings(tmp_path), (digest,))
    assert f"'sha256-{digest}'" in policy
    assert "default-src 'self'" in policy and "frame-ancestors 'none'" in policy and "object-src 'none'" in policy
    assert "'unsafe-inline'" not in policy.split("script-src")[1].split(";")[0]
    assert "http" not in policy.replace("https://checkout.stripe.com", "").replace("https://billing.stripe.com", "")


def test_hsts_only_when_public_url_is_https(tmp_path):
    assert "strict-transport-security" not in dict(static_headers(settings(tmp_path, public_url="http://localhost:3000")))
    assert "max-age" in dict(static_headers(settings(tmp_path, public_url="https://palett.example")))[
        "strict-transport-security"]


def test_a_page_sent_by_path_to_a_client_without_accept_html_is_hashed_not_a_500(tmp_path):
    """Granian's pathsend stays on for requests that don't ask for HTML (curl, probes): the page is read."""
    page = tmp_path / "index.html"
    page.write_bytes(b"<html><script>window.a = 1;</script></html>")

    async def app(scope, receive, send):
        assert "http.response.pathsend" in scope["extensions"]  # not asked for HTML: left as it was
        await send({"type": "http.response.start", "status": 200,
                    "headers": [(b"content-type", b"text/html; charset=utf-8")]})
        await send({"type": "http.response.pathsend", "path": str(page)})

    sent: list[dict] = []

    async def send(message):
        sent.append(message)

    scope = {"type": "http", "method": "GET", "path": "/", "headers": [(b"accept", b"*/*")],
             "extensions": {"http.response.pathsend": {}}}
    asyncio.run(SecurityHeaders(app)(scope, None, send))
    start, body = sent
    (digest,) = script_hashes(page.read_bytes())
    assert body == {"type": "http.response.body", "body": page.read_bytes()}
    assert f"'sha256-{digest}'" in dict(start["headers"])[b"content-security-policy"].decode()
