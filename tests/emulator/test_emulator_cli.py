"""``tim-topics emulator``: argument checks in process, and the real command as a subprocess
(start, read the URL line, one request, the stats over GET /stats, SIGTERM, the summary,
exit 0)."""

from __future__ import annotations

import argparse
import asyncio
import os
import signal

import aiohttp
import pytest
from support.constants import GROUP, SDKAPPID, SECRET
from support.emulator_calls import PATHS, query, valid_sig
from support.emulator_process import WAIT, read_url, start_emulator_command

from tim_topics.cli.emulator_cmd import build_emulator
from tim_topics.cli.main import build_parser


def parse(*argv: str) -> argparse.Namespace:
    return build_parser().parse_args(["emulator", *argv])


def test_arguments_make_the_emulator() -> None:
    args = parse(
        "--sdkappid",
        str(SDKAPPID),
        "--group",
        GROUP,
        "--group",
        "@TGS#_@TGS#cSECOND",
        "--group-without-topics",
        "@TGS#_@TGS#cPLAIN",
        "--rate-limit",
        "50",
        "--error-rate",
        "10002=0.05",
        "--error-rate",
        "70001=0.01",
        "--http-502-rate",
        "0.02",
        "--drop-before-rate",
        "0.01",
        "--drop-after-rate",
        "0.03",
        "--latency-ms",
        "50",
        "--jitter-ms",
        "20",
        "--seed",
        "1",
    )
    emu = build_emulator(args, {"TIM_SECRET_KEY": SECRET})
    assert emu.sdkappid == SDKAPPID and emu.identifier == "administrator"
    assert set(emu.backend.group_ids()) == {GROUP, "@TGS#_@TGS#cSECOND", "@TGS#_@TGS#cPLAIN"}
    assert not emu.backend.group("@TGS#_@TGS#cPLAIN").topics_enabled
    assert set(emu.rate_limits.values()) == {50}
    faults = emu.faults
    assert dict(faults.error_rate) == {10002: 0.05, 70001: 0.01}
    assert (faults.http_502_rate, faults.drop_before_rate, faults.drop_after_rate) == (
        0.02,
        0.01,
        0.03,
    )
    assert (faults.latency_ms, faults.jitter_ms, faults.seed) == (50, 20, 1)


@pytest.mark.asyncio
async def test_the_key_on_the_command_line_wins_over_the_environment() -> None:
    args = parse("--sdkappid", str(SDKAPPID), "--group", GROUP, "--secret-key", "from-argv")
    async with (
        build_emulator(args, {"TIM_SECRET_KEY": "from-env"}) as emu,
        aiohttp.ClientSession() as http,
    ):
        codes = []
        for key in ("from-argv", "from-env"):
            async with http.post(
                emu.url + PATHS["get_topic"],
                params=query(usersig=valid_sig(key=key)),
                json={"GroupId": GROUP, "From_Account": "u"},
            ) as response:
                codes.append((await response.json())["ErrorCode"])
    assert codes == [0, 70009]


def test_a_missing_secret_key_is_a_clear_error() -> None:
    with pytest.raises(ValueError, match="TIM_SECRET_KEY"):
        build_emulator(parse("--sdkappid", str(SDKAPPID), "--group", GROUP), {})


def test_a_repeated_error_code_is_refused() -> None:
    args = parse(
        "--sdkappid", "1", "--group", GROUP, "--error-rate", "1=0.1", "--error-rate", "1=0.2"
    )
    with pytest.raises(ValueError, match="code 1 more than once"):
        build_emulator(args, {"TIM_SECRET_KEY": SECRET})


def test_rates_adding_up_past_one_are_refused() -> None:
    args = parse(
        "--sdkappid", "1", "--group", GROUP, "--http-502-rate", "0.6", "--drop-after-rate", "0.6"
    )
    with pytest.raises(ValueError, match=r"add up to 1\.2"):
        build_emulator(args, {"TIM_SECRET_KEY": SECRET})


def test_stall_arguments_plan_a_stall() -> None:
    args = parse(
        "--sdkappid",
        str(SDKAPPID),
        "--group",
        GROUP,
        "--latency-ms",
        "300",
        "--stall-ms",
        "2250",
        "--stall-jitter-ms",
        "250",
        "--stall-seconds",
        "5",
        "--stall-after",
        "10",
    )
    emu = build_emulator(args, {"TIM_SECRET_KEY": SECRET})
    stall = emu.stall_plan
    assert stall is not None
    assert (stall.latency_ms, stall.jitter_ms, stall.commands) == (2250, 250, None)
    assert stall.ends_at - stall.starts_at == pytest.approx(5)
    assert emu.faults.latency_ms == 300  # the latency after the stall
    plain = build_emulator(
        parse("--sdkappid", str(SDKAPPID), "--group", GROUP), {"TIM_SECRET_KEY": SECRET}
    )
    assert plain.stall_plan is None


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--stall-ms", "2000"], "needs both --stall-ms and --stall-seconds"),
        (["--stall-seconds", "3"], "needs both --stall-ms and --stall-seconds"),
        (["--stall-after", "3"], "need --stall-ms and --stall-seconds"),
    ],
)
def test_a_half_given_stall_is_refused(argv: list[str], message: str) -> None:
    args = parse("--sdkappid", str(SDKAPPID), "--group", GROUP, *argv)
    with pytest.raises(ValueError, match=message):
        build_emulator(args, {"TIM_SECRET_KEY": SECRET})


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["--group", GROUP], "--sdkappid"),
        (["--sdkappid", str(SDKAPPID)], "--group"),
        (["--sdkappid", "0", "--group", GROUP], "0 must be above 0"),
        (["--sdkappid", "abc", "--group", GROUP], "'abc' is not an integer"),
        (["--sdkappid", "1", "--group", GROUP, "--port", "99999"], "outside 0 to 65535"),
        (["--sdkappid", "1", "--group", GROUP, "--error-rate", "10002"], "is not CODE=RATE"),
        (["--sdkappid", "1", "--group", GROUP, "--error-rate", "x=0.1"], "is not an integer"),
        (["--sdkappid", "1", "--group", GROUP, "--error-rate", "0=0.1"], "0 means success"),
        (["--sdkappid", "1", "--group", GROUP, "--error-rate", "1=2"], "outside 0 to 1"),
        (["--sdkappid", "1", "--group", GROUP, "--latency-ms", "-5"], "outside 0 to 60000"),
        (["--sdkappid", "1", "--group", GROUP, "--jitter-ms", "x"], "not a number"),
        (["--sdkappid", "1", "--group", GROUP, "--stall-ms", "60000"], "outside 0 to 60000"),
        (["--sdkappid", "1", "--group", GROUP, "--stall-seconds", "0"], "outside 0 to 86400"),
        (["--sdkappid", "1", "--group", GROUP, "--stall-after", "-1"], "outside 0 to 86400"),
    ],
)
def test_bad_arguments_are_named(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        parse(*argv)
    assert caught.value.code == 2
    assert message in capsys.readouterr().err


@pytest.mark.asyncio
async def test_the_command_serves_until_sigterm() -> None:
    process = await start_emulator_command()  # the key from $TIM_SECRET_KEY
    try:
        url = await read_url(process)
        async with aiohttp.ClientSession() as http:
            async with http.post(
                url + PATHS["create_topic"],
                params=query(),
                json={"GroupId": GROUP, "TopicName": "from-cli"},
            ) as response:
                answer = await response.json()
            async with http.get(url + "/stats") as response:
                shown = await response.json()
        assert answer["ErrorCode"] == 0
        assert shown["commands"]["create_topic"]["answers"] == {"0": 1}
        assert shown["calls"] == 1 and shown["commands"]["get_topic"]["calls"] == 0
        process.send_signal(signal.SIGTERM)
        stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
        assert process.returncode == 0, stderr.decode()
        # Nothing but the summary follows the URL line: a header, the five commands, totals.
        lines = stdout.decode().splitlines()
        assert lines[0].split() == ["command", "calls", "ok", "10006", "faults", "peak/s"]
        assert lines[1].split() == ["create_topic", "1", "1", "0", "0", "1"]
        assert lines[-1].split() == ["total", "1", "1", "0", "0", "1"]
        assert len(lines) == 7
        assert SECRET.encode() not in stderr
    finally:
        if process.returncode is None:
            process.kill()
            await process.wait()


@pytest.mark.asyncio
async def test_the_command_reports_a_missing_key() -> None:
    env = {key: value for key, value in os.environ.items() if key != "TIM_SECRET_KEY"}
    process = await start_emulator_command(env=env)
    stdout, stderr = await asyncio.wait_for(process.communicate(), WAIT)
    assert process.returncode == 2
    assert b"TIM_SECRET_KEY" in stderr and stdout == b""
