"""The entitlement list as CSV: columns, yuan with two decimals, masked or full IDs, formula-safe cells, audit, city scope."""

from __future__ import annotations

import csv

import pytest

from anju.core.crypto import decrypt
from anju.core.exceptions import NotFound, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import Person
from anju.subsidies.services.entitlements_export import MSG_NO_PII, entitlements_export_csv

from .factories import COUNTY, actors, locked, paying_household, roster


@pytest.fixture
def people(make_user):
    return {**actors(make_user), "leader": make_user("leader", COUNTY, username="b_leader")}


@pytest.fixture
def year2026(tree, people):
    roster()
    paying_household("S009", ["=HYPERLINK(1)"])
    locked(people, 2025)


def read(path) -> list[list[str]]:
    with open(path, encoding="utf-8-sig", newline="") as f:
        return list(csv.reader(f))


def test_masked_export(year2026, people, tmp_path):
    path = tmp_path / "e.csv"
    n = entitlements_export_csv(actor=people["leader"], scope=COUNTY, year=2026, quarter=0, preview=False, path=path, unmasked=False)
    rows = read(path)
    assert n == 9 and len(rows) == 10
    assert rows[0] == ["身份证号", "姓名", "月数", "金额", "村", "户编号", "扶持方式", "暂缓原因"]
    by_name = {r[1]: r for r in rows[1:]}
    assert by_name["张一"][2:4] == ["12", "600.00"] and by_name["李一"][2:4] == ["6", "300.00"]
    assert by_name["赵一"][6] == "项目扶持" and by_name["张一"][6] == "直补" and by_name["张一"][5] == "S001"
    assert all("*" in r[0] for r in rows[1:])
    assert "=HYPERLINK(1)" not in by_name and by_name["'=HYPERLINK(1)"][1] == "'=HYPERLINK(1)"
    event = AuditEvent.objects.get(action="subsidies.entitlements.exported")
    assert (event.after["unmasked"], event.after["count"], event.after["scope"], event.division_code) == (False, 9, COUNTY, "429921000000")


def test_unmasked_export_needs_pii(year2026, people, tmp_path):
    with pytest.raises(PermissionDenied) as exc:
        entitlements_export_csv(actor=people["leader"], scope=COUNTY, year=2026, path=tmp_path / "x.csv", unmasked=True)
    assert exc.value.message == str(MSG_NO_PII)
    assert not (tmp_path / "x.csv").exists() and not AuditEvent.objects.filter(action="subsidies.entitlements.exported").exists()
    path = tmp_path / "full.csv"
    entitlements_export_csv(actor=people["reviewer"], scope=COUNTY, year=2026, path=path, unmasked=True)
    ids = {decrypt(p.id_enc) for p in Person.objects.all()}
    rows = read(path)[1:]
    assert {r[0] for r in rows} <= ids and len(rows) == 9
    assert AuditEvent.objects.get(action="subsidies.entitlements.exported").after["unmasked"] is True


def test_city_scope_and_checks(year2026, people, tmp_path):
    with pytest.raises(ValidationFailed) as exc:  # the other counties of the city have no locked snapshot
        entitlements_export_csv(actor=people["city_clerk"], scope="4299", year=2026, path=tmp_path / "c.csv")
    assert exc.value.code == "no_snapshot"
    n = entitlements_export_csv(actor=people["city_clerk"], scope="4299", year=2026, preview=True, path=tmp_path / "c.csv")
    assert n == 9 and AuditEvent.objects.get(action="subsidies.entitlements.exported").after["counties"] == 9
    with pytest.raises(NotFound):
        entitlements_export_csv(actor=people["other_reviewer"], scope=COUNTY, year=2026, path=tmp_path / "o.csv")
    with pytest.raises(NotFound):
        entitlements_export_csv(actor=people["township"], scope=COUNTY, year=2026, path=tmp_path / "t.csv")
