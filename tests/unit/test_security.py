import pytest

from palett.api.cookies import _hash_cookie
from palett.services.accounts.security import hash_password, new_token, password_is_weak, token_hash, verify_password
from palett.services.accounts.session_cookie import hashed_from_cookie_header
from palett.services.common.errors import UserError, message_for
from palett.state.account import describe_agent


def test_argon2id_hash_verifies_only_the_right_password():
    hashed = hash_password("correct horse battery")
    assert hashed.startswith("$argon2id$")
    assert verify_password("correct horse battery", hashed)
    assert not verify_password("wrong horse battery", hashed)
    assert not verify_password("anything", None)


@pytest.mark.parametrize("pw", ["short", "123456789", "password123", "Password123", "qwertyuiop", "1234567890"])
def test_weak_passwords(pw):
    assert password_is_weak(pw)


def test_strong_password():
    assert not password_is_weak("violet-otter-lamp-42")


def test_tokens_are_long_random_and_hashed():
    a, b = new_token(), new_token()
    assert a != b and len(a) >= 43
    assert token_hash(a) != a and len(token_hash(a)) == 64


def test_session_cookie_is_hashed_before_reflex_sees_it():
    _key, value = _hash_cookie(b"cookie", b"theme=dark; palett_session=raw-token; other=1")
    assert b"raw-token" not in value
    assert hashed_from_cookie_header(value.decode()) == token_hash("raw-token")
    assert b"theme=dark" in value and b"other=1" in value


def test_error_messages_only_for_known_codes():
    assert "Try again in 7 minutes" in UserError("throttled", minutes=7).message
    assert message_for("<script>alert(1)</script>") == ""


def test_device_description():
    ua = "Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/156.0 Safari/537.36"
    assert describe_agent(ua) == "Chrome on Linux"


def test_new_hashes_use_owasp_argon2id_parameters():
    assert hash_password("violet-otter-lamp-42").startswith("$argon2id$v=19$m=19456,t=2,p=1$")


def test_an_old_hash_still_verifies_and_is_upgraded():
    from pwdlib.hashers.argon2 import Argon2Hasher

    from palett.services.accounts.security import verify_and_update

    old = Argon2Hasher(time_cost=3, memory_cost=65536, parallelism=4).hash("violet-otter-lamp-42")
    ok, fresh = verify_and_update("violet-otter-lamp-42", old)
    assert ok and fresh and fresh.startswith("$argon2id$v=19$m=19456,t=2,p=1$")
    assert verify_and_update("wrong-otter-lamp-42", old) == (False, None)
    assert verify_and_update("violet-otter-lamp-42", fresh) == (True, None)
