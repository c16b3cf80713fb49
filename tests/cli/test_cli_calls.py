"""``tim-topics get|create|modify|destroy``: one call each, JSON out, exit status."""

from __future__ import annotations

import json

from support.cli import EmulatorThread, run_cli
from support.constants import GROUP


def test_create_get_modify_destroy() -> None:
    with EmulatorThread(rate_limit=1000) as emu:
        env = emu.environment()
        created = run_cli(
            ["create", "--group-id", GROUP, "--name", "公告", "--introduction", "hello"], env
        )
        assert created.returncode == 0, created.stderr
        topic_id = json.loads(created.stdout)["TopicId"]
        assert topic_id.startswith(GROUP + "@TOPIC#_@TOPIC#")

        modified = run_cli(
            [
                "modify",
                "--group-id",
                GROUP,
                "--topic-id",
                topic_id,
                "--name",
                "news",
                "--mute-all",
                "on",
            ],
            env,
        )
        assert modified.returncode == 0, modified.stderr
        assert json.loads(modified.stdout)["Modified"] is True

        got = run_cli(["get", "--group-id", GROUP, "--field", "topic_name"], env)
        assert got.returncode == 0, got.stderr
        [item] = json.loads(got.stdout)["TopicAndSelfInfo"]
        assert item["TopicInfo"] == {"TopicId": topic_id, "GroupID": GROUP, "TopicName": "news"}

        refused = run_cli(["destroy", "--group-id", GROUP, "--topic-id", topic_id], env)
        assert refused.returncode == 2
        assert "--yes" in refused.stderr
        destroyed = run_cli(["destroy", "--group-id", GROUP, "--topic-id", topic_id, "--yes"], env)
        assert destroyed.returncode == 0, destroyed.stderr
        [result] = json.loads(destroyed.stdout)["DestroyResultItem"]
        assert result["TopicId"] == topic_id and result["ErrorCode"] == 0
        assert emu.count() == 0

        again = run_cli(["destroy", "--group-id", GROUP, "--topic-id", topic_id, "--yes"], env)
        assert again.returncode == 1
        assert json.loads(again.stdout)["DestroyResultItem"][0]["ErrorCode"] == 110003


def test_errors_go_to_stderr_with_their_exit_status() -> None:
    with EmulatorThread() as emu:
        env = emu.environment()
        invalid = run_cli(["create", "--group-id", GROUP, "--name", "x" * 31], env)
        assert invalid.returncode == 2
        assert "topic_name is 31 bytes, the limit is 30" in invalid.stderr
        missing = run_cli(["get", "--group-id", "@TGS#_@TGS#cNOSUCHGROUP"], env)
        assert missing.returncode == 1
        assert "10010" in missing.stderr
        assert env["TIM_SECRET_KEY"] not in missing.stderr + missing.stdout
