"""The Redis URL of ``tim-topics import`` (from ``--redis-url`` or ``$TIM_REDIS_URL``) and the
shared limiter it gives (:func:`shared_limiter`).

A password on the command line sits in process listings and shell histories for the
whole import, so ``--redis-url`` refuses a URL with credentials, in the authority
(``redis://:pw@host``) or in the query (``?password=pw``); such a URL belongs in
``$TIM_REDIS_URL``. No message here repeats the password, whatever characters it holds.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncIterator, Mapping

from ..limiter import Limiter
from ..redaction import has_secret, redact_url
from ..redis_limiter import RedisLimiter, redis_url_problem
from .env import REDIS_URL_ENV, EnvError


def redis_url_from(command_line_url: str | None, environ: Mapping[str, str]) -> str | None:
    """The Redis URL to share the budget through, or None for none.

    ValueError (a usage error) for a ``--redis-url`` with credentials or one redis-py
    cannot use; :class:`EnvError` (a bad environment) for such a ``$TIM_REDIS_URL``.
    """
    if command_line_url:
        if has_secret(command_line_url):
            raise ValueError(
                "--redis-url holds credentials (a password in the URL's user part or a "
                f"password= parameter), which process listings show: put the URL in "
                f"${REDIS_URL_ENV} instead"
            )
        problem = redis_url_problem(command_line_url)
        if problem is not None:
            raise ValueError(f"--redis-url {redact_url(command_line_url)} is not usable: {problem}")
        return command_line_url
    url = environ.get(REDIS_URL_ENV, "").strip()
    if not url:
        return None
    problem = redis_url_problem(url)
    if problem is not None:
        raise EnvError(f"{REDIS_URL_ENV} {redact_url(url)} is not usable: {problem}")
    return url


@contextlib.asynccontextmanager
async def shared_limiter(
    redis_url: str | None, sdkappid: int, rate_limit: float
) -> AsyncIterator[Limiter | None]:
    """A :class:`RedisLimiter` keyed on the app (so every importer of it shares the
    budget), checked with a ping and closed after; None without a URL."""
    if redis_url is None:
        yield None
        return
    limiter = RedisLimiter(redis_url, key_prefix=f"tim:{sdkappid}", rate_limit=rate_limit)
    try:
        await limiter.ping()
        yield limiter
    finally:
        await limiter.aclose()


__all__ = ["redis_url_from", "shared_limiter"]
