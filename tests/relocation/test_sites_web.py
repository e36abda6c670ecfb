"""Site pages: the list with occupancy and its Excel ledger (read back), the site page with every panel, facility and
organisation pages, and the 安置点 choice of the project form."""

import datetime as dt
import io

import pytest
from python_calamine import CalamineWorkbook

from anju.core.models import AuditEvent
from anju.projects.models import Project
from anju.relocation.models import Facility, Organisation, Relocation, Site
from anju.relocation.services import sites as services
from tests.projects.factories import make_project
from tests.relocation.factories import make_relocated_household, make_site


@pytest.fixture
def data(tree, make_user):
    site = make_site("W1", name="白坪安置点", capacity=12, longitude="111.286500", latitude="30.701200", planned_units=10, built_units=8)
    make_site("W2", name="河东安置点", division_code="429922000000", placement="dispersed", area_type="rural")
    big = make_relocated_household([("李大", "户主", dt.date(1970, 1, 1)), ("李二", "子女", dt.date(2000, 1, 1))], site=site)
    Relocation.objects.filter(household=big).update(house_area=60, persons=2)  # 30 m² per person: over the line
    make_relocated_household(site=site)
    Facility.objects.create(site=site, kind="workshop", name="白坪扶贫车间", status=Facility.Status.IN_USE, jobs=40)
    project = make_project(code="XM-W-1", name="白坪安置点道路", division_code="429921101000", site=site)
    return {"site": site, "big": big, "project": project, "clerk": make_user("county_clerk", "429921"),
            "leader": make_user("leader", "4299")}


def test_list_shows_occupancy_and_filters(data, login):
    client = login(data["leader"])
    text = client.get("/relocation/sites/").content.decode()
    assert "白坪安置点" in text and "河东安置点" in text and "41.67%" in text  # 5 persons / 12
    assert "8/10" in text and "1/1" in text
    only = client.get("/relocation/sites/?placement=dispersed").content.decode()
    assert "河东安置点" in only and "白坪安置点" not in only
    county = client.get("/relocation/sites/?county=429921").content.decode()
    assert "白坪安置点" in county and "河东安置点" not in county


def test_export_reads_back(data, login):
    response = login(data["leader"]).get("/relocation/sites/export/?county=429921")
    assert response.status_code == 200 and response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    header, body = rows[2], rows[3:]
    assert header[1] == "安置点编码" and len(body) == 1
    row = dict(zip(header, body[0], strict=True))
    assert (row["安置点编码"], row["安置户数"], row["安置人数"], row["设计安置人数"]) == ("W1", 2, 5, 12)
    assert row["入住率（%）"] == pytest.approx(41.67) and row["人均住房面积超标户"] == 1 and row["经度"] == pytest.approx(111.2865)
    event = AuditEvent.objects.get(action="relocation.site_ledger.exported")
    assert event.after["rows"] == 1 and event.after["filters"] == {"county": "429921"}


def test_site_page_panels(data, login):
    site, big = data["site"], data["big"]
    text = login(data["leader"]).get(f"/relocation/sites/{site.pk}/").content.decode()
    assert "东经 111.286500°，北纬 30.701200°" in text
    assert "白坪扶贫车间" in text and "已投用" in text
    assert "XM-W-1" in text and "/projects/" in text and "白坪安置点道路" in text
    assert big.number in text and "搬迁入住" in text and "30.00" in text and "建档立卡户超标（红线）" in text
    assert "添加设施" not in text and "删除" not in text  # a reader gets no write buttons


def test_site_form_new_fields_and_field_errors(data, login):
    client = login(data["clerk"])
    form = {"code": "W9", "name": "新区", "division": "429921101", "placement": "concentrated", "area_type": "urban", "capacity": 10,
            "longitude": "150", "latitude": "30"}
    bad = client.post("/relocation/sites/new/", form)
    assert bad.status_code == 200 and str(services.MSG_LONGITUDE) in bad.content.decode()
    ok = client.post("/relocation/sites/new/", form | {"longitude": "111.5", "latitude": "30.5", "planned_units": "20",
                                                       "built_units": "20", "completed_on": "2020-06-30", "manager": "管委会"})
    assert ok.status_code == 302
    site = Site.objects.get(code="W9")
    assert (site.planned_units, site.completed_on, site.manager) == (20, dt.date(2020, 6, 30), "管委会")
    edit = client.get(f"/relocation/sites/{site.pk}/edit/").content.decode()
    assert "111.500000" in edit and "管委会" in edit


def test_facility_and_organisation_pages(data, login):
    site = data["site"]
    client = login(data["clerk"])
    page = client.get(f"/relocation/sites/{site.pk}/").content.decode()
    assert "添加设施" in page and "添加社区组织" in page
    form = client.get(f"/relocation/sites/{site.pk}/facilities/new/").content.decode()
    assert "XM-W-1" in form and "学校" in form
    bad = client.post(f"/relocation/sites/{site.pk}/facilities/new/", {"kind": "school", "name": "白坪小学", "status": "building",
                                                                         "opened_on": "2020-09-01"})
    assert bad.status_code == 200 and "规划中或在建的设施不能填写投用日期" in bad.content.decode()
    ok = client.post(f"/relocation/sites/{site.pk}/facilities/new/", {"kind": "school", "name": "白坪小学", "status": "in_use",
                                                                        "capacity": "600", "opened_on": "2020-09-01",
                                                                        "project": str(data["project"].pk)})
    assert ok.status_code == 302 and ok.url.endswith("#facilities")
    school = Facility.objects.get(name="白坪小学")
    assert school.project_id == data["project"].pk
    assert client.post(f"/relocation/sites/{site.pk}/facilities/{school.pk}/edit/", {"kind": "school", "name": "白坪完小",
                                                                                      "status": "in_use"}).status_code == 302
    assert Facility.objects.get(pk=school.pk).name == "白坪完小"
    assert client.post(f"/relocation/sites/{site.pk}/facilities/{school.pk}/delete/").status_code == 302
    assert not Facility.objects.filter(pk=school.pk).exists()
    assert client.post(f"/relocation/sites/{site.pk}/organisations/new/", {"kind": "party", "name": "党支部", "members": "9"}).status_code == 302
    org = Organisation.objects.get(name="党支部")
    assert client.post(f"/relocation/sites/{site.pk}/organisations/{org.pk}/edit/", {"kind": "party", "name": "党总支"}).status_code == 302
    assert client.post(f"/relocation/sites/{site.pk}/organisations/{org.pk}/delete/").status_code == 302
    assert not Organisation.objects.exists()


def test_facility_pages_refuse_readers_and_other_sites(data, login, make_user):
    site = data["site"]
    reader = login(data["leader"])
    assert reader.get(f"/relocation/sites/{site.pk}/facilities/new/").status_code == 403
    facility = Facility.objects.get(site=site)
    other = make_site("W3", division_code="429921101000")
    clerk = login(data["clerk"])
    assert clerk.get(f"/relocation/sites/{other.pk}/facilities/{facility.pk}/edit/").status_code == 404
    assert login(make_user("township_clerk", "429921101")).post(f"/relocation/sites/{site.pk}/facilities/{facility.pk}/delete/").status_code == 403


def test_project_form_names_its_site(data, login, make_user):
    client = login(data["clerk"])
    project = data["project"]
    form = client.get(f"/projects/{project.pk}/edit/").content.decode()
    assert "白坪安置点（W1）" in form and "河东安置点" not in form  # only sites in the clerk's scope
    from anju.projects.services.projects import MSG_SITE, project_update

    other = Site.objects.get(code="W2")
    from anju.core.exceptions import ValidationFailed

    with pytest.raises(ValidationFailed) as exc:
        project_update(actor=data["clerk"], project=project, site=other.pk)
    assert exc.value.message == str(MSG_SITE) and exc.value.detail == {"field": "site"}
    project_update(actor=data["clerk"], project=project, site=None)
    assert Project.objects.get(pk=project.pk).site_id is None
    assert AuditEvent.objects.filter(action="projects.project.updated").last().after == {"code": "XM-W-1", "site": None}


def test_site_page_follow_up_panel_from_metrics(tree, make_user, login):
    from tests.relocation.factories import make_employment, members_of

    site = make_site("WM", name="监测安置点")
    employed = make_relocated_household(site=site)
    make_employment(members_of(employed)[0], started_on=dt.date(2024, 3, 1))
    make_relocated_household(site=site)  # labour, nobody employed
    text = login(make_user("leader", "429921")).get(f"/relocation/sites/{site.pk}/").content.decode()
    assert "暂无后续扶持统计" not in text
    assert "1/2" in text and "50.00%" in text and "有劳动力户中至少1人就业" in text
