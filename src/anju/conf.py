"""Process-level configuration read before Django starts: the data directory and its key files."""

from __future__ import annotations

import os
import secrets
import tempfile
from pathlib import Path

DATA_DIR_ENV = "ANJU_DATA_DIR"


def data_dir() -> Path:
    """The directory holding the SQLite file, uploads, generated files and keys."""
    raw = os.environ.get(DATA_DIR_ENV)
    if raw:
        path = Path(raw).expanduser()
    else:
        base = Path(os.environ.get("XDG_DATA_HOME") or Path.home() / ".local" / "share")
        path = base / "anju"
    path = path.resolve()
    for sub in ("", "keys", "uploads", "generated", "cache", "static"):
        (path / sub).mkdir(parents=True, exist_ok=True)
    os.chmod(path / "keys", 0o700)
    return path


def read_or_create_key(directory: Path, name: str, nbytes: int = 32) -> str:
    """Return the hex key stored in keys/<name>, creating it (mode 0600) on first use.

    Creation uses O_EXCL so two processes starting together agree on one key.
    """
    path = directory / "keys" / name
    if not path.exists():
        # Write a complete private temp file, then link it into place: link() fails if another process
        # won the race, and nobody ever reads a half-written key.
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{name}.")
        try:
            with os.fdopen(fd, "w", encoding="ascii") as fh:
                fh.write(secrets.token_hex(nbytes))
            os.link(tmp, path)
        except FileExistsError:
            pass
        finally:
            os.unlink(tmp)
    return path.read_text(encoding="ascii").strip()
