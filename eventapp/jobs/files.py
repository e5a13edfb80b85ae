"""Where job results live: ``<instance>/jobs/``, readable by the service's user only."""

from __future__ import annotations

import os
import secrets
from collections.abc import Iterator
from pathlib import Path

from flask import current_app


def directory() -> Path:
    path = Path(current_app.instance_path) / "jobs"
    path.mkdir(mode=0o700, parents=True, exist_ok=True)
    return path


def new_name(job_id: int, extension: str) -> str:
    """A file name nobody can guess from the job's id (files are only served by the app)."""
    return f"{job_id}-{secrets.token_hex(8)}.{extension}"


def path_of(name: str) -> Path:
    # Names are made by ``new_name``; refuse anything that could leave the folder.
    if "/" in name or "\\" in name or name.startswith("."):
        raise ValueError(f"bad job file name {name!r}")
    return directory() / name


def open_for_writing(name: str):
    """A new file, mode 0600, written under a temporary name and moved into place by ``publish``."""
    temporary = path_of(name + ".part")
    descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    return os.fdopen(descriptor, "wb")


def publish(name: str) -> int:
    """Move the finished file into place; returns its size."""
    final = path_of(name)
    os.replace(path_of(name + ".part"), final)
    return final.stat().st_size


def chunks(path: Path, size: int = 256 * 1024) -> Iterator[bytes]:
    """The file's bytes for a streamed response; opened when sending starts, closed at the end."""
    with path.open("rb") as stream:
        while data := stream.read(size):
            yield data


def remove(name: str | None) -> None:
    if not name:
        return
    for candidate in (path_of(name), path_of(name + ".part")):
        candidate.unlink(missing_ok=True)
