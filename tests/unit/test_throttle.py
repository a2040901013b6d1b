from concurrent.futures import ThreadPoolExecutor

import pytest

from palett.services.accounts import throttle
from palett.services.common.errors import UserError


def attempts_allowed(email: str, ip: str, n: int, *, parallel: int = 1) -> int:
    def attempt(_: int) -> bool:
        try:
            throttle.login(email, ip)
            return True
        except UserError as err:
            assert err.code == "throttled"
            return False

    with ThreadPoolExecutor(max_workers=parallel) as pool:
        return sum(pool.map(attempt, range(n)))


def test_five_attempts_lock_the_account_with_minutes_to_wait():
    assert attempts_allowed("a@example.com", "10.0.0.1", 5) == 5
    with pytest.raises(UserError) as err:
        throttle.login("A@example.com ", "10.0.0.2")
    assert 14 <= err.value.params["minutes"] <= 15
    # Another account from a fresh IP is unaffected.
    assert attempts_allowed("b@example.com", "10.0.0.3", 1) == 1


def test_attempts_from_one_ip_lock_that_ip_for_every_account(monkeypatch):
    monkeypatch.setenv("LOGIN_ATTEMPTS_PER_IP", "5/15 minutes")
    from tests.conftest import reset_caches

    reset_caches()
    for i in range(5):
        throttle.login(f"user{i}@example.com", "10.9.9.9")
    assert attempts_allowed("someone-else@example.com", "10.9.9.9", 1) == 0


def test_success_clears_the_account_counter():
    assert attempts_allowed("c@example.com", "10.1.1.1", 4) == 4
    throttle.reset("c@example.com")
    assert attempts_allowed("c@example.com", "10.1.1.2", 5) == 5


def test_fifty_parallel_attempts_in_memory_let_exactly_five_through():
    assert attempts_allowed("race@example.com", "10.2.2.2", 50, parallel=50) == 5


def test_thirty_attempts_per_ip_by_default_successes_included():
    allowed = sum(attempts_allowed(f"u{i}@example.com", "10.4.4.4", 1) for i in range(40))
    assert allowed == 30


def test_mail_requests_are_limited_per_address_and_per_ip(monkeypatch):
    monkeypatch.setenv("MAIL_LIMIT_PER_ADDRESS", "2/hour")
    monkeypatch.setenv("MAIL_LIMIT_PER_IP", "3/hour")
    from tests.conftest import reset_caches

    reset_caches()
    throttle.mail_request("d@example.com", "10.3.3.1")
    throttle.mail_request("D@example.com", "10.3.3.2")
    with pytest.raises(UserError):
        throttle.mail_request("d@example.com", "10.3.3.3")  # the address is full, from any IP
    throttle.mail_request("e@example.com", "10.3.3.9")
    throttle.mail_request("f@example.com", "10.3.3.9")
    throttle.mail_request("g@example.com", "10.3.3.9")
    with pytest.raises(UserError):
        throttle.mail_request("h@example.com", "10.3.3.9")  # the IP is full, for any address
