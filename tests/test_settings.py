"""Database and data-directory configuration."""

import os
import stat
from pathlib import Path

import pytest
from django.conf import settings
from django.db import connection

from anju.conf import data_dir, read_or_create_key


@pytest.mark.django_db
def test_sqlite_runs_in_wal_mode_with_foreign_keys():
    if connection.vendor != "sqlite":
        pytest.skip("SQLite-only pragmas")
    with connection.cursor() as cur:
        cur.execute("PRAGMA journal_mode")
        assert cur.fetchone()[0].lower() == "wal"
        cur.execute("PRAGMA foreign_keys")
        assert cur.fetchone()[0] == 1


@pytest.mark.django_db
def test_postgresql_when_url_given():
    if not os.environ.get("ANJU_DATABASE_URL", "").startswith("postgres"):
        pytest.skip("runs in the PostgreSQL pass (ANJU_DATABASE_URL=postgresql://...)")
    assert connection.vendor == "postgresql"
    assert settings.DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql"


def test_data_dir_holds_keys_uploads_and_generated_files(tmp_path, monkeypatch):
    monkeypatch.setenv("ANJU_DATA_DIR", str(tmp_path / "d"))
    path = data_dir()
    assert path == (tmp_path / "d").resolve()
    for sub in ("keys", "uploads", "generated", "cache"):
        assert (path / sub).is_dir()
    assert stat.S_IMODE((path / "keys").stat().st_mode) == 0o700


def test_keys_are_created_once_and_private(tmp_path):
    (tmp_path / "keys").mkdir()
    first = read_or_create_key(tmp_path, "k")
    assert read_or_create_key(tmp_path, "k") == first
    assert len(first) == 64
    assert stat.S_IMODE(Path(tmp_path / "keys" / "k").stat().st_mode) == 0o600


def test_settings_point_into_the_data_dir():
    base = Path(settings.DATA_DIR)
    assert Path(settings.MEDIA_ROOT).parent == base
    assert Path(settings.ANJU_GENERATED_DIR).parent == base
    if settings.DATABASES["default"]["ENGINE"].endswith("sqlite3"):
        assert Path(settings.DATABASES["default"]["NAME"]).parent == base
