from palett.services import throttle


def test_five_failures_lock_the_account_with_minutes_to_wait():
    for _ in range(5):
        assert throttle.minutes_to_wait("a@example.com", "10.0.0.1") == 0
        throttle.record_failure("a@example.com", "10.0.0.1")
    wait = throttle.minutes_to_wait("a@example.com", "10.0.0.2")
    assert 14 <= wait <= 15
    # Another account from a fresh IP is unaffected.
    assert throttle.minutes_to_wait("b@example.com", "10.0.0.3") == 0


def test_five_failures_from_one_ip_lock_that_ip_for_every_account():
    for i in range(5):
        throttle.record_failure(f"user{i}@example.com", "10.9.9.9")
    assert throttle.minutes_to_wait("someone-else@example.com", "10.9.9.9") > 0


def test_success_clears_the_account_counter():
    for _ in range(4):
        throttle.record_failure("c@example.com", "10.1.1.1")
    throttle.reset("c@example.com")
    throttle.record_failure("c@example.com", "10.1.1.2")
    assert throttle.minutes_to_wait("c@example.com", "10.1.1.3") == 0
