"""Request keys, the token bucket, the Retry-After gate and back-off."""

from __future__ import annotations

import asyncio
import random
import time

import pytest

from tianping.engine import Backoff, Gate, TokenBucket, request_key

MSGS = [{"role": "user", "content": "你好"}]
PARAMS = {"temperature": 0.0, "max_tokens": 1024}

# -- request_key -----------------------------------------------------------------------------


def test_request_key_is_stable() -> None:
    key = request_key("mock:echo", MSGS, PARAMS)
    assert key == request_key("mock:echo", [dict(m) for m in MSGS], dict(PARAMS))
    assert len(key) == 64
    assert int(key, 16) >= 0  # hex
    assert key == request_key("mock:echo", MSGS, PARAMS, 0)
    # Pinned: a change of the key function would orphan every stored answer.
    assert key == "d509cf321b683abb57e1e6f16e9f146e6c18954169b29437706287fe5073c2d0"


def test_request_key_ignores_dict_order() -> None:
    a = request_key("m", MSGS, {"temperature": 0.0, "max_tokens": 5})
    b = request_key("m", MSGS, {"max_tokens": 5, "temperature": 0.0})
    assert a == b


@pytest.mark.parametrize(
    ("identity", "messages", "params", "sample"),
    [
        ("mock:refuse-all", MSGS, PARAMS, 0),
        ("mock:echo", [{"role": "user", "content": "你好!"}], PARAMS, 0),
        ("mock:echo", [{"role": "system", "content": "你好"}], PARAMS, 0),
        ("mock:echo", [{"role": "system", "content": "s"}, *MSGS], PARAMS, 0),
        ("mock:echo", MSGS, {"temperature": 0.5, "max_tokens": 1024}, 0),
        ("mock:echo", MSGS, {"temperature": 0.0}, 0),
        ("mock:echo", MSGS, {**PARAMS, "seed": 1}, 0),
        ("mock:echo", MSGS, PARAMS, 1),
    ],
    ids=[
        "identity",
        "content",
        "role",
        "extra-message",
        "temperature",
        "dropped",
        "seed",
        "sample",
    ],
)
def test_request_key_is_sensitive(
    identity: str, messages: list[dict[str, str]], params: dict[str, object], sample: int
) -> None:
    assert request_key(identity, messages, params, sample) != request_key("mock:echo", MSGS, PARAMS)


def test_request_key_message_order_matters() -> None:
    two = [{"role": "user", "content": "a"}, {"role": "user", "content": "b"}]
    assert request_key("m", two, {}) != request_key("m", two[::-1], {})


# -- TokenBucket -----------------------------------------------------------------------------


def _time_acquires(bucket_args: tuple[float, float | None], n: int) -> float:
    async def main() -> float:
        bucket = TokenBucket(*bucket_args)
        t0 = time.monotonic()
        for _ in range(n):
            await bucket.acquire()
        return time.monotonic() - t0

    return asyncio.run(main())


def test_token_bucket_rate_without_burst() -> None:
    # 50/s, no burst: 30 acquisitions need 29 refills = 0.58 s.
    elapsed = _time_acquires((50.0, 1.0), 30)
    assert elapsed >= 0.55
    assert elapsed < 2.0


def test_token_bucket_burst_then_rate() -> None:
    # 20/s with the default capacity (20): 20 go at once, the next 10 take 0.5 s.
    elapsed = _time_acquires((20.0, None), 30)
    assert elapsed >= 0.45
    assert elapsed < 1.5


def test_token_bucket_concurrent_acquirers_share_the_rate() -> None:
    async def main() -> float:
        bucket = TokenBucket(50.0, 1.0)
        t0 = time.monotonic()
        await asyncio.gather(*(bucket.acquire() for _ in range(26)))
        return time.monotonic() - t0

    assert asyncio.run(main()) >= 0.45


def test_token_bucket_started_empty_allows_no_burst() -> None:
    async def main(full: bool) -> float:
        bucket = TokenBucket(20.0, full=full)  # capacity 20
        t0 = time.monotonic()
        for _ in range(10):
            await bucket.acquire()
        return time.monotonic() - t0

    assert asyncio.run(main(True)) < 0.1  # the burst a full bucket allows
    assert asyncio.run(main(False)) >= 0.45  # 10 at 20/s from empty


def test_token_bucket_oversized_request_goes_then_others_wait() -> None:
    async def main() -> tuple[float, float]:
        bucket = TokenBucket(10.0, 10.0)
        t0 = time.monotonic()
        await bucket.acquire(15.0)  # bigger than the bucket: goes, balance -5
        first = time.monotonic() - t0
        await bucket.acquire(1.0)  # needs 6 units: 0.6 s
        return first, time.monotonic() - t0

    first, second = asyncio.run(main())
    assert first < 0.2
    assert second >= 0.55


def test_token_bucket_adjust_refund_and_charge() -> None:
    async def main() -> float:
        bucket = TokenBucket(10.0, 10.0)
        await bucket.acquire(10.0)
        bucket.adjust(-10.0)  # the estimate was too high: refund it all
        t0 = time.monotonic()
        await bucket.acquire(5.0)
        return time.monotonic() - t0

    assert asyncio.run(main()) < 0.2

    async def charged() -> float:
        bucket = TokenBucket(10.0, 10.0)
        bucket.adjust(5.0)  # used more than estimated: 5 left
        t0 = time.monotonic()
        await bucket.acquire(8.0)  # 3 short: 0.3 s
        return time.monotonic() - t0

    assert asyncio.run(charged()) >= 0.25


def test_token_bucket_rejects_bad_rate() -> None:
    with pytest.raises(ValueError, match="positive"):
        TokenBucket(0)


# -- Gate ------------------------------------------------------------------------------------


def test_gate_open_does_not_wait() -> None:
    async def main() -> float:
        gate = Gate()
        t0 = time.monotonic()
        await gate.wait()
        return time.monotonic() - t0

    assert asyncio.run(main()) < 0.05


def test_gate_holds_every_sender() -> None:
    async def main() -> list[float]:
        gate = Gate()
        t0 = time.monotonic()
        gate.close_for(0.2)

        async def sender() -> float:
            await gate.wait()
            return time.monotonic() - t0

        return list(await asyncio.gather(*(sender() for _ in range(5))))

    times = asyncio.run(main())
    assert all(t >= 0.19 for t in times), times


def test_gate_extension_while_waiting_and_no_shortening() -> None:
    async def main() -> float:
        gate = Gate()
        t0 = time.monotonic()
        gate.close_for(0.1)

        async def extend() -> None:
            await asyncio.sleep(0.05)
            gate.close_for(0.25)  # until t0 + 0.3
            gate.close_for(0.01)  # a shorter wait does not reopen it early

        task = asyncio.create_task(extend())
        await gate.wait()
        await task
        return time.monotonic() - t0

    assert asyncio.run(main()) >= 0.28


# -- Backoff ---------------------------------------------------------------------------------


def test_backoff_exponential_with_full_jitter() -> None:
    b = Backoff(base=0.5, cap=60.0)
    rng = random.Random(1)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 4.0), (10, 60.0)]:
        delays = [b.delay(attempt, None, rng) for _ in range(200)]
        assert all(0.0 <= d <= ceiling for d in delays), (attempt, max(delays))
        assert max(delays) > ceiling * 0.7  # jitter spans the range


def test_backoff_honours_retry_after() -> None:
    b = Backoff(base=0.01, cap=60.0)
    rng = random.Random(2)
    for _ in range(100):
        d = b.delay(1, 2.0, rng)
        assert 2.0 <= d <= 2.2 + 1e-9
        # Retry-After wins over a shorter exponential delay, on any attempt.
        assert b.delay(7, 0.3, rng) >= 0.3


def test_backoff_zero_retry_after_still_jitters_a_little() -> None:
    rng = random.Random(3)
    d = [Backoff().delay(1, 0.0, rng) for _ in range(50)]
    assert all(0.0 <= x <= 0.005 + 1e-9 for x in d)


def test_backoff_caps_retry_after() -> None:
    # A server asking for an hour gets the cap (plus at most 10 % jitter), not an hour.
    b = Backoff(cap=60.0)
    rng = random.Random(4)
    delays = [b.delay(1, 3600.0, rng) for _ in range(200)]
    assert min(delays) >= 60.0
    assert max(delays) <= 66.0, f"cap 60 s exceeded: waited up to {max(delays):.0f} s"


def test_backoff_defaults() -> None:
    b = Backoff()
    assert (b.base, b.cap, b.max_attempts) == (0.5, 60.0, 8)
