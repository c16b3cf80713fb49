"""What importing the package loads: the client side only. The emulator (a server), the
command line, the webhook router and ``aiohttp.web`` load when first used."""

from __future__ import annotations

import subprocess
import sys

import tim_topics

NOT_AT_IMPORT = ("tim_topics.emulator", "tim_topics.cli", "tim_topics.webhooks.router")


def loaded_after(statement: str) -> set[str]:
    script = f"import sys\n{statement}\nprint('\\n'.join(sorted(sys.modules)))"
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, timeout=60, check=True
    )
    return set(done.stdout.split())


def is_server_side(module: str) -> bool:
    return module == "aiohttp.web" or any(
        module == name or module.startswith(name + ".") for name in NOT_AT_IMPORT
    )


def test_importing_the_package_loads_no_server_side() -> None:
    modules = loaded_after("import tim_topics")
    assert sorted(m for m in modules if is_server_side(m)) == []
    assert "tim_topics.client" in modules


def test_the_check_would_see_a_server_module() -> None:
    assert is_server_side("tim_topics.emulator.app") and is_server_side("aiohttp.web")
    assert not is_server_side("tim_topics.client") and not is_server_side("aiohttp.web_log")


def test_the_router_loads_only_when_used() -> None:
    modules = loaded_after("import tim_topics.webhooks")
    assert "tim_topics.webhooks.router" not in modules and "aiohttp.web" not in modules
    modules = loaded_after("from tim_topics import WebhookRouter")
    assert "tim_topics.webhooks.router" in modules


def test_lazy_names_are_exported_and_listed() -> None:
    for name in ("Emulator", "EmulatorStats", "CommandStats", "WebhookRouter"):
        assert name in tim_topics.__all__
        assert name in dir(tim_topics)
        assert getattr(tim_topics, name).__name__ == name
