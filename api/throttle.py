"""Throttling of wrong API credentials (app_key / app_secret), per key and per address.

Failures are counted in the cache (settings.CACHES: Redis, shared by every web machine, when
CACHE_URL or Q_REDIS_URL is set; otherwise this process's memory), in fixed windows of
API_AUTH_WINDOW_SECONDS. An address is refused, before its credentials are looked up, when
in the current window:

- it sent API_AUTH_FAILURE_LIMIT wrong credentials for one app_key (the pair's counter);
- it sent API_AUTH_ADDRESS_FAILURE_LIMIT wrong credentials for any app_keys (the address's
  counter: one address trying many keys);
- the app_key received API_AUTH_KEY_FAILURE_LIMIT wrong credentials from all addresses
  together (many addresses trying one key), and this address sent at least one of them.
  An address that never sent a wrong secret for the key (the company's own integration)
  is still answered: a public app_key must not let anyone lock its company out.

A refused request costs one cache read and no query; a request with right credentials
costs that same read and nothing else (no write, no query). The refusal says when the
window ends, in Omie's own words for its blocking of an app ("API bloqueada por consumo
indevido. Tente novamente em N segundos."), which Omie integrations recognize and wait for.
If the cache cannot be reached, requests are answered unthrottled (with a warning in the log):
an outage of Redis must not stop the API.
"""

from __future__ import annotations

import hashlib
import logging
import time
from dataclasses import dataclass

from django.conf import settings
from django.core.cache import cache

logger = logging.getLogger(__name__)

_now = time.time  # tests move the clock here


@dataclass(frozen=True)
class Limits:
    pair: int
    address: int
    key: int
    window: int


def limits() -> Limits:
    return Limits(
        pair=settings.API_AUTH_FAILURE_LIMIT,
        address=settings.API_AUTH_ADDRESS_FAILURE_LIMIT,
        key=settings.API_AUTH_KEY_FAILURE_LIMIT,
        window=settings.API_AUTH_WINDOW_SECONDS,
    )


def _digest(text: str) -> str:
    # app_key and address as sent may be any text: a fixed-length digest is a valid cache key.
    return hashlib.blake2s(text.encode("utf-8", "surrogatepass"), digest_size=10).hexdigest()


def _keys(app_key: str, address: str, window: int, now: float) -> tuple[str, str, str]:
    bucket = int(now // window)
    key, addr = _digest(app_key), _digest(address)
    return (
        f"api-auth:{bucket}:pair:{key}:{addr}",
        f"api-auth:{bucket}:addr:{addr}",
        f"api-auth:{bucket}:key:{key}",
    )


def refused_for(app_key: str, address: str) -> int | None:
    """Seconds until this address may try this app_key again, or None when it may now."""
    current = limits()
    if current.pair <= 0:  # throttling turned off
        return None
    now = _now()
    pair, addr, key = _keys(app_key, address, current.window, now)
    try:
        counts = cache.get_many([pair, addr, key])
    except Exception:  # noqa: BLE001 - a cache outage must not stop the API: answer unthrottled
        logger.warning("API credential throttle: cache unavailable; request not throttled", exc_info=True)
        return None
    pair_count = counts.get(pair, 0)
    if (
        pair_count >= current.pair
        or counts.get(addr, 0) >= current.address
        or (pair_count > 0 and counts.get(key, 0) >= current.key)
    ):
        return max(1, int(current.window - now % current.window + 0.999))
    return None


def record_failure(app_key: str, address: str) -> None:
    """Count one wrong app_key/app_secret from this address."""
    current = limits()
    if current.pair <= 0:
        return
    # A little longer than the window, so a counter never expires before its window ends.
    timeout = current.window + 60
    try:
        for name in _keys(app_key, address, current.window, _now()):
            if cache.add(name, 1, timeout):
                continue
            try:
                cache.incr(name)
            except ValueError:  # expired between add() and incr()
                cache.add(name, 1, timeout)
    except Exception:  # noqa: BLE001 - see refused_for()
        logger.warning("API credential throttle: cache unavailable; failure not counted", exc_info=True)
