"""``tim-topics get|create|modify|destroy``: one call each, the answer printed as JSON.

The JSON uses the service's own key names (``TopicId``, ``TopicAndSelfInfo``, ...), so it
reads like the API pages. Exit status: 0 on success, 1 when the service refused the call (or
a topic of it), 2 for bad arguments or environment.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
from collections.abc import Awaitable, Callable
from typing import Any

from ..client import TopicClient
from ..errors import TimTopicsError, ValidationError
from ..request_builder import FILTERABLE_FIELDS
from ..wire import to_wire
from .env import ENV_HELP, EnvError, credentials_from_env, make_client
from .exits import EXIT_FAILURES, EXIT_OK, EXIT_USAGE, fail, say

Answer = tuple[Any, int]
"""The JSON to print and the exit status."""


def _print_json(value: Any) -> None:
    print(json.dumps(value, ensure_ascii=False, indent=2), flush=True)


def _call(name: str, action: Callable[[TopicClient], Awaitable[Answer]]) -> int:
    """Run one call with a client from the environment; print its answer or the error."""
    try:
        credentials = credentials_from_env(os.environ)
    except EnvError as exc:
        return fail(name, exc)

    async def main() -> Answer:
        async with make_client(credentials) as client:
            return await action(client)

    try:
        value, status = asyncio.run(main())
    except (ValidationError, EnvError) as exc:
        return fail(name, exc)
    except TimTopicsError as exc:
        return fail(name, exc, EXIT_FAILURES)
    _print_json(value)
    return status


def _add_profile_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--from-account", help="the member acting (From_Account)")
    parser.add_argument("--face-url", help="URL of the topic's photo (FaceUrl)")
    parser.add_argument("--notification", help="the topic's notice (Notification)")
    parser.add_argument("--introduction", help="the topic's introduction (Introduction)")
    parser.add_argument("--custom-string", help="a custom string (CustomString)")


# -- get ------------------------------------------------------------------------------------------


def _run_get(args: argparse.Namespace) -> int:
    async def action(client: TopicClient) -> Answer:
        results = await client.get_topic(
            args.group_id,
            from_account=args.from_account,
            topic_ids=args.topic_id,
            response_filter=args.field,
        )
        status = EXIT_OK if all(result.ok for result in results) else EXIT_FAILURES
        return {"TopicAndSelfInfo": [to_wire(result) for result in results]}, status

    return _call("get", action)


# -- create ---------------------------------------------------------------------------------------


def _run_create(args: argparse.Namespace) -> int:
    async def action(client: TopicClient) -> Answer:
        topic_id = await client.create_topic(
            args.group_id,
            args.name,
            topic_id=args.topic_id,
            from_account=args.from_account,
            custom_string=args.custom_string,
            face_url=args.face_url,
            notification=args.notification,
            introduction=args.introduction,
        )
        return {"GroupId": args.group_id, "TopicId": topic_id}, EXIT_OK

    return _call("create", action)


# -- modify ---------------------------------------------------------------------------------------


def _run_modify(args: argparse.Namespace) -> int:
    async def action(client: TopicClient) -> Answer:
        mute = None if args.mute_all is None else args.mute_all == "on"
        await client.modify_topic(
            args.group_id,
            args.topic_id,
            topic_name=args.name,
            from_account=args.from_account,
            face_url=args.face_url,
            notification=args.notification,
            introduction=args.introduction,
            custom_string=args.custom_string,
            mute_all_member=mute,
        )
        return {"GroupId": args.group_id, "TopicId": args.topic_id, "Modified": True}, EXIT_OK

    return _call("modify", action)


# -- destroy --------------------------------------------------------------------------------------


def _run_destroy(args: argparse.Namespace) -> int:
    if not args.yes:
        say("destroy", "deleting topics cannot be undone: add --yes to confirm")
        return EXIT_USAGE

    async def action(client: TopicClient) -> Answer:
        results = await client.destroy_topic(args.group_id, args.topic_id)
        status = EXIT_OK if all(result.ok for result in results) else EXIT_FAILURES
        return {"DestroyResultItem": [to_wire(result) for result in results]}, status

    return _call("destroy", action)


# -- registration ---------------------------------------------------------------------------------


def register(subparsers: Any) -> None:
    """Add the ``get``, ``create``, ``modify`` and ``destroy`` subcommands."""
    get = subparsers.add_parser(
        "get",
        help="read topics of a group (get_topic)",
        description="Print topics of a community as JSON. " + ENV_HELP,
    )
    get.add_argument("--group-id", required=True, help="the community (@TGS#_...)")
    get.add_argument(
        "--topic-id", action="append", help="a topic to read; repeat for more (default: all)"
    )
    get.add_argument(
        "--field",
        action="append",
        choices=FILTERABLE_FIELDS,
        help="return only these fields; repeat for more",
    )
    get.add_argument("--from-account", help="whose SelfInfo to read (default: the admin)")
    get.set_defaults(run=_run_get)

    create = subparsers.add_parser(
        "create",
        help="create one topic (create_topic)",
        description="Create a topic and print its ID as JSON. " + ENV_HELP,
    )
    create.add_argument("--group-id", required=True, help="the community (@TGS#_...)")
    create.add_argument("--name", required=True, help="the topic's name (TopicName)")
    create.add_argument("--topic-id", help="a custom topic ID (GroupId@TOPIC#_part)")
    _add_profile_options(create)
    create.set_defaults(run=_run_create)

    modify = subparsers.add_parser(
        "modify",
        help="change a topic's profile (modify_topic)",
        description="Change the given fields of a topic. " + ENV_HELP,
    )
    modify.add_argument("--group-id", required=True, help="the community (@TGS#_...)")
    modify.add_argument("--topic-id", required=True, help="the topic to change")
    modify.add_argument("--name", help="a new name (TopicName)")
    modify.add_argument("--mute-all", choices=("on", "off"), help="mute all members, or not")
    _add_profile_options(modify)
    modify.set_defaults(run=_run_modify)

    destroy = subparsers.add_parser(
        "destroy",
        help="delete topics (destroy_topic; cannot be undone)",
        description="Delete topics of a community; needs --yes. " + ENV_HELP,
    )
    destroy.add_argument("--group-id", required=True, help="the community (@TGS#_...)")
    destroy.add_argument(
        "--topic-id", action="append", required=True, help="a topic to delete; repeat for more"
    )
    destroy.add_argument("--yes", action="store_true", help="confirm: deletion cannot be undone")
    destroy.set_defaults(run=_run_destroy)
