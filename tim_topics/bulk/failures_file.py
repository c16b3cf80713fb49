"""The failures file: the records that failed, as they were in the input, for the user to
fix and import again (the importer does not send them again itself)."""

from __future__ import annotations

import os
from pathlib import Path

from .journal import Journal


def write_failures(journal: Journal, path: Path, header: bytes | None) -> int:
    """Write every failed record, as it was in the input and in input order, to ``path``
    (atomically: a temporary file renamed over it); returns how many. With none, a failures
    file of an earlier run is removed, since its records are now imported."""
    temporary = path.with_name(path.name + ".tmp")
    written = 0
    with temporary.open("wb") as handle:
        if header is not None:
            handle.write(header if header.endswith(b"\n") else header + b"\n")
        for row in journal.failures():
            if row.raw is None:
                continue
            handle.write(row.raw if row.raw.endswith(b"\n") else row.raw + b"\n")
            written += 1
    if written:
        os.replace(temporary, path)
    else:
        temporary.unlink()
        path.unlink(missing_ok=True)
    return written
