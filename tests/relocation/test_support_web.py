"""Follow-up pages: the household page (labour status at the age-band ends, capacity, employment around today, masking
and the audited reveal), record forms (add, edit, end, delete, errors on the field, scope), the work list filters
("至少1人就业" gap, missing income survey) and the employment list with its Excel export."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.crypto import decrypt
from anju.core.models import AuditEvent
from anju.registry.models import EnrolmentStatus
from anju.relocation import selectors_support as sel
from anju.relocation.models import Employment, LabourCapacity, Welfare
from anju.relocation.services import support_households as hh
from anju.relocation.services import support_persons as pp

from .factories import OTHER_VILLAGE, make_capacity, make_employment, make_relocated_household, make_site, members_of
from .test_support_services import people  # noqa: F401  (fixture)

TODAY = dt.date.today()
P = "/relocation/support"


def years_ago(n: int, *, days: int = 0) -> dt.date:
    try:
        day = TODAY.replace(year=TODAY.year - n)
    except ValueError:
        day = dt.date(TODAY.year - n, 3, 1)
    return day + dt.timedelta(days=days)


def household_of(births: list[tuple[str, dt.date]], **kw):
    h = make_relocated_household([(name, "户主" if i == 0 else "子女", birth) for i, (name, birth) in enumerate(births)], **kw)
    for person, (_, birth) in zip(members_of(h), births, strict=True):
        person.birth_date = birth
        person.save(update_fields=["birth_date"])
    return h


@pytest.fixture
def band_home(db):
    h = household_of([("满十六", years_ago(16)), ("明天十六", years_ago(16, days=1)), ("六十整", years_ago(61, days=1)),
                      ("满六十一", years_ago(61)), ("丧劳者", years_ago(30)), ("学生甲", years_ago(20)), ("已核减", years_ago(30))])
    m = members_of(h)
    make_capacity(m[4], "none", disability_grade=1)
    make_capacity(m[5], "student")
    EnrolmentStatus.objects.filter(enrolment__person=m[6]).update(valid_to=TODAY)  # removed from the roster as of today
    return h


def test_labour_status_at_the_band_ends(band_home, people):  # noqa: F811
    fu = sel.household_follow_up(actor=people["township"], household=band_home)
    assert fu.band == (16, 60)
    assert [(m.person.name, m.status) for m in fu.members] == [
        ("满十六", "labour"), ("明天十六", "under_age"), ("六十整", "labour"), ("满六十一", "over_age"), ("丧劳者", "none"),
        ("学生甲", "student"), ("已核减", "not_population")]
    assert [m.age for m in fu.members][:4] == [16, 15, 60, 61]
    assert (fu.labour_count, fu.employed_count, fu.gap) == (2, 0, True)
    # The work list's set-based filter agrees with the page.
    assert list(sel.household_list(actor=people["township"], gap=True)) == [band_home]


def test_employment_around_today(people):  # noqa: F811
    h = household_of([("甲", years_ago(40)), ("乙", years_ago(38))])
    a, b = members_of(h)
    make_employment(a, started_on=TODAY - dt.timedelta(days=100), ended_on=TODAY - dt.timedelta(days=1))
    make_employment(b, started_on=TODAY + dt.timedelta(days=1))
    fu = sel.household_follow_up(actor=people["township"], household=h)
    assert (fu.employed_count, fu.gap) == (0, True)
    make_employment(a, started_on=TODAY - dt.timedelta(days=30), ended_on=TODAY)  # ends today: still employed today
    fu = sel.household_follow_up(actor=people["township"], household=h)
    assert (fu.employed_count, fu.gap) == (1, False)
    assert not sel.household_list(actor=people["township"], gap=True).exists()
    assert list(sel.household_list(actor=people["township"], gap=True, as_of=TODAY + dt.timedelta(days=1))) == []  # b starts then
    assert list(sel.household_list(actor=people["township"], gap=True, as_of=TODAY - dt.timedelta(days=200))) == [h]


def test_household_page_masks_and_reveal_is_audited(band_home, people, login):  # noqa: F811
    head = members_of(band_home)[0]
    full = decrypt(head.id_enc)
    leader = login(people["leader"]).get(f"{P}/households/{band_home.pk}/")
    page = leader.content.decode()
    assert leader.status_code == 200
    for text in ("满十六", "未到劳动年龄", "超过劳动年龄", "丧失劳动力", "在校生", "不在搬迁人口中", head.id_masked, "“至少1人就业”缺口"):
        assert text in page, text
    assert full not in page and "显示完整身份证号" not in page and "/new/" not in page  # a reader: masked, no forms
    assert login(people["leader"]).post(f"{P}/households/{band_home.pk}/reveal/").status_code == 403

    clerk = login(people["township"])
    page = clerk.get(f"{P}/households/{band_home.pk}/").content.decode()
    assert "显示完整身份证号" in page and full not in page and f"{P}/households/{band_home.pk}/employment/new/" in page
    revealed = clerk.post(f"{P}/households/{band_home.pk}/reveal/")
    assert revealed.status_code == 200 and full in revealed.content.decode() and revealed["Cache-Control"] == "no-store"
    events = AuditEvent.objects.filter(action="registry.person.revealed", actor=people["township"])
    assert events.count() == 7 and {e.after["field"] for e in events} == {"id_number"}
    assert login(people["foreign"]).get(f"{P}/households/{band_home.pk}/").status_code == 404


def test_household_page_links_and_sections(people, login):  # noqa: F811
    site = make_site(name="白坪安置点")
    h = make_relocated_household(site=site)
    a = members_of(h)[0]
    pp.employment_create(actor=people["township"], household=h, person=a, kind="workshop", started_on=dt.date(2025, 1, 1), monthly_income="2100")
    hh.income_create(actor=people["township"], household=h, year=2025, persons=3, wage="30000", costs="1000")
    hh.welfare_create(actor=people["township"], household=h, kind="dibao", started_on=dt.date(2024, 1, 1), monthly="450")
    page = login(people["township"]).get(f"{P}/households/{h.pk}/").content.decode()
    assert f"/relocation/sites/{site.pk}/" in page and "白坪安置点" in page
    assert "扶贫车间" in page and "2,100.00" in page and "29,000.00" in page and "9,666.66" in page and "最低生活保障" in page


def test_forms_add_edit_end_delete(people, login):  # noqa: F811
    h = make_relocated_household()
    a = members_of(h)[0]
    client = login(people["township"])
    form = client.get(f"{P}/households/{h.pk}/employment/new/?person={a.pk}")
    assert form.status_code == 200 and "月收入（元）" in form.content.decode()
    bad = client.post(f"{P}/households/{h.pk}/employment/new/", {"person": a.pk, "kind": "county", "started_on": "2025-05-01",
                                                                  "ended_on": "2025-04-01", "monthly_income": "3000"})
    assert bad.status_code == 200 and "不能早于" in bad.content.decode() and not Employment.objects.exists()
    ok = client.post(f"{P}/households/{h.pk}/employment/new/", {"person": a.pk, "kind": "county", "started_on": "2025-05-01",
                                                                 "monthly_income": "3000.5", "employer": "县城物业"})
    assert ok.status_code == 302 and ok.url == f"{P}/households/{h.pk}/#employment"
    e = Employment.objects.get()
    assert e.monthly_income_fen == 300050
    edit = client.get(f"{P}/records/employment/{e.pk}/edit/")
    assert "3000.50" in edit.content.decode()
    client.post(f"{P}/records/employment/{e.pk}/edit/", {"kind": "flexible", "started_on": "2025-05-01", "monthly_income": "2800",
                                                         "employer": "县城物业"})
    e.refresh_from_db()
    assert (e.kind, e.monthly_income_fen) == ("flexible", 280000)
    assert client.post(f"{P}/records/employment/{e.pk}/end/", {"ended_on": "2025-10-31"}).status_code == 302
    e.refresh_from_db()
    assert e.ended_on == dt.date(2025, 10, 31)
    assert client.get(f"{P}/records/training/{e.pk}/end/").status_code == 404
    assert client.post(f"{P}/records/employment/{e.pk}/delete/").status_code == 302
    assert not Employment.objects.exists()

    response = client.post(f"{P}/households/{h.pk}/capacity/new/", {"person": a.pk, "capacity": "weak", "disability_grade": "2"})
    assert response.status_code == 302 and LabourCapacity.objects.get().disability_grade == 2
    again = client.post(f"{P}/households/{h.pk}/capacity/new/", {"person": a.pk, "capacity": "able"})
    assert "已登记劳动能力" in again.content.decode()
    client.post(f"{P}/households/{h.pk}/welfare/new/", {"kind": "dibao", "persons": "2", "monthly": "300", "started_on": "2024-01-01"})
    overlap = client.post(f"{P}/households/{h.pk}/welfare/new/", {"kind": "dibao", "persons": "2", "started_on": "2024-06-01"})
    assert "重叠" in overlap.content.decode() and Welfare.objects.count() == 1
    for entity in ("training", "insurance", "medical", "income", "industry", "service"):
        assert client.get(f"{P}/households/{h.pk}/{entity}/new/").status_code == 200, entity
    assert client.get(f"{P}/households/{h.pk}/nonsense/new/").status_code == 404


def test_forms_scope(people, login, make_user):  # noqa: F811
    h = make_relocated_household()
    e = make_employment(members_of(h)[0])
    wide = make_user("township_clerk", "429921102", view_scope="429921", username="sp_wide_web")
    assert login(wide).get(f"{P}/households/{h.pk}/").status_code == 200
    assert login(wide).get(f"{P}/households/{h.pk}/employment/new/").status_code == 403
    assert login(wide).post(f"{P}/records/employment/{e.pk}/delete/").status_code == 403
    assert login(people["leader"]).get(f"{P}/records/employment/{e.pk}/edit/").status_code == 403
    assert login(people["foreign"]).get(f"{P}/records/employment/{e.pk}/edit/").status_code == 404
    foreign = make_relocated_household(village=OTHER_VILLAGE)
    assert login(people["county"]).get(f"{P}/households/{foreign.pk}/employment/new/").status_code == 404
    assert Employment.objects.count() == 1


def test_work_list_filters(people, login):  # noqa: F811
    site = make_site()
    gap = household_of([("缺口户主", years_ago(40))], site=site)
    working = household_of([("就业户主", years_ago(40))])
    make_employment(members_of(working)[0], started_on=TODAY - dt.timedelta(days=10))
    old = household_of([("老人", years_ago(70))], village="429921102201")
    hh.income_create(actor=people["county"], household=working, year=TODAY.year - 1, persons=1)
    county = people["county"]
    assert set(sel.household_list(actor=county)) == {gap, working, old}
    assert list(sel.household_list(actor=county, gap=True)) == [gap]
    assert set(sel.household_list(actor=county, no_income=True)) == {gap, old}
    assert list(sel.household_list(actor=county, division="429921102")) == [old]
    assert list(sel.household_list(actor=county, site=site.pk)) == [gap]
    assert list(sel.household_list(actor=county, q="就业")) == [working]
    assert list(sel.household_list(actor=county, q=working.number[:-1] + working.number[-1])) == [working]
    assert list(sel.household_list(actor=people["township"])) == [gap, working]
    assert not sel.household_list(actor=people["foreign"]).exists()

    page = login(county).get(f"{P}/households/?gap=on").content.decode()
    assert "缺口户主" in page and "就业户主" not in page
    page = login(county).get(f"{P}/households/?no_income=on&township=429921102").content.decode()
    assert "老人" in page and "缺口户主" not in page
    assert login(people["leader"]).get(f"{P}/households/").status_code == 200


def test_employment_list_and_export(people, login):  # noqa: F811
    h = make_relocated_household()
    a, b = members_of(h)[:2]
    make_employment(a, kind="workshop", started_on=TODAY - dt.timedelta(days=5), monthly_income_fen=250_050, employer="=HYPERLINK()")
    make_employment(b, kind="county", started_on=TODAY - dt.timedelta(days=50), ended_on=TODAY - dt.timedelta(days=1))
    foreign = make_relocated_household(village=OTHER_VILLAGE)
    make_employment(members_of(foreign)[0], started_on=TODAY - dt.timedelta(days=5))
    client = login(people["leader"])
    page = client.get(f"{P}/employment/").content.decode()
    assert a.name in page and "2,500.50" in page and b.name not in page
    assert b.name in client.get(f"{P}/employment/?on={(TODAY - dt.timedelta(days=3)).isoformat()}").content.decode()
    assert a.name not in client.get(f"{P}/employment/?kind=county").content.decode()
    response = client.get(f"{P}/employment/export/")
    assert response.status_code == 200
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert len(rows) == 3 and rows[2][4] == a.name and rows[2][5] == a.id_masked and rows[2][11] == 2500.5
    assert rows[2][7] == "'=HYPERLINK()"
    assert AuditEvent.objects.get(action="relocation.employment.exported").after["rows"] == 1


def test_household_page_shows_steps_and_monitoring(people, login):  # noqa: F811
    from django.urls import NoReverseMatch, reverse

    from anju.relocation.models import MonitoringCase

    h = make_relocated_household()
    case = MonitoringCase.objects.create(household=h, division_code=h.division_code, category="marginal", channel="visit",
                                         identified_on=dt.date(2025, 5, 1), state="monitoring", colour="yellow")
    page = login(people["leader"]).get(f"{P}/households/{h.pk}/").content.decode()
    assert "边缘易致贫户" in page and "监测帮扶中" in page and "搬迁入住" in page
    for name, arg in (("relocation_steps:household", h.pk), ("relocation_monitoring:case", case.pk)):
        try:
            url = reverse(name, args=[arg])
        except NoReverseMatch:  # built by another area; the page leaves the link out until it exists
            continue
        assert f'href="{url}"' in page
