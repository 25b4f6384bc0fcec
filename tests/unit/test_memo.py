"""The memo behind the app's caches: bounded, expiring, one computation per key."""

import threading
import time

import pytest

from rfa_dash.memo import Memo


class Clock:
    def __init__(self):
        self.now = 0.0

    def __call__(self):
        return self.now


def test_a_value_is_made_once_and_handed_out_as_stored():
    memo, calls = Memo(4, 60), []
    first = memo.get("k", lambda: calls.append(1) or [1, 2])
    assert memo.get("k", lambda: calls.append(1) or [3]) is first
    assert calls == [1]


def test_least_recently_used_entry_goes_first():
    memo = Memo(2, 60)
    memo.get("a", lambda: "A")
    memo.get("b", lambda: "B")
    memo.get("a", lambda: "never")  # a is now the most recent
    memo.get("c", lambda: "C")  # evicts b
    assert len(memo) == 2
    assert memo.get("a", lambda: "new a") == "A"
    assert memo.get("b", lambda: "new b") == "new b"


def test_entries_expire_after_ttl_seconds():
    clock = Clock()
    memo = Memo(4, ttl=10, clock=clock)
    memo.get("k", lambda: "old")
    clock.now = 10.0
    assert memo.get("k", lambda: "new") == "old"  # 10 s old: still served
    clock.now = 10.5
    assert memo.get("k", lambda: "new") == "new"
    clock.now = 20.0
    assert memo.get("k", lambda: "newer") == "new"  # the new entry's time counts


def test_valid_can_reject_a_stored_value():
    memo = Memo(4, 60)
    memo.get("k", lambda: {"alive": False})
    assert memo.get("k", lambda: {"alive": True}, valid=lambda v: v["alive"]) == {"alive": True}
    assert memo.get("k", lambda: "not made", valid=lambda v: v["alive"]) == {"alive": True}


def test_a_failed_computation_stores_nothing():
    memo = Memo(4, 60)
    with pytest.raises(ZeroDivisionError):
        memo.get("k", lambda: 1 / 0)
    assert len(memo) == 0
    assert memo.get("k", lambda: 2) == 2


def test_concurrent_sessions_compute_a_key_once():
    memo, calls, results = Memo(4, 60), [], []
    started = threading.Event()

    def slow():
        calls.append(1)
        started.set()
        time.sleep(0.2)
        return object()

    threads = [threading.Thread(target=lambda: results.append(memo.get("k", slow)))
               for _ in range(8)]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert calls == [1]
    assert len(results) == 8 and all(r is results[0] for r in results)


def test_other_keys_are_not_held_up_by_a_slow_one():
    memo = Memo(4, 60)
    release = threading.Event()
    t = threading.Thread(target=lambda: memo.get("slow", lambda: release.wait(5)))
    t.start()
    try:
        assert memo.get("fast", lambda: "done") == "done"
        assert t.is_alive()  # "fast" did not wait for "slow"
    finally:
        release.set()
        t.join()


def test_clear_forgets_everything():
    memo = Memo(4, 60)
    memo.get("a", lambda: 1)
    memo.clear()
    assert len(memo) == 0
    assert memo.get("a", lambda: 2) == 2  # made again
