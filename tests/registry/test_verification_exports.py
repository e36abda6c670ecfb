"""Verification exports read back: 花名册 (masked and unmasked, scoped, formula-safe), summary table, Word report."""

from __future__ import annotations

import io

import docx
import pytest
from docx.oxml.ns import qn
from python_calamine import CalamineWorkbook

from anju.accounts.roles import Perm
from anju.core.crypto import decrypt
from anju.core.exceptions import NotFound, PermissionDenied
from anju.core.models import AuditEvent
from anju.registry.models import Person, Program
from anju.registry.reports_verification import FONT_BODY, FONT_HEADING, FONT_TITLE, ROSTER_COLUMNS, SUMMARY_COLUMNS
from anju.registry.services import verification as svc

from .verification_data import COUNTY, actors, base_roster, enrolment_of, events_2025, locked


@pytest.fixture
def people(make_user):
    return actors(make_user)


@pytest.fixture
def year2025(tree, people):
    places = base_roster()
    locked(people, 2024)
    events_2025(places, people["clerk"])
    Person.objects.filter(pk=enrolment_of("李一").person_id).update(name="=HYPERLINK(\"http://x\")")
    v = svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    return v, places


def rows_of(path_or_bytes) -> list[list]:
    wb = CalamineWorkbook.from_filelike(io.BytesIO(path_or_bytes)) if isinstance(path_or_bytes, bytes) else CalamineWorkbook.from_path(str(path_or_bytes))
    return wb.get_sheet_by_index(0).to_python()


def test_roster_masked(year2025, people, tmp_path):
    v, places = year2025
    path = tmp_path / "roster.xlsx"
    n = svc.verification_export_roster(actor=people["reviewer"], verification=v, path=path)
    rows = rows_of(path)
    assert n == 5 and len(rows) == 7
    assert rows[0][0] == "白云县2025年度水库移民后期扶持人口花名册"
    assert rows[1] == [str(c) for c in ROSTER_COLUMNS]
    by_name = {r[4]: r for r in rows[2:]}
    zhang1 = enrolment_of("张一")
    r = by_name["张一"]
    assert [r[0] for r in rows[2:]] == [1.0, 2.0, 3.0, 4.0, 5.0]
    assert [r[3], r[5], r[6], r[8], r[9], r[10]] == ["H001", "男", zhang1.person.id_masked, "户主", "原迁人口", "直补"]
    assert str(r[7])[:10] == zhang1.person.birth_date.isoformat()
    assert by_name["'=HYPERLINK(\"http://x\")"][2]  # formula neutralised, village name present
    assert "*" in r[6]
    event = AuditEvent.objects.get(action="registry.verification.roster_exported")
    assert event.after["rows"] == 5 and not event.after["unmasked"]


def test_roster_unmasked_is_its_own_audit_action(year2025, people, tmp_path, monkeypatch):
    v, _ = year2025
    path = tmp_path / "full.xlsx"
    svc.verification_export_roster(actor=people["reviewer"], verification=v, path=path, unmasked=True)
    ids = {r[4]: r[6] for r in rows_of(path)[2:]}
    assert ids["张一"] == decrypt(enrolment_of("张一").person.id_enc) and len(ids["张一"]) == 18
    assert AuditEvent.objects.filter(action="registry.verification.roster_exported_unmasked").count() == 1
    actor = people["city_clerk"]
    monkeypatch.setattr(type(actor), "can", lambda self, perm: perm != Perm.REGISTRY_VIEW_PII)
    with pytest.raises(PermissionDenied) as exc:
        svc.verification_export_roster(actor=actor, verification=v, path=tmp_path / "no.xlsx", unmasked=True)
    assert (exc.value.code, exc.value.message) == ("pii_forbidden", str(svc.MSG_NO_PII))


def test_roster_export_needs_the_permission_and_the_scope(year2025, people, tmp_path, make_user):
    v, _ = year2025
    with pytest.raises(PermissionDenied):
        svc.verification_export_roster(actor=people["township"], verification=v, path=tmp_path / "t.xlsx")
    with pytest.raises(NotFound):
        svc.verification_export_roster(actor=people["other_reviewer"], verification=v, path=tmp_path / "o.xlsx")
    with pytest.raises(NotFound):
        svc.verification_export_summary(actor=people["other_reviewer"], verification=v)


def test_summary_table(year2025, people):
    v, places = year2025
    rows = rows_of(svc.verification_export_summary(actor=people["city"], verification=v))
    assert rows[0][0] == "白云县2025年度水库移民后期扶持人口核定汇总表"
    assert rows[2] == [str(c) for c in SUMMARY_COLUMNS]
    total = rows[-1]
    assert total[1] == "合计" and total[3:] == [6.0, 1.0, 2.0, 1.0, 1.0, 5.0, 3.0]
    subtotals = [r for r in rows[3:-1] if r[2] == "小计"]
    villages = [r for r in rows[3:-1] if r[2] != "小计"]
    assert len(subtotals) == 2 and len(villages) == 3
    assert sum(r[8] for r in villages) == sum(r[8] for r in subtotals) == 5
    for r in villages + subtotals:
        assert r[3] + r[4] - r[5] + r[6] - r[7] == r[8]
    assert AuditEvent.objects.filter(action="registry.verification.summary_exported", object_id=str(v.pk)).exists()


def test_summary_of_a_first_verification_leaves_last_year_empty(tree, people):
    base_roster()
    v = svc.verification_run(actor=people["clerk"], year=2025, program=Program.RESERVOIR, county_code=COUNTY)
    total = rows_of(svc.verification_export_summary(actor=people["clerk"], verification=v))[-1]
    assert total[3] == "" and total[8] == 6.0


def test_township_clerk_sees_its_own_township_only(year2025, people):
    v, places = year2025
    rows = rows_of(svc.verification_export_summary(actor=people["township"], verification=v))
    assert rows[-1][8] == 4.0 and len([r for r in rows[3:-1] if r[2] != "小计"]) == 1


def _east_asian(run) -> str | None:
    fonts = run._element.rPr.find(qn("w:rFonts")) if run._element.rPr is not None else None
    return fonts.get(qn("w:eastAsia")) if fonts is not None else None


def test_word_report(year2025, people):
    v, _ = year2025
    v = svc.verification_sign_county(actor=people["reviewer"], verification=v)
    document = docx.Document(io.BytesIO(svc.verification_export_report(actor=people["city"], verification=v)))
    paragraphs = [p for p in document.paragraphs if p.text]
    assert paragraphs[0].text == "白云县2025年度水库移民后期扶持人口核定报告"
    assert _east_asian(paragraphs[0].runs[0]) == FONT_TITLE
    text = "\n".join(p.text for p in paragraphs)
    assert "在册扶持人口 5 人、3 户" in text
    assert "上年度核定 6 人，本年度新增 1 人、核减 2 人、信息变更 3 人，较上年减少 1 人" in text
    assert "新增人员 1 人" in text and "死亡 1 人" in text and "服刑 1 人" in text and "姓名 2 人" in text
    assert "县级审核（签字）：v_reviewer" in text and "市级确认（签字）：（未确认）" in text
    headings = [p for p in paragraphs if p.text.startswith(("一、", "二、", "三、", "四、", "五、", "六、"))]
    assert len(headings) == 6 and all(_east_asian(p.runs[0]) == FONT_HEADING for p in headings)
    body = next(p for p in paragraphs if p.text.startswith("以2025年12月31日24时"))
    assert _east_asian(body.runs[0]) == FONT_BODY
    table = document.tables[0]
    cells = [[c.text for c in row.cells] for row in table.rows]
    assert cells[0] == ["序号", "乡镇", "上年人数", "新增", "核减", "迁入", "迁出", "本年人数"]
    assert cells[-1][1:] == ["合计", "6", "1", "2", "1", "1", "5"] and len(cells) == 4
    font_table = document.part.part_related_by("http://schemas.openxmlformats.org/officeDocument/2006/relationships/fontTable").blob.decode()
    assert 'w:name="仿宋_GB2312"' in font_table and 'w:altName w:val="仿宋"' in font_table
    assert AuditEvent.objects.filter(action="registry.verification.report_exported", object_id=str(v.pk)).exists()
