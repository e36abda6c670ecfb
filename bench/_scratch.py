"""The environment every benchmark runs in: a temporary data directory (keys, cache and, without a database URL,
the SQLite file) and, when ANJU_DATABASE_URL names a PostgreSQL server, a scratch database on it, dropped after."""

from __future__ import annotations

import os
import shutil
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit


def _recreate(url: str, name: str, *, create: bool) -> None:
    import psycopg
    from psycopg import sql

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute(sql.SQL("DROP DATABASE IF EXISTS {} WITH (FORCE)").format(sql.Identifier(name)))
        if create:
            conn.execute(sql.SQL("CREATE DATABASE {}").format(sql.Identifier(name)))


@contextmanager
def scratch_environment(name: str) -> Iterator[Path]:
    """Set ANJU_DATA_DIR (and ANJU_DATABASE_URL to a scratch database `name`) for the run; clean up afterwards."""
    work = Path(tempfile.mkdtemp(prefix=f"{name}-"))
    os.environ["ANJU_DATA_DIR"] = str(work)
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "anju.settings")
    url = os.environ.get("ANJU_DATABASE_URL", "").strip()
    postgres = url.startswith(("postgres://", "postgresql://"))
    if postgres:
        _recreate(url, name, create=True)
        os.environ["ANJU_DATABASE_URL"] = urlunsplit(urlsplit(url)._replace(path=f"/{name}"))
    try:
        yield work
    finally:
        if "django.db" in sys.modules:
            from django.db import connections

            connections.close_all()
        if postgres:
            _recreate(url, name, create=False)
        shutil.rmtree(work, ignore_errors=True)
