"""The 公示表: requests on posting in a township or county, as Excel and PDF read back; exports audited."""

from __future__ import annotations

import datetime as dt
import io
import re

import pytest
from python_calamine import CalamineWorkbook

from anju.core.exceptions import NotFound, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry import posting
from anju.registry.models import ChangeRequest, Enrolment

from . import test_requests_workflow as wf
from .factories import make_household
from .test_requests_workflow import TODAY, approve_all


@pytest.fixture
def actors(make_user):
    return wf.make_actors(make_user)


@pytest.fixture
def household(tree):
    return wf.make_family()



@pytest.fixture
def on_posting(actors, household):
    from anju.registry.services import requests as svc

    out = []
    for e in Enrolment.objects.filter(household=household).order_by("pk")[:2]:
        cr = svc.change_request_create(actor=actors["township"], kind="remove", program="reservoir", enrolment=e, cause="death",
                                       payload={"event_date": "2026-03-01"}, reason="=HYPERLINK(\"x\")", submit=True, today=TODAY)
        out.append(approve_all(actors, cr))
    assert all(cr.state == ChangeRequest.State.POSTING for cr in out)
    return out


def _rows(content: bytes):
    return CalamineWorkbook.from_filelike(io.BytesIO(content)).get_sheet_by_index(0).to_python()


def test_excel_posting_list_reads_back_masked_and_audited(actors, on_posting):
    content, name, ctype = posting.posting_export(actor=actors["township"], program="reservoir", fmt="xlsx")
    assert name.startswith("posting-429921101-reservoir-") and name.endswith(".xlsx") and "spreadsheetml" in ctype
    rows = _rows(content)
    assert rows[0][0] == "白坪镇水库移民后期扶持人员变动公示表"
    assert rows[1][0] == "公示期：2026年03月15日 至 2026年03月21日"
    assert rows[2] == ["序号", "乡镇", "村", "户编号", "姓名", "身份证号", "类型", "原因", "生效日期"]
    body = rows[3:5]
    assert [r[0] for r in body] == ["1", "2"] and {r[4] for r in body} == {"张三", "李四"}
    assert all(re.fullmatch(r"429\*{11}\d{3}[\dX]", r[5]) for r in body)
    assert body[0][1:4] == ["白坪镇", "茶坝村委会", "H001"] and body[0][6] == "核减" and body[0][8] == "2027-01-01"
    assert body[0][7] == "死亡；=HYPERLINK(\"x\")"  # not a formula: written as a string
    assert any("公示单位（盖章）" in str(r[0]) for r in rows[5:])
    event = AuditEvent.objects.get(action="registry.request.posting_exported")
    assert event.after == {"format": "xlsx", "program": "reservoir", "requests": 2, "rows": 2}
    assert event.actor == actors["township"]


def test_pdf_posting_list(actors, on_posting):
    content, name, ctype = posting.posting_export(actor=actors["county"], scope="429921", fmt="pdf")
    assert content.startswith(b"%PDF-") and ctype == "application/pdf" and name.endswith(".pdf")
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) == 1
    font = posting.cjk_font()
    assert font in ("AnjuCJK", "STSong-Light")
    if font == "AnjuCJK":
        assert b"FontFile2" in content  # the TTF subset is embedded
    assert AuditEvent.objects.filter(action="registry.request.posting_exported", after__format="pdf").count() == 1


def test_pdf_of_many_rows_runs_over_pages(actors, tree):
    household = make_household("H500", [(f"人{i}", "户主" if i == 0 else "子") for i in range(60)])
    rows = [ChangeRequest(kind="remove", state="posting", program="reservoir", division_code=household.division_code, person=e.person,
                          household=household, enrolment=e, field="status.reservoir", cause="death", levels=["township", "county", "city"],
                          level_index=2, posting_from=TODAY, posting_until=TODAY + dt.timedelta(days=6), effective_on=dt.date(2027, 1, 1))
            for e in Enrolment.objects.filter(household=household)]
    ChangeRequest.objects.bulk_create(rows)
    table = posting.posting_table(actor=actors["county"], scope="429921")
    assert table.count == 60 and table.rows[-1][0] == "60"
    content = posting.posting_pdf(table)
    assert len(re.findall(rb"/Type\s*/Page[^s]", content)) >= 2


def test_posting_list_scope_and_format_checks(actors, on_posting):
    with pytest.raises(NotFound):
        posting.posting_export(actor=actors["county_other"], scope="429921", fmt="xlsx")
    with pytest.raises(ValidationFailed) as exc:
        posting.posting_export(actor=actors["county"], scope="42992", fmt="xlsx")
    assert exc.value.code == "scope_invalid"
    with pytest.raises(ValidationFailed) as exc:
        posting.posting_export(actor=actors["county"], fmt="csv")
    assert exc.value.message == str(posting.MSG_FORMAT)
    assert posting.posting_table(actor=actors["county_other"]).rows == []
    assert posting.posting_table(actor=actors["county"], program="relocation").rows == []


def test_fallback_cid_font_when_no_ttf(monkeypatch, actors, on_posting):
    monkeypatch.setattr(posting, "CJK_FONTS", (("/nonexistent/font.ttc", 0),))
    posting.cjk_font.cache_clear()
    try:
        content = posting.posting_pdf(posting.posting_table(actor=actors["county"]))
        assert content.startswith(b"%PDF-") and b"STSong-Light" in content
    finally:
        posting.cjk_font.cache_clear()
