"""``tim-topics emulator``: serve the local topic emulator until interrupted.

Prints one line, ``Emulator listening on http://HOST:PORT``, once it serves, and stops
cleanly (exit 0) on Ctrl-C or SIGTERM, printing a per-command summary of what it saw (calls,
answers OK, 10006 answers, injected faults, busiest second). While it runs, ``GET /stats``
on the same address answers the stats as JSON. ``--stall-ms MS --stall-seconds S`` plays a
service that stalls: calls arriving in the first S seconds (or S seconds from
``--stall-after`` seconds after startup) take MS milliseconds, then the ``--latency-ms``
ones again. The secret key (and the webhook token) should come from the environment, so
that they do not show in process listings.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import signal
from collections.abc import Mapping
from typing import Any

from ..emulator import Emulator, FaultRates
from ..emulator.report import summary_lines
from .arguments import bounded, milliseconds, port, positive_int, share
from .env import SECRET_KEY_ENV
from .exits import EXIT_FAILURES, EXIT_OK, EXIT_USAGE, fail

WEBHOOK_TOKEN_ENV = "TIM_WEBHOOK_TOKEN"
#: The longest stall, and the furthest ahead one can start: a day.
MAX_STALL_SECONDS = 86_400

stall_seconds = bounded(float, low=0, low_excluded=True, high=MAX_STALL_SECONDS, label="seconds ")
stall_delay = bounded(float, low=0, high=MAX_STALL_SECONDS, label="seconds ")


def _error_rate(text: str) -> tuple[int, float]:
    code_text, sep, rate_text = text.partition("=")
    if not sep:
        raise argparse.ArgumentTypeError(f"{text!r} is not CODE=RATE (e.g. 10002=0.05)")
    try:
        code = int(code_text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"error code {code_text!r} is not an integer") from None
    if code == 0:
        raise argparse.ArgumentTypeError("error code 0 means success; give a failing code")
    return code, share(rate_text)


def register(subparsers: Any) -> None:
    """Add the ``emulator`` subcommand."""
    parser: argparse.ArgumentParser = subparsers.add_parser(
        "emulator",
        help="serve a local emulator of the topic commands",
        description=(
            "Serve a local, in-memory emulator of the five topic commands (create, destroy, "
            "get, modify, import) until Ctrl-C or SIGTERM. It checks UserSigs, enforces the "
            "per-command rate limit over any sliding second, and can inject faults. "
            "GET /stats shows its stats as JSON while it runs; it prints a summary when it "
            "stops. "
            f"The secret key is read from ${SECRET_KEY_ENV} when --secret-key is not given "
            "(preferred: a key on the command line shows in process listings)."
        ),
    )
    server = parser.add_argument_group("server")
    server.add_argument(
        "--host", default="127.0.0.1", help="address to bind (default: %(default)s)"
    )
    server.add_argument(
        "--port", type=port, default=0, help="port to bind; 0 picks a free one (default: 0)"
    )
    app = parser.add_argument_group("app")
    app.add_argument("--sdkappid", type=positive_int, required=True, help="the app's SDKAppID")
    app.add_argument(
        "--secret-key",
        metavar="KEY",
        help=f"the app's secret key (default: ${SECRET_KEY_ENV}, which is preferred)",
    )
    app.add_argument(
        "--identifier", default="administrator", help="the app admin account (default: %(default)s)"
    )
    app.add_argument(
        "--group",
        action="append",
        required=True,
        metavar="GROUP_ID",
        help="a topic-enabled community group (@TGS#_...); repeat for more",
    )
    app.add_argument(
        "--group-without-topics",
        action="append",
        default=[],
        metavar="GROUP_ID",
        help="a group that does not support topics (its topic commands get 11000)",
    )
    app.add_argument(
        "--rate-limit",
        type=positive_int,
        default=200,
        help="calls per command in any sliding second (default: %(default)s)",
    )
    app.add_argument(
        "--webhook-url",
        metavar="URL",
        help=f"send the topic webhooks to URL (token from ${WEBHOOK_TOKEN_ENV}, if set)",
    )
    faults = parser.add_argument_group("faults (per admitted call; reproducible with --seed)")
    faults.add_argument(
        "--error-rate",
        type=_error_rate,
        action="append",
        default=[],
        metavar="CODE=RATE",
        help="answer ErrorCode CODE with probability RATE; repeat for more codes",
    )
    faults.add_argument(
        "--http-502-rate",
        type=share,
        default=0.0,
        metavar="RATE",
        help="answer HTTP 502 with an HTML page (a gateway fault)",
    )
    faults.add_argument(
        "--drop-before-rate",
        type=share,
        default=0.0,
        metavar="RATE",
        help="close the connection without answering, before the work (nothing changes)",
    )
    faults.add_argument(
        "--drop-after-rate",
        type=share,
        default=0.0,
        metavar="RATE",
        help="close the connection without answering, after the work (the change is made)",
    )
    faults.add_argument(
        "--latency-ms",
        type=milliseconds,
        default=0.0,
        metavar="MS",
        help="processing time added to each admitted call",
    )
    faults.add_argument(
        "--jitter-ms",
        type=milliseconds,
        default=0.0,
        metavar="MS",
        help="the latency varies uniformly by up to +-MS",
    )
    faults.add_argument("--seed", type=int, default=None, help="seed of the fault generator")
    stall = parser.add_argument_group(
        "stall (a slow spell, then the latency above again; needs --stall-ms and --stall-seconds)"
    )
    stall.add_argument(
        "--stall-ms",
        type=milliseconds,
        metavar="MS",
        help="processing time of each call arriving during the stall",
    )
    stall.add_argument(
        "--stall-jitter-ms",
        type=milliseconds,
        default=0.0,
        metavar="MS",
        help="the stall's latency varies uniformly by up to +-MS (default 0)",
    )
    stall.add_argument(
        "--stall-seconds", type=stall_seconds, metavar="S", help="how long the stall lasts"
    )
    stall.add_argument(
        "--stall-after",
        type=stall_delay,
        default=0.0,
        metavar="S",
        help="start the stall S seconds after startup (default 0: at startup)",
    )
    parser.set_defaults(run=run)


def build_emulator(args: argparse.Namespace, environ: Mapping[str, str]) -> Emulator:
    """The emulator the arguments describe; ValueError with a clear message if they do not
    make one."""
    secret_key = args.secret_key or environ.get(SECRET_KEY_ENV)
    if not secret_key:
        raise ValueError(f"the secret key is missing: set ${SECRET_KEY_ENV} or pass --secret-key")
    token = environ.get(WEBHOOK_TOKEN_ENV) or None
    if token is not None and args.webhook_url is None:
        token = None  # the variable may be set for other tools; without a URL it is unused
    codes = [code for code, _ in args.error_rate]
    repeated = sorted({code for code in codes if codes.count(code) > 1})
    if repeated:
        raise ValueError(f"--error-rate gives code {repeated[0]} more than once")
    if (args.stall_ms is None) != (args.stall_seconds is None):
        raise ValueError("a stall needs both --stall-ms and --stall-seconds")
    if args.stall_ms is None and (args.stall_jitter_ms or args.stall_after):
        raise ValueError("--stall-jitter-ms and --stall-after need --stall-ms and --stall-seconds")
    emulator = Emulator(
        sdkappid=args.sdkappid,
        secret_key=secret_key,
        identifier=args.identifier,
        rate_limit=args.rate_limit,
        groups=args.group,
        host=args.host,
        port=args.port,
        webhook_url=args.webhook_url,
        webhook_token=token,
    )
    for group_id in args.group_without_topics:
        emulator.add_group(group_id, topics=False)
    emulator.set_faults(
        FaultRates(
            error_rate=dict(args.error_rate),
            http_502_rate=args.http_502_rate,
            drop_before_rate=args.drop_before_rate,
            drop_after_rate=args.drop_after_rate,
            latency_ms=args.latency_ms,
            jitter_ms=args.jitter_ms,
            seed=args.seed,
        )
    )
    if args.stall_ms is not None:
        emulator.stall(
            args.stall_ms,
            seconds=args.stall_seconds,
            jitter_ms=args.stall_jitter_ms,
            after=args.stall_after,
        )
    return emulator


async def serve(emulator: Emulator) -> None:
    """Serve until SIGINT or SIGTERM, then print the stats' summary."""
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    handled: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        try:
            loop.add_signal_handler(sig, stop.set)
            handled.append(sig)
        except (NotImplementedError, RuntimeError):  # pragma: no cover - not on POSIX
            pass
    try:
        async with emulator:
            print(f"Emulator listening on {emulator.url}", flush=True)
            await stop.wait()
        print("\n".join(summary_lines(emulator.stats)), flush=True)
    finally:
        for sig in handled:
            loop.remove_signal_handler(sig)


def run(args: argparse.Namespace) -> int:
    try:
        emulator = build_emulator(args, os.environ)
    except ValueError as exc:
        return fail("emulator", exc, EXIT_USAGE)
    try:
        asyncio.run(serve(emulator))
    except KeyboardInterrupt:  # pragma: no cover - only where signal handlers are missing
        return EXIT_OK
    except OSError as exc:
        return fail("emulator", f"cannot serve: {exc}", EXIT_FAILURES)
    return EXIT_OK
