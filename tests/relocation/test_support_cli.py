"""`anju relocation support household|employment add|employment end|gaps`."""

from __future__ import annotations

import contextvars
import datetime as dt
import json

from click.testing import CliRunner

from anju.cli import main
from anju.core.models import AuditEvent
from anju.relocation.models import Employment

from .factories import OTHER_VILLAGE, make_relocated_household, members_of
from .test_support_services import people  # noqa: F401  (fixture)


def invoke(*args: str):
    return contextvars.copy_context().run(CliRunner().invoke, main, list(args))


def test_household_employment_and_gaps(people):  # noqa: F811
    h = make_relocated_household()
    a = members_of(h)[0]
    foreign = make_relocated_household(village=OTHER_VILLAGE)

    gaps = invoke("relocation", "support", "gaps", "--scope", "429921", "--as", "sp_county", "--json")
    assert gaps.exit_code == 0, gaps.output
    assert [r["id"] for r in json.loads(gaps.stdout)] == [h.pk]
    assert json.loads(invoke("relocation", "support", "gaps", "--as", "sp_foreign", "--json").stdout) == [
        {"id": foreign.pk, "number": foreign.number, "division_code": OTHER_VILLAGE, "village": "外村", "head_name": "户主甲", "persons": 3,
         "labour": 3, "site": None}]

    added = invoke("relocation", "support", "employment", "add", "--household", str(h.pk), "--person", str(a.pk), "--kind", "public_post",
                   "--start", "2025-04-01", "--employer", "社区公益岗", "--income", "1800", "--as", "sp_township", "--json")
    assert added.exit_code == 0, added.output
    e = json.loads(added.stdout)
    assert (e["kind"], e["monthly_income"], e["started_on"], e["ended_on"]) == ("public_post", "1800.00", "2025-04-01", None)
    assert AuditEvent.objects.filter(action="relocation.employment.created", actor=people["township"]).count() == 1

    summary = invoke("relocation", "support", "household", str(h.pk), "--as", "sp_leader", "--json")
    assert summary.exit_code == 0, summary.output
    body = json.loads(summary.stdout)
    assert (body["labour_count"], body["employed_count"], body["gap"]) == (3, 1, False)
    assert body["members"][0]["employments"][0]["employer"] == "社区公益岗" and body["members"][0]["id_masked"] == a.id_masked
    text = invoke("relocation", "support", "household", str(h.pk), "--as", "sp_leader")
    assert text.exit_code == 0 and "劳动力 3 人，就业 1 人" in text.output and "公益性岗位 社区公益岗" in text.output
    assert json.loads(invoke("relocation", "support", "gaps", "--as", "sp_county", "--json").stdout) == []

    early = invoke("relocation", "support", "employment", "end", str(e["id"]), "--on", "2025-03-01", "--as", "sp_township")
    assert early.exit_code == 2 and "不能早于" in early.output
    ended = invoke("relocation", "support", "employment", "end", str(e["id"]), "--on", "2025-12-31", "--as", "sp_township", "--json")
    assert ended.exit_code == 0 and json.loads(ended.stdout)["ended_on"] == "2025-12-31"
    assert Employment.objects.get().ended_on == dt.date(2025, 12, 31)

    assert invoke("relocation", "support", "household", str(h.pk), "--as", "sp_foreign").exit_code == 2
    refused = invoke("relocation", "support", "employment", "add", "--household", str(h.pk), "--person", str(a.pk), "--kind", "county",
                     "--start", "2025-01-01", "--as", "sp_leader")
    assert refused.exit_code == 2
    wrong = invoke("relocation", "support", "employment", "add", "--household", str(h.pk), "--person", str(a.pk), "--kind", "abroad",
                   "--start", "2025-01-01", "--as", "sp_township")
    assert wrong.exit_code == 2 and "abroad" in wrong.output and "就业类型" in wrong.output
    assert Employment.objects.count() == 1
