"""The one error of the emulated service: a refusal carrying the wire code."""

from __future__ import annotations


class ServiceError(Exception):
    """A request the service refuses: ``code`` and ``info`` go into the answer."""

    def __init__(self, code: int, info: str) -> None:
        super().__init__(f"{code}: {info}")
        self.code = code
        self.info = info
