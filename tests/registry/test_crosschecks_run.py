"""Cross-checks (信息比对): matching a department's list by ID and by name + birth date, in scope, set-based; the
draft change requests it suggests; confirm and dismiss."""

from __future__ import annotations

import datetime as dt
import io

import pytest
import xlsxwriter

from anju.core.crypto import decrypt
from anju.core.exceptions import Conflict, PermissionDenied, ValidationFailed
from anju.core.models import AuditEvent
from anju.registry.models import (
    ChangeRequest,
    ChangeRequestStep,
    CrossCheckBatch,
    CrossCheckMatch,
    Enrolment,
    History,
    Program,
)
from anju.registry.services.crosschecks import (
    MSG_AS_OF_FUTURE,
    MSG_DUPLICATE_ROW,
    MSG_EMPTY_LIST,
    MSG_KIND,
    MSG_MATCH_DECIDED,
    MSG_MATCH_ENTRY_SCOPE,
    MSG_NO_ID_COLUMN,
    MSG_REASON_REQUIRED,
    MSG_REQUEST_IN_WORKFLOW,
    MSG_UNMATCHABLE,
    crosscheck_match_confirm,
    crosscheck_match_dismiss,
    crosscheck_run,
)
from tests.registry.factories import VILLAGE, make_household

OTHER_COUNTY_VILLAGE = "429902101201"  # another county of the demo city
OTHER_TOWNSHIP_VILLAGE = "429921102201"  # same county, another township
AS_OF = dt.date(2025, 12, 31)


def idn(person) -> str:
    return decrypt(person.id_enc)


def members(household):
    return [m.person for m in household.memberships.select_related("person").order_by("id")]


@pytest.fixture
def clerk(make_user):
    return make_user("county_clerk", "429921", username="xck_county")


@pytest.fixture
def township(make_user):
    return make_user("township_clerk", "429921101", username="xck_town")


def run(actor, rows, kind="death", **kw):
    return crosscheck_run(actor=actor, kind=kind, source="公安局", as_of=AS_OF, rows=rows, filename="deaths.xlsx", **kw)


def test_match_by_id_creates_a_draft_removal_request_for_the_township(clerk):
    head, wife = members(make_household("XCK-1", [("张大山", "户主"), ("李秀英", "配偶")]))

    batch = run(clerk, [{"row": 2, "name": "张大山", "id_number": idn(head), "event_date": "2025-03-02"}])

    match = CrossCheckMatch.objects.get(batch=batch)
    assert (match.person_id, match.method, match.state, match.row) == (head.pk, "id", "suggested", 2)
    assert (match.division_code, match.event_date, match.id_masked) == (VILLAGE, dt.date(2025, 3, 2), head.id_masked)
    request = match.request
    assert (request.kind, request.state, request.source, request.field, request.cause) == ("remove", "draft", "crosscheck", "status", "death")
    assert (request.person_id, request.division_code, request.program) == (head.pk, VILLAGE, Program.RESERVOIR)
    assert request.payload["event_date"] == "2025-03-02" and request.payload["crosscheck"]["batch"] == batch.pk
    assert request.levels == ["township", "county", "city"] and "公安局" in request.reason
    assert list(request.steps.values_list("action", flat=True)) == ["create"]
    assert batch.counts["rows"] == 1 and batch.counts["matched_rows"] == 1 and batch.counts["requests_created"] == 1
    assert batch.division_code == "429921000000" and batch.kind == "death"
    event = AuditEvent.objects.get(action="registry.crosscheck.run")
    assert (event.object_id, event.after["matched_rows"]) == (str(batch.pk), 1)
    assert not ChangeRequest.objects.filter(person=wife).exists()


def test_fifteen_digit_id_in_the_list_is_upgraded_and_matched(clerk):
    person = members(make_household("XCK-3", [("王老汉", "户主")]))[0]
    number = idn(person)
    fifteen = number[:6] + number[8:17]

    batch = run(clerk, [{"row": 2, "name": "王老汉", "id_number": fifteen}])

    match = CrossCheckMatch.objects.get(batch=batch)
    assert (match.person_id, match.method, match.id_masked) == (person.pk, "id", person.id_masked)


def test_invalid_id_falls_back_to_name_and_birth_listing_every_candidate(clerk):
    a = members(make_household("XCK-4", [("刘芳", "户主")]))[0]
    b = members(make_household("XCK-5", [("刘芳", "户主")], village=OTHER_TOWNSHIP_VILLAGE))[0]
    b.birth_date = a.birth_date
    b.save()
    bad = idn(a)[:17] + ("0" if idn(a)[17] != "0" else "1")

    batch = run(clerk, [{"row": 5, "name": "刘 芳", "id_number": bad, "birth_date": a.birth_date.strftime("%Y年%m月%d日")}])

    matches = CrossCheckMatch.objects.filter(batch=batch).order_by("person_id")
    assert [(m.person_id, m.method) for m in matches] == [(a.pk, "name_birth"), (b.pk, "name_birth")]
    assert {m.request.division_code for m in matches} == {VILLAGE, OTHER_TOWNSHIP_VILLAGE}
    assert all(m.request.payload["crosscheck"]["candidates"] == 2 for m in matches)
    (problem,) = batch.counts["problem_rows"]
    assert (problem["row"], problem["code"], problem["column"]) == (5, "id_checksum", "身份证号")
    assert batch.counts["ambiguous_rows"] == 1 and batch.counts["matched_rows"] == 1


def test_row_without_id_matches_by_name_and_birth_and_a_row_without_either_is_unmatched(clerk):
    person = members(make_household("XCK-6", [("赵明", "户主")]))[0]

    batch = run(clerk, [
        {"row": 2, "name": "赵明", "birth_date": person.birth_date.isoformat(), "event_date": "2025.06.01"},
        {"row": 3, "name": "无名氏"},
        {"row": 4, "name": "赵明", "birth_date": person.birth_date.replace(day=28).isoformat()},
    ])

    match = CrossCheckMatch.objects.get(batch=batch)
    assert (match.person_id, match.method, match.id_masked, match.event_date) == (person.pk, "name_birth", "", dt.date(2025, 6, 1))
    assert batch.counts["unmatched"] == 2
    assert [r["row"] for r in batch.counts["unmatched_rows"]] == [3, 4]
    unmatchable = [p for p in batch.counts["problem_rows"] if p["row"] == 3]
    assert unmatchable[0]["code"] == "crosscheck_unmatchable" and unmatchable[0]["message"] == str(MSG_UNMATCHABLE)


def test_another_countys_persons_are_never_matched_nor_shown(clerk, make_user):
    ours = members(make_household("XCK-7", [("孙一", "户主")]))[0]
    theirs = members(make_household("XCK-8", [("孙二", "户主")], village=OTHER_COUNTY_VILLAGE))[0]
    rows = [{"row": 2, "name": "孙一", "id_number": idn(ours)}, {"row": 3, "name": "孙二", "id_number": idn(theirs)}]

    batch = run(clerk, rows)

    assert list(CrossCheckMatch.objects.filter(batch=batch).values_list("person_id", flat=True)) == [ours.pk]
    assert not ChangeRequest.objects.filter(person=theirs).exists()
    assert batch.counts["unmatched"] == 1
    assert batch.counts["unmatched_rows"][0]["id_masked"] == theirs.id_masked  # only what the department gave, masked
    assert "household" not in batch.counts["unmatched_rows"][0]

    city = run(make_user("city_clerk", "4299"), rows)
    assert CrossCheckMatch.objects.filter(batch=city).count() == 2


def test_an_open_request_for_the_person_is_reused_not_duplicated(clerk):
    person = members(make_household("XCK-9", [("周八", "户主")]))[0]
    enrolment = Enrolment.objects.get(person=person)
    existing = ChangeRequest.objects.create(kind="remove", state="pending", program=enrolment.program, division_code=VILLAGE, person=person,
                                            enrolment=enrolment, field="status", cause="moved_out", levels=["township", "county"])

    batch = run(clerk, [{"row": 2, "name": "周八", "id_number": idn(person)}])

    match = CrossCheckMatch.objects.get(batch=batch)
    assert match.request_id == existing.pk
    assert ChangeRequest.objects.filter(person=person).count() == 1
    assert (batch.counts["requests_created"], batch.counts["requests_linked"]) == (0, 1)


def test_person_in_both_programs_gets_one_request_and_a_match_per_enrolment(clerk):
    person = members(make_household("XCK-10", [("钱九", "户主")]))[0]
    other = make_household("XCK-11", [("占位", "户主")], program=Program.RELOCATION)
    Enrolment.objects.filter(household=other).update(person=person)

    batch = run(clerk, [{"row": 2, "name": "钱九", "id_number": idn(person)}])

    matches = list(CrossCheckMatch.objects.filter(batch=batch).order_by("enrolment__program"))
    assert [m.enrolment.program for m in matches] == ["relocation", "reservoir"]
    assert len({m.request_id for m in matches}) == 1
    assert sorted(matches[0].request.payload["enrolments"]) == sorted(m.enrolment_id for m in matches)
    assert batch.counts["persons"] == 1 and batch.counts["matches"] == 2


def test_removed_enrolment_is_counted_already_removed_and_duplicate_rows_skipped(clerk):
    person = members(make_household("XCK-12", [("吴十", "户主")]))[0]
    gone = members(make_household("XCK-13", [("郑一", "户主")]))[0]
    Enrolment.objects.filter(person=gone).update(status="removed")

    batch = run(clerk, [{"row": 2, "name": "吴十", "id_number": idn(person)}, {"row": 3, "name": "吴十", "id_number": idn(person)},
                        {"row": 4, "name": "郑一", "id_number": idn(gone)}])

    assert CrossCheckMatch.objects.filter(batch=batch).count() == 1
    assert batch.counts["already_removed"] == 1 and batch.counts["unmatched"] == 0
    dup = [p for p in batch.counts["problem_rows"] if p["code"] == "crosscheck_duplicate_row"][0]
    assert dup["row"] == 3 and dup["message"] == str(MSG_DUPLICATE_ROW % {"first": 2})


def test_dibao_match_creates_no_request_and_confirming_notes_it_in_history(clerk, township):
    person = members(make_household("XCK-14", [("冯二", "户主")]))[0]

    batch = crosscheck_run(actor=clerk, kind="dibao", source="民政局", as_of=AS_OF, rows=[{"row": 2, "name": "冯二", "id_number": idn(person),
                                                                                          "event_date": "2024-01-01"}])

    match = CrossCheckMatch.objects.get(batch=batch)
    assert match.request_id is None and not ChangeRequest.objects.exists()
    crosscheck_match_confirm(actor=township, match=match)
    match.refresh_from_db()
    assert match.state == "confirmed"
    history = History.objects.get(person=person, field="dibao")
    assert (history.source, history.effective_on, history.enrolment_id) == ("crosscheck", dt.date(2024, 1, 1), match.enrolment_id)
    assert "民政局" in history.new
    event = AuditEvent.objects.get(action="registry.crosscheck.confirmed")
    assert event.actor_id == township.pk and event.object_id == str(match.pk)


def test_confirm_keeps_the_draft_for_the_township_and_cannot_be_repeated(clerk, township):
    person = members(make_household("XCK-15", [("陈三", "户主")]))[0]
    match = CrossCheckMatch.objects.get(batch=run(clerk, [{"row": 2, "name": "陈三", "id_number": idn(person)}]))

    crosscheck_match_confirm(actor=township, match=match)

    match.refresh_from_db()
    assert match.state == "confirmed" and match.request.state == "draft"
    with pytest.raises(Conflict) as exc:
        crosscheck_match_confirm(actor=township, match=match)
    assert exc.value.message == str(MSG_MATCH_DECIDED % {"state": "已确认"})
    assert exc.value.code == "crosscheck_match_decided"


def test_dismiss_withdraws_the_draft_request_with_the_reason(clerk, township):
    person = members(make_household("XCK-16", [("褚四", "户主")]))[0]
    match = CrossCheckMatch.objects.get(batch=run(clerk, [{"row": 2, "name": "褚四", "id_number": idn(person)}]))

    with pytest.raises(ValidationFailed) as exc:
        crosscheck_match_dismiss(actor=township, match=match, reason="  ")
    assert exc.value.message == str(MSG_REASON_REQUIRED)
    crosscheck_match_dismiss(actor=township, match=match, reason="重名，非同一人")

    match.refresh_from_db()
    assert match.state == "dismissed"
    request = match.request
    assert request.state == "withdrawn"
    step = request.steps.get(action=ChangeRequestStep.Action.WITHDRAW)
    assert (step.comment, step.actor_id) == ("重名，非同一人", township.pk)
    assert match.batch.counts["notes"][str(match.pk)]["reason"] == "重名，非同一人"
    event = AuditEvent.objects.get(action="registry.crosscheck.dismissed")
    assert event.after["reason"] == "重名，非同一人" and event.after["request_withdrawn"] == request.pk
    with pytest.raises(Conflict):
        crosscheck_match_dismiss(actor=township, match=match, reason="again")


def test_dismiss_leaves_a_request_that_existed_before_and_refuses_one_already_submitted(clerk):
    linked_person = members(make_household("XCK-17", [("卫五", "户主")]))[0]
    enrolment = Enrolment.objects.get(person=linked_person)
    existing = ChangeRequest.objects.create(kind="remove", state="draft", program=enrolment.program, division_code=VILLAGE,
                                            person=linked_person, enrolment=enrolment, field="status", cause="other", levels=["township"])
    submitted_person = members(make_household("XCK-18", [("蒋六", "户主")]))[0]
    batch = run(clerk, [{"row": 2, "name": "卫五", "id_number": idn(linked_person)}, {"row": 3, "name": "蒋六", "id_number": idn(submitted_person)}])
    linked, submitted = CrossCheckMatch.objects.filter(batch=batch).order_by("row")

    crosscheck_match_dismiss(actor=clerk, match=linked, reason="另有申请")
    existing.refresh_from_db()
    assert existing.state == "draft"

    ChangeRequest.objects.filter(pk=submitted.request_id).update(state="pending")
    with pytest.raises(Conflict) as exc:
        crosscheck_match_dismiss(actor=clerk, match=submitted, reason="x")
    assert exc.value.message == str(MSG_REQUEST_IN_WORKFLOW % {"id": submitted.request_id, "state": "审批中"})
    submitted.refresh_from_db()
    assert submitted.state == "suggested"


def test_only_a_clerk_with_the_village_in_entry_scope_decides(clerk, make_user):
    person = members(make_household("XCK-19", [("沈七", "户主")]))[0]
    match = CrossCheckMatch.objects.get(batch=run(clerk, [{"row": 2, "name": "沈七", "id_number": idn(person)}]))
    other_township = make_user("township_clerk", "429921102")
    reviewer = make_user("county_reviewer", "429921")

    with pytest.raises(PermissionDenied) as exc:
        crosscheck_match_confirm(actor=other_township, match=match)
    assert exc.value.message == str(MSG_MATCH_ENTRY_SCOPE)
    with pytest.raises(PermissionDenied):
        crosscheck_match_dismiss(actor=reviewer, match=match, reason="x")


def test_run_checks_permission_kind_source_and_date(clerk, township):
    with pytest.raises(PermissionDenied):
        run(township, [{"row": 2, "name": "x"}])
    with pytest.raises(ValidationFailed) as exc:
        run(clerk, [{"row": 2, "name": "x"}], kind="moved")
    assert exc.value.message == str(MSG_KIND % {"kind": "moved"})
    with pytest.raises(ValidationFailed) as exc:
        crosscheck_run(actor=clerk, kind="death", source="公安局", as_of=dt.date.today() + dt.timedelta(days=2), rows=[])
    assert exc.value.message == str(MSG_AS_OF_FUTURE)
    with pytest.raises(ValidationFailed) as exc:
        crosscheck_run(actor=clerk, kind="death", source="  ", as_of=AS_OF, rows=[])
    assert exc.value.detail == {"field": "source"}
    assert not CrossCheckBatch.objects.exists()


def _xlsx(rows: list[list]) -> io.BytesIO:
    out = io.BytesIO()
    wb = xlsxwriter.Workbook(out, {"in_memory": True})
    ws = wb.add_worksheet("名单")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            ws.write_string(r, c, value) if isinstance(value, str) else ws.write(r, c, value)
    wb.close()
    out.seek(0)
    return out


def test_reads_an_xlsx_list_with_a_title_row_and_header_variants(clerk):
    head, wife = members(make_household("XCK-20", [("韩八", "户主"), ("杨九", "配偶")]))
    data = _xlsx([["白云县公安局2025年死亡人员名单"], ["序号", "姓 名", "公民身份号码", "出生日期", "死亡日期", "备注"],
                  ["1", "韩八", idn(head), "", "2025-04-05", ""], ["2", "杨九", "", wife.birth_date.isoformat(), "2025年5月6日", "无证件"],
                  ["合计", "2人"]])

    batch = crosscheck_run(actor=clerk, kind="death", source="公安局", as_of=AS_OF, path_or_file=data, filename="死亡名单.xlsx")

    matches = {m.person_id: m for m in CrossCheckMatch.objects.filter(batch=batch)}
    assert (matches[head.pk].row, matches[head.pk].method, matches[head.pk].event_date) == (3, "id", dt.date(2025, 4, 5))
    assert (matches[wife.pk].row, matches[wife.pk].method, matches[wife.pk].event_date) == (4, "name_birth", dt.date(2025, 5, 6))
    assert batch.file_name == "死亡名单.xlsx" and batch.counts["rows"] == 2


def test_reads_a_gbk_csv_and_refuses_a_list_without_id_or_birth_columns(clerk, tmp_path):
    person = members(make_household("XCK-21", [("朱十", "户主")]))[0]
    path = tmp_path / "人社.csv"
    path.write_bytes(f"姓名,身份证号码,入职日期\n朱十,{idn(person)},2025-07-01\n".encode("gb18030"))

    batch = crosscheck_run(actor=clerk, kind="public_employment", source="人社局", as_of=AS_OF, path_or_file=path)

    match = CrossCheckMatch.objects.get(batch=batch)
    assert match.request.cause == "public_employment" and match.event_date == dt.date(2025, 7, 1)
    bad = tmp_path / "bad.csv"
    bad.write_text("姓名,备注\n朱十,x\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        crosscheck_run(actor=clerk, kind="death", source="公安局", as_of=AS_OF, path_or_file=bad)
    assert exc.value.message == str(MSG_NO_ID_COLUMN)
    empty = tmp_path / "empty.csv"
    empty.write_text("姓名,身份证号\n,\n合计,0\n", encoding="utf-8")
    with pytest.raises(ValidationFailed) as exc:
        crosscheck_run(actor=clerk, kind="death", source="公安局", as_of=AS_OF, path_or_file=empty)
    assert exc.value.message == str(MSG_EMPTY_LIST)
    assert CrossCheckBatch.objects.count() == 1


def test_matching_is_set_based(clerk, django_assert_max_num_queries):
    households = [make_household(f"XCK-B{i}", [(f"批量{i}", "户主")]) for i in range(30)]
    rows = [{"row": i + 2, "name": f"批量{i}", "id_number": idn(members(h)[0])} for i, h in enumerate(households)]
    rows += [{"row": 100 + i, "name": f"外人{i}", "birth_date": "1960-01-01"} for i in range(30)]

    with django_assert_max_num_queries(25):
        batch = run(clerk, rows)

    assert batch.counts["matched_rows"] == 30 and batch.counts["requests_created"] == 30 and batch.counts["unmatched"] == 30
