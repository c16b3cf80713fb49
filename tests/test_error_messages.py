"""Every error class says each thing once: its own formatting (ApiError's ``command: ``
prefix, ``error CODE:``) never repeats a prefix the message already carries."""

from __future__ import annotations

import importlib
import inspect
import pickle
import pkgutil
import re
from typing import Any

import pytest

import tim_topics
import tim_topics.errors as errors_module
import tim_topics.webhooks.errors as webhook_errors_module
from tim_topics.errors import ApiError, TimTopicsError, api_error

COMMAND = "create_topic"
#: A message as the library writes them: the command first.
MESSAGE = f"{COMMAND}: the answer did not come within 6 s"
#: Typical values of the error classes' parameters, by parameter name.
TYPICAL: dict[str, Any] = {
    "code": 10004,
    "info": "parameter invalid",
    "command": COMMAND,
    "message": MESSAGE,
    "field": "topic_name",
    "status": 502,
    "sent": True,
    "topic_id": "@TGS#_@TGS#cQVLVHIM62CJ@TOPIC#_news",
    "fields": ["TopicName"],
}
#: "x: x: " or "error 10004: error 10004: ": a prefix said twice in a row.
DOUBLED = re.compile(r"(?<![\w.])((?:[\w.#@]+ )?[\w.#@]+: )\1")


def _all_error_classes() -> list[type[BaseException]]:
    """The classes of tim_topics.errors and tim_topics.webhooks.errors, and every
    TimTopicsError subclass anywhere in the package."""
    for info in pkgutil.walk_packages(tim_topics.__path__, "tim_topics."):
        if ".emulator." in info.name + "." or info.name.endswith("__main__"):
            continue
        try:
            importlib.import_module(info.name)
        except ImportError:  # an optional extra that is not installed
            continue
    found: dict[str, type[BaseException]] = {}
    for module in (errors_module, webhook_errors_module):
        for _, cls in inspect.getmembers(module, inspect.isclass):
            if issubclass(cls, BaseException) and cls.__module__ == module.__name__:
                found[f"{cls.__module__}.{cls.__qualname__}"] = cls
    pending: list[type[BaseException]] = [TimTopicsError]
    while pending:
        cls = pending.pop()
        found[f"{cls.__module__}.{cls.__qualname__}"] = cls
        pending.extend(cls.__subclasses__())
    return sorted(found.values(), key=lambda cls: f"{cls.__module__}.{cls.__qualname__}")


ERROR_CLASSES = _all_error_classes()


def construct(cls: type[BaseException]) -> BaseException:
    """``cls`` made with typical arguments for its parameters."""
    signature = inspect.signature(cls.__init__)
    args: list[Any] = []
    kwargs: dict[str, Any] = {}
    params = list(signature.parameters.values())[1:]  # self
    if all(p.kind in (p.VAR_POSITIONAL, p.VAR_KEYWORD) for p in params):
        return cls(MESSAGE)
    for param in params:
        if param.kind in (param.VAR_POSITIONAL, param.VAR_KEYWORD):
            continue
        if param.name in TYPICAL:
            value = TYPICAL[param.name]
        elif param.default is not param.empty:
            continue
        else:
            pytest.fail(f"no typical value for {cls.__qualname__}({param.name}=...)")
        if param.kind is param.KEYWORD_ONLY:
            kwargs[param.name] = value
        else:
            args.append(value)
    return cls(*args, **kwargs)


def check_said_once(text: str) -> None:
    assert DOUBLED.search(text) is None, text
    assert text.count(COMMAND) <= 1, text


def test_the_walk_finds_the_error_classes() -> None:
    names = {cls.__qualname__ for cls in ERROR_CLASSES}
    assert {"ApiError", "OutcomeUnknownError", "ValidationError", "WebhookParseError"} <= names
    assert len(ERROR_CLASSES) >= 20


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__qualname__)
def test_each_error_class_says_each_thing_once(cls: type[BaseException]) -> None:
    error = construct(cls)
    check_said_once(str(error))
    assert str(error)  # never an empty message
    if isinstance(error, ApiError):  # the class adds the command; it says it once
        assert str(error).startswith(f"{COMMAND}: error 10004")


@pytest.mark.parametrize(
    "code", [10002, 60008, 10006, 10010, 10004, 10021, 10016, 10150, 70001, 11000, 80001, 99999]
)
def test_service_errors_say_the_command_and_code_once(code: int) -> None:
    error = api_error(code, "the service's own text", COMMAND)
    check_said_once(str(error))
    assert str(error).count(str(code)) == 1
    assert str(api_error(code, "", None)) == f"error {code}"


def test_the_doubled_pattern_catches_doubling() -> None:
    assert DOUBLED.search("create_topic: create_topic: timed out")
    assert DOUBLED.search("x error 10004: error 10004: bad")
    assert DOUBLED.search("create_topic: error 10004: bad") is None


@pytest.mark.parametrize("cls", ERROR_CLASSES, ids=lambda cls: cls.__qualname__)
def test_each_error_pickles_whole(cls: type[BaseException]) -> None:
    """Errors cross process boundaries (multiprocessing, concurrent.futures) with their
    message, type and attributes."""
    error = construct(cls)
    copy = pickle.loads(pickle.dumps(error))
    assert type(copy) is cls
    assert str(copy) == str(error)
    assert vars(copy) == vars(error)
