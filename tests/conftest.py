"""Shared fixtures: a demo division tree, users per role, logged-in web and API clients."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
from django.test import Client

SHARED_DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
DEMO_PASSWORD = "Test@2026pass"
IN_CI = os.environ.get("CI", "").lower() == "true"


def skip_or_fail(reason: str):
    """Outside CI a missing component skips with a reason; under CI=true it fails."""
    if IN_CI:
        pytest.fail(f"CI=true but {reason}")
    pytest.skip(reason)


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    """PBKDF2's deliberate slowness protects real accounts; tests only need a correct hasher."""
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


@pytest.fixture(autouse=True)
def _default_language():
    """A request in English (cookie) leaves English active in the thread; give the next test the default back."""
    yield
    from django.conf import settings
    from django.utils import translation

    translation.activate(settings.LANGUAGE_CODE)


@pytest.fixture(autouse=True)
def _small_demo_population(monkeypatch):
    """build_demo imports a population of 126,000 persons; tests that build the demo need only a few hundred."""
    from anju.registry import demo

    monkeypatch.setattr(demo, "RESERVOIR_PERSONS", 300)
    monkeypatch.setattr(demo, "RELOCATION_PERSONS", 80)


@pytest.fixture
def tree(db):
    """The demo city 清江市 (4299) with 9 counties, townships and villages, plus 湖北省."""
    from anju.demo import demo_division_rows
    from anju.divisions.services import divisions_load

    divisions_load(actor=None, rows=demo_division_rows(), source="test")
    from anju.divisions.models import Division

    return {d.code: d for d in Division.objects.all()}


@pytest.fixture
def other_city(db, tree):
    """A second city (4298) outside the demo city, for out-of-scope checks."""
    from anju.divisions.services import divisions_load

    rows = [
        ("429800000000", "外市", 2, "420000000000"),
        ("429821000000", "外县", 3, "429800000000"),
        ("429821100000", "外镇", 4, "429821000000"),
        ("429821100200", "外村", 5, "429821100000"),
    ]
    divisions_load(actor=None, rows=rows, source="test")
    return rows


@pytest.fixture
def make_user(db, tree):
    """make_user(role_code, scope_code, username=None, **kw) -> User, created through the service."""
    from anju.accounts.roles import ROLES
    from anju.accounts.services import user_create
    from anju.divisions.models import Division

    counter = {"n": 0}

    def _make(role: str, scope: str, username: str | None = None, view_scope: str | None = None, **kw):
        counter["n"] += 1
        entry = Division.objects.get(code=scope.ljust(12, "0"))
        view = Division.objects.get(code=view_scope.ljust(12, "0")) if view_scope else entry
        return user_create(actor=None, username=username or f"{role}_{counter['n']}", role=ROLES[role], entry_scope=entry,
                           view_scope=view, password=kw.pop("password", DEMO_PASSWORD), must_change_password=False, **kw)

    return _make


def verified_login(client: Client, user) -> Client:
    """Log a client in as `user`, with a confirmed TOTP device marked verified when the role needs one."""
    from django_otp.plugins.otp_totp.models import TOTPDevice

    from anju.accounts.models import SecurityPolicy

    client.force_login(user)
    if SecurityPolicy.current().totp_required(user):
        device = TOTPDevice.objects.filter(user=user, confirmed=True).first() or TOTPDevice.objects.create(
            user=user, name="test", confirmed=True
        )
        session = client.session
        session["otp_device_id"] = device.persistent_id
        session.save()
    return client


@pytest.fixture
def login():
    def _login(user, client: Client | None = None) -> Client:
        return verified_login(client or Client(), user)

    return _login


@pytest.fixture
def api_token():
    """api_token(user) -> 'anju_...' bearer secret created through the service."""
    from anju.accounts.services import token_create

    def _token(user) -> str:
        return token_create(actor=user, name="test", days=30)[1]

    return _token


@pytest.fixture
def api(api_token):
    """api(user) -> Client sending the user's bearer token on every request."""

    def _api(user) -> Client:
        return Client(HTTP_AUTHORIZATION=f"Bearer {api_token(user)}")

    return _api


@pytest.fixture
def shared_divisions() -> Path:
    path = SHARED_DATA / "divisions"
    if not path.is_dir():
        pytest.skip(f"real division data not found at {path}")
    return path


@pytest.fixture
def flushable_audit(transactional_db):
    """Let the transactional test's flush empty the append-only audit tables.

    PostgreSQL flushes with TRUNCATE, which row triggers ignore; SQLite deletes row by row, which the
    append-only triggers refuse. On SQLite, drop the triggers, empty the tables and put the triggers back.
    A flush also empties the policy versions the migrations loaded; put the national defaults back first.
    """
    from anju.core.policy import policy_defaults_load

    policy_defaults_load()
    yield
    import importlib

    from django.db import connection

    if connection.vendor != "sqlite":
        return
    guard = importlib.import_module("anju.core.migrations.0002_audit_guard")
    verification_guard = importlib.import_module("anju.registry.migrations.0002_verification_guard")
    verification_guard.remove(connection)  # the flush deletes row by row: locked verifications would refuse it
    with connection.cursor() as cursor:
        for sql in guard.SQLITE_DROP:
            cursor.execute(sql)
        cursor.execute("DELETE FROM core_auditevent")
        cursor.execute("DELETE FROM core_auditcheckpoint")
        for sql in guard.SQLITE:
            cursor.execute(sql)
    verification_guard.install(connection)
