"""Local feed files (a path, relative to the working directory, or a file:// URL).

They obey the same change detection as HTTP: the file's mtime and size play the part of
Last-Modified (no read at all when they match), and the body hash catches a rewrite with
identical bytes. Reads are capped like HTTP bodies and run in a worker thread.
"""

from __future__ import annotations

import hashlib
from pathlib import Path
from urllib.parse import urlsplit
from urllib.request import url2pathname

from bot.sources.types import ErrorKind, SourceError, Validators


def file_path(url: str) -> Path:
    parts = urlsplit(url)
    if parts.scheme == "file":
        if parts.netloc not in ("", "localhost"):
            raise SourceError(ErrorKind.FILE, f"file URL on another host: {parts.netloc}")
        return Path(url2pathname(parts.path))
    return Path(url)


def file_stamp(path: Path) -> str:
    stat = path.stat()
    return f"file:{stat.st_mtime_ns}:{stat.st_size}"


def read_file(
    url: str, validators: Validators, *, max_bytes: int
) -> tuple[bytes | None, Validators, bool]:
    """Return (body or None when unchanged since ``validators``, new validators, truncated)."""
    path = file_path(url)
    try:
        stamp = file_stamp(path)
        if validators.last_modified == stamp:
            return None, validators, False
        with path.open("rb") as handle:
            body = handle.read(max_bytes + 1)
    except FileNotFoundError:
        raise SourceError(ErrorKind.FILE, f"no such file: {path}") from None
    except IsADirectoryError:
        raise SourceError(ErrorKind.FILE, f"is a directory: {path}") from None
    except OSError as exc:
        raise SourceError(ErrorKind.FILE, f"cannot read {path}: {exc.strerror}") from None
    truncated = len(body) > max_bytes
    body = body[:max_bytes]
    return (
        body,
        Validators(last_modified=stamp, body_hash=hashlib.sha256(body).hexdigest()),
        truncated,
    )
