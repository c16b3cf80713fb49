"""A Redis password never shows, whatever characters it holds and wherever it sits: not in
RedisLimiter's errors, repr or logs, not in ``tim-topics import``'s output; and the
command line refuses it in the authority and in the query."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import re
import shutil
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from urllib.parse import quote

import pytest
from support.constants import SDKAPPID

from tim_topics.errors import ValidationError
from tim_topics.redis_limiter import LimiterUnavailableError, RedisLimiter

#: Each run between the URL-special characters is long and unique, to spot partial leaks.
PASSWORDS = [
    "Zm9vYmFy/c2VjcmV0+bG9uZ2tleQ==",
    "Zm9vYmFy#c2VjcmV0?bG9uZ2tleQ",
    "Zm9vYmFy@c2VjcmV0:bG9uZ2tleQ%",
    "Zm9vYmFy/c2VjcmV0#aGVsbG8?d29ybGQ@cXVlcnk:dGVzdA&amp",
]


def pieces(password: str) -> list[str]:
    runs = re.split(r"[/#?@:%&;=+]", password)
    return [password, quote(password, safe=""), *[p for p in runs if len(p) >= 4]]


def assert_hidden(text: str, password: str) -> None:
    for piece in pieces(password):
        assert piece not in text, (piece, text)


def closed_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def urls(password: str, port: int) -> list[str]:
    """The password raw and percent-encoded, in the authority and in the query."""
    encoded = quote(password, safe="")
    return [
        f"redis://:{password}@127.0.0.1:{port}/0",
        f"redis://worker:{password}@127.0.0.1:{port}/0",
        f"redis://127.0.0.1:{port}/0?password={password}",
        f"redis://:{encoded}@127.0.0.1:{port}/0",
        f"redis://worker:{encoded}@127.0.0.1:{port}/0",
        f"redis://127.0.0.1:{port}/0?db=0&password={encoded}",
    ]


# --- RedisLimiter ---------------------------------------------------------------------


@pytest.mark.asyncio
@pytest.mark.parametrize("password", PASSWORDS)
async def test_redis_limiter_never_shows_the_password(
    password: str, caplog: pytest.LogCaptureFixture
) -> None:
    refused = used = 0
    for url in urls(password, closed_port()):
        try:
            limiter = RedisLimiter(url, key_prefix="p", timeout=1, fallback_divisor=2)
        except ValidationError as exc:  # raw '/ ? # @' in the password: refused up front
            refused += 1
            assert exc.field == "redis_url"
            assert "percent-encoded" in str(exc)
            assert_hidden(str(exc), password)
            continue
        used += 1
        try:
            assert_hidden(repr(limiter), password)
            assert_hidden(limiter.redis_url, password)
            with pytest.raises(LimiterUnavailableError) as caught:
                await limiter.ping()
            assert_hidden(str(caught.value), password)
            assert "127.0.0.1" in str(caught.value)
            with caplog.at_level(logging.WARNING, logger="tim_topics.redis_limiter"):
                await limiter.acquire("get_topic")  # falls back, with one warning
            assert limiter.using_fallback
        finally:
            await limiter.aclose()
    assert used >= 2  # the percent-encoded ones work
    assert caplog.records
    assert_hidden(caplog.text, password)
    if any(char in password for char in "/#?"):
        assert refused >= 2


def test_without_fallback_the_error_hides_the_password() -> None:
    password = PASSWORDS[3]
    url = f"redis://:{quote(password, safe='')}@127.0.0.1:{closed_port()}/0"

    async def main() -> str:
        limiter = RedisLimiter(url, key_prefix="p", timeout=1)
        try:
            with pytest.raises(LimiterUnavailableError) as caught:
                await limiter.acquire("get_topic")
            return str(caught.value)
        finally:
            await limiter.aclose()

    message = asyncio.run(main())
    assert_hidden(message, password)
    assert ":***@127.0.0.1" in message


@pytest.mark.parametrize(
    "url",
    [
        "http://:{pw}@127.0.0.1:6379/0",
        "redis://:{pw}@127.0.0.1:port/0",
        "redis://h/0?password={pw}&db=notanumber",
    ],
)
def test_urls_redis_py_refuses_hide_the_password(url: str) -> None:
    password = quote(PASSWORDS[0], safe="")
    with pytest.raises(ValidationError) as caught:
        RedisLimiter(url.format(pw=password), key_prefix="p")
    assert caught.value.field == "redis_url"
    assert_hidden(str(caught.value), PASSWORDS[0])


# --- a real Redis with a password full of URL-special characters ----------------------


SERVER_PASSWORD = "Zm9vYmFy/c2VjcmV0#aGVsbG8?d29ybGQ@cXVlcnk:dGVzdA%"


def _command(*words: str) -> bytes:
    """One Redis command in the wire protocol (RESP)."""
    parts = [f"*{len(words)}\r\n".encode()]
    for word in words:
        raw = word.encode()
        parts.append(b"$%d\r\n%s\r\n" % (len(raw), raw))
    return b"".join(parts)


@pytest.fixture(scope="module")
def protected_redis() -> Iterator[int]:
    """A redis-server on loopback that requires :data:`SERVER_PASSWORD` (set with CONFIG
    SET, so the password is never on a command line)."""
    binary = shutil.which("redis-server")
    if binary is None:
        if os.environ.get("CI") == "true":
            pytest.fail("redis-server is not installed")
        pytest.skip("redis-server is not installed")
    port = closed_port()
    server = subprocess.Popen(
        [binary, "--port", str(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 10
        while True:
            try:
                with socket.create_connection(("127.0.0.1", port), timeout=0.5) as sock:
                    sock.sendall(_command("CONFIG", "SET", "requirepass", SERVER_PASSWORD))
                    if sock.recv(64).startswith(b"+OK"):
                        break
            except OSError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                pytest.fail("redis-server did not start")
            time.sleep(0.05)
        yield port
    finally:
        server.terminate()
        try:
            server.wait(5)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()


@pytest.mark.asyncio
async def test_a_percent_encoded_password_reaches_redis(protected_redis: int) -> None:
    encoded = quote(SERVER_PASSWORD, safe="")
    for url in (
        f"redis://:{encoded}@127.0.0.1:{protected_redis}/0",
        f"redis://127.0.0.1:{protected_redis}/0?password={encoded}",
    ):
        limiter = RedisLimiter(url, key_prefix="secrets-test", timeout=2)
        try:
            await limiter.ping()
            await limiter.acquire("get_topic")
            assert not limiter.using_fallback
        finally:
            await limiter.aclose()


@pytest.mark.asyncio
async def test_a_wrong_password_is_an_error_without_either_password(
    protected_redis: int,
) -> None:
    wrong = "d3Jvbmc/cGFzc3dvcmQ#eHl6"
    url = f"redis://:{quote(wrong, safe='')}@127.0.0.1:{protected_redis}/0"
    limiter = RedisLimiter(url, key_prefix="secrets-test", timeout=2)
    try:
        with pytest.raises(LimiterUnavailableError) as caught:
            await limiter.ping()
    finally:
        await limiter.aclose()
    assert_hidden(str(caught.value), wrong)
    assert_hidden(str(caught.value), SERVER_PASSWORD)


# --- tim-topics import ----------------------------------------------------------------


def run_import(tmp_path: Path, *args: str, redis_env: str | None = None) -> tuple[int, str]:
    source = tmp_path / "topics.jsonl"
    source.write_text(json.dumps({"GroupId": "@TGS#_g", "TopicName": "t"}) + "\n")
    env = {k: v for k, v in os.environ.items() if not k.startswith("TIM_")}
    env.update(
        TIM_SDKAPPID=str(SDKAPPID), TIM_SECRET_KEY="k-3f9a", TIM_BASE_URL="http://127.0.0.1:9"
    )
    if redis_env is not None:
        env["TIM_REDIS_URL"] = redis_env
    done = subprocess.run(
        [sys.executable, "-m", "tim_topics.cli.main", "import", str(source), *args],
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    return done.returncode, done.stdout + done.stderr


@pytest.mark.parametrize(
    "url",
    [
        "redis://:{pw}@127.0.0.1:6379/0",
        "redis://worker:{pw}@127.0.0.1:6379/0",
        "redis://127.0.0.1:6379/0?password={pw}",
        "redis://127.0.0.1:6379/0?db=0&password={pw}",
    ],
)
@pytest.mark.parametrize("encode", [False, True])
def test_the_command_line_refuses_a_password_anywhere(
    tmp_path: Path, url: str, encode: bool
) -> None:
    password = PASSWORDS[3]
    written = quote(password, safe="") if encode else password
    code, output = run_import(tmp_path, "--redis-url", url.format(pw=written))
    assert code == 2, output
    assert "TIM_REDIS_URL" in output
    assert_hidden(output, password)
    assert not (tmp_path / "topics.jsonl.journal").exists()  # nothing started


@pytest.mark.parametrize("password", [PASSWORDS[0], PASSWORDS[1], PASSWORDS[3]])
def test_an_unusable_tim_redis_url_is_a_bad_environment(tmp_path: Path, password: str) -> None:
    code, output = run_import(tmp_path, redis_env=f"redis://:{password}@127.0.0.1:6379/0")
    assert code == 2, output
    assert "TIM_REDIS_URL" in output and "percent-encoded" in output
    assert_hidden(output, password)


def test_an_unreachable_tim_redis_url_hides_an_encoded_password(tmp_path: Path) -> None:
    password = PASSWORDS[3]
    url = f"redis://:{quote(password, safe='')}@127.0.0.1:{closed_port()}/0"
    code, output = run_import(tmp_path, redis_env=url)
    assert code == 2, output
    assert_hidden(output, password)
    assert ":***@127.0.0.1" in output
