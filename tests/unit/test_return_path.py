"""The sign-in return address (`next`) is a same-site page path or nothing (issue 14)."""

from __future__ import annotations

import pytest

from palett.services.accounts.return_path import HOME, MAX_LENGTH, next_query, return_to, safe_next

ATTACKS = [
    "//evil.com", "///evil.com", "/\\evil.com", "\\\\evil.com", "https://evil.com", "http:/evil.com", "evil.com",
    "%2F%2Fevil.com", "/%2F%2Fevil.com", "/%2f/evil.com", "/%5Cevil.com", "javascript:alert(1)", "JaVaScRiPt:x",
    "/ok\r\nSet-Cookie: x=1", "/ok\tx", "/ok x", "/%0d%0aLocation:%20https://evil.com", " /app", "/" + "a" * MAX_LENGTH,
    "", "/", "/api/auth/logout", "/signin?next=/studio", "/signup", "/verify?token=x", "/_next/static/x.js",
    None, 42, ["/studio"],
]


@pytest.mark.parametrize("value", ATTACKS)
def test_anything_but_a_same_site_page_falls_back_to_home(value):
    assert safe_next(value) is None
    assert return_to(value) == HOME
    assert next_query(value) == ""


@pytest.mark.parametrize("value", ["/studio?remix=Ab_12-xY", "/u/7-ada-lovelace", "/gallery", "/image/12",
                                   "/explore?sort=liked", "/settings#sessions"])
def test_a_page_of_the_app_is_kept(value):
    assert safe_next(value) == value == return_to(value)


def test_the_query_form_is_encoded():
    assert next_query("/studio?remix=a&b=c") == "?next=%2Fstudio%3Fremix%3Da%26b%3Dc"
    assert next_query("/gallery", "&") == "&next=%2Fgallery"
