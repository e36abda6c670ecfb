"""Relocation API: resettlement sites (list with occupancy, one with its households, facilities, organisations, projects and
housing-area exceptions, create, update) and a site's facilities and community organisations."""

import datetime as dt
from datetime import date
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.relocation import selectors
from anju.relocation.services import sites_facilities as items
from anju.relocation.services.sites import site_create, site_update

router = Router(tags=["relocation"])

DIVISION = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"
CODE = r"^[A-Za-z0-9_-]{1,32}$"
NAME = r"^[^\x00]*[^\x00\s][^\x00]*$"  # not blank, no NUL
TERM = r"^[A-Za-z0-9_-]{1,32}$"
PlacementCode = Literal["concentrated", "dispersed"]
AreaTypeCode = Literal["urban", "rural"]
FacilityStatusCode = Literal["planned", "building", "in_use", "suspended"]
WRITE_ERRORS = {409: ErrorOut, **ERRORS}


class SiteOut(Schema):
    id: int
    code: str
    name: str
    division_code: str
    placement: str
    area_type: str
    capacity: int
    address: str
    longitude: float | None = Field(None, description="经度（东经，度）")
    latitude: float | None = Field(None, description="纬度（北纬，度）")
    planned_units: int
    built_units: int
    completed_on: date | None
    manager: str
    note: str


class SiteOccupancyOut(Schema):
    households: int = Field(..., description="今天在册的易地搬迁对象所在户数（本辖区内）")
    persons: int = Field(..., description="今天在册的易地搬迁对象人数（本辖区内）")
    moved_in: int = Field(..., description="已入住户数（搬迁进度记录）")
    capacity: int
    rate: float | None = Field(None, description="入住率：安置人数 ÷ 设计安置人数（小数）；无设计人数时为 null")
    facilities_in_use: int
    facilities_total: int
    area_over: int = Field(..., description="人均住房面积超标户数")
    area_over_registered: int = Field(..., description="其中建档立卡户（红线）")


class SiteListOut(SiteOut):
    division_name: str = ""
    occupancy: SiteOccupancyOut


class SiteHouseholdOut(Schema):
    id: int
    number: str
    division_code: str
    head_name: str | None
    persons: int
    step: str = Field("", description="当前搬迁环节（无搬迁进度记录时为空）")

    @staticmethod
    def resolve_head_name(obj):
        return obj.head.name if obj.head_id else None


class SiteFacilityOut(Schema):
    id: int
    kind: str
    name: str
    status: str
    capacity: int
    jobs: int
    opened_on: date | None
    project_id: int | None
    note: str


class SiteOrganisationOut(Schema):
    id: int
    kind: str
    name: str
    established_on: date | None
    leader: str
    phone: str
    members: int


class SiteProjectOut(Schema):
    id: int
    code: str
    name: str
    stage: str
    planned_investment_fen: int

    @staticmethod
    def resolve_planned_investment_fen(obj):
        return obj.planned_investment


class SiteAreaOut(Schema):
    household_id: int
    number: str
    head_name: str
    area_per_person: float
    limit: float
    source: Literal["relocation", "enrolment"]
    poverty_registered: bool


class SiteDetail(SiteOut):
    occupancy: SiteOccupancyOut
    households: list[SiteHouseholdOut]
    households_total: int
    facilities: list[SiteFacilityOut]
    organisations: list[SiteOrganisationOut]
    projects: list[SiteProjectOut]
    housing_area_exceptions: list[SiteAreaOut]


class SiteFilter(Schema):
    q: Text | None = Field(None, max_length=64)
    county: str | None = Field(None, pattern=r"^\d{6}$", description="县级区划代码（6 位）")
    placement: PlacementCode | None = None
    area_type: AreaTypeCode | None = None


class SiteIn(Schema):
    code: str = Field(..., pattern=CODE)
    name: str = Field(..., max_length=100, pattern=NAME)
    division: str = Field(..., pattern=DIVISION, description="所在区划代码（县、乡镇或村）")
    placement: PlacementCode
    area_type: AreaTypeCode
    capacity: int = Field(0, ge=0, le=1_000_000)
    address: Text = Field("", max_length=200)
    longitude: float | None = Field(None, ge=73, le=136, description="经度（东经 73—136 度）")
    latitude: float | None = Field(None, ge=3, le=54, description="纬度（北纬 3—54 度）")
    planned_units: int = Field(0, ge=0, le=1_000_000)
    built_units: int = Field(0, ge=0, le=1_000_000, description="不能多于规划套数（规划为 0 时不比较）")
    completed_on: date | None = Field(None, description="建成日期，不晚于今天")
    manager: Text = Field("", max_length=100)
    note: Text = Field("", max_length=2000)


class SitePatch(Schema):
    code: str | None = Field(None, pattern=CODE)
    name: str | None = Field(None, max_length=100, pattern=NAME)
    division: str | None = Field(None, pattern=DIVISION)
    placement: PlacementCode | None = None
    area_type: AreaTypeCode | None = None
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    address: Text | None = Field(None, max_length=200)
    longitude: float | None = Field(None, ge=73, le=136, description="null 清除坐标")
    latitude: float | None = Field(None, ge=3, le=54, description="null 清除坐标")
    planned_units: int | None = Field(None, ge=0, le=1_000_000)
    built_units: int | None = Field(None, ge=0, le=1_000_000)
    completed_on: date | None = Field(None, description="null 清除建成日期")
    manager: Text | None = Field(None, max_length=100)
    note: Text | None = Field(None, max_length=2000)


class SiteFacilityIn(Schema):
    kind: str = Field(..., pattern=TERM, description="设施类型编码（搬迁字典 facility）")
    name: str = Field(..., max_length=100, pattern=NAME)
    status: FacilityStatusCode = "planned"
    capacity: int = Field(0, ge=0, le=1_000_000)
    jobs: int = Field(0, ge=0, le=1_000_000)
    opened_on: date | None = Field(None, description="投用日期，不晚于今天；规划中、在建的设施不填")
    project_id: int | None = Field(None, ge=1, le=2**31 - 1, description="建设项目（projects）id")
    note: Text = Field("", max_length=300)


class SiteFacilityPatch(Schema):
    kind: str | None = Field(None, pattern=TERM)
    name: str | None = Field(None, max_length=100, pattern=NAME)
    status: FacilityStatusCode | None = None
    capacity: int | None = Field(None, ge=0, le=1_000_000)
    jobs: int | None = Field(None, ge=0, le=1_000_000)
    opened_on: date | None = None
    project_id: int | None = Field(None, ge=1, le=2**31 - 1)
    note: Text | None = Field(None, max_length=300)


class SiteOrganisationIn(Schema):
    kind: str = Field(..., pattern=TERM, description="组织类型编码（搬迁字典 organisation）")
    name: str = Field(..., max_length=100, pattern=NAME)
    established_on: date | None = None
    leader: Text = Field("", max_length=50)
    phone: str = Field("", pattern=r"^([0-9 +()\-]{3,30})?$")
    members: int = Field(0, ge=0, le=1_000_000)


class SiteOrganisationPatch(Schema):
    kind: str | None = Field(None, pattern=TERM)
    name: str | None = Field(None, max_length=100, pattern=NAME)
    established_on: date | None = None
    leader: Text | None = Field(None, max_length=50)
    phone: str | None = Field(None, pattern=r"^([0-9 +()\-]{3,30})?$")
    members: int | None = Field(None, ge=0, le=1_000_000)


MAX_SITE_HOUSEHOLDS = 1000
NULLABLE = {"longitude", "latitude", "completed_on", "opened_on", "project", "established_on"}


def _changes(data: dict) -> dict:
    """PATCH bodies: null clears the nullable fields and leaves the others as they are."""
    out = {}
    for key, value in data.items():
        field = "project" if key == "project_id" else key
        if value is None and field not in NULLABLE:
            continue
        out[field] = value
    return out


def _decorate(actor):
    def annotate(sites):
        selectors.decorate_sites(sites, actor=actor)
    return annotate


@router.get("/sites", response={200: list[SiteListOut], **ERRORS}, summary="安置点列表（含今天的安置户数、人数、入住率、设施、住房面积超标户）")
@paginate(Pagination)
def list_sites(request, filters: Query[SiteFilter]):
    qs = selectors.site_list(actor=request.auth, q=filters.q or "", county=filters.county or "", placement=filters.placement or "",
                             area_type=filters.area_type or "")
    return AnnotatedPage(qs, _decorate(request.auth))


def _detail(actor, site):
    today = dt.date.today()
    households = selectors.site_households(actor=actor, site=site, as_of=today)
    page = list(households[:MAX_SITE_HOUSEHOLDS])
    selectors.decorate_households(page)
    site.households, site.households_total = page, households.count()
    site.occupancy = selectors.site_occupancy(actor=actor, sites=[site], as_of=today)[site.pk]
    site.facilities_list = list(site.facilities.order_by("kind", "name"))
    site.organisations_list = list(site.organisations.order_by("kind", "name"))
    site.projects_list = list(selectors.site_projects(actor=actor, site=site))
    site.exceptions = selectors.housing_area_check(actor=actor, as_of=today, sites=[site])
    return {**SiteOut.from_orm(site).dict(), "occupancy": site.occupancy, "households": page, "households_total": site.households_total,
            "facilities": site.facilities_list, "organisations": site.organisations_list, "projects": site.projects_list,
            "housing_area_exceptions": site.exceptions}


@router.get("/sites/{site_id}", response={200: SiteDetail, **ERRORS},
            summary="一个安置点：入住情况、配套设施、社区组织、建设项目、住房面积超标户与安置户（前 1000 户）")
def get_site(request, site_id: int):
    return _detail(request.auth, selectors.access_site(request.auth, site_id))


@router.post("/sites", response={201: SiteOut, **WRITE_ERRORS}, summary="添加安置点")
def create_site(request, payload: SiteIn):
    return Status(201, site_create(actor=request.auth, **payload.dict()))


@router.patch("/sites/{site_id}", response={200: SiteOut, **WRITE_ERRORS}, summary="修改安置点（坐标、建成日期传 null 为清除）")
def update_site(request, site_id: int, payload: SitePatch):
    site = selectors.access_site(request.auth, site_id)
    return site_update(actor=request.auth, site=site, **payload.dict(exclude_unset=True))


@router.post("/sites/{site_id}/facilities", response={201: SiteFacilityOut, **WRITE_ERRORS}, summary="添加配套设施")
def create_facility(request, site_id: int, payload: SiteFacilityIn):
    site = selectors.access_site(request.auth, site_id)
    return Status(201, items.facility_create(actor=request.auth, site=site, **_changes(payload.dict())))


@router.patch("/sites/{site_id}/facilities/{facility_id}", response={200: SiteFacilityOut, **WRITE_ERRORS}, summary="修改配套设施")
def update_facility(request, site_id: int, facility_id: int, payload: SiteFacilityPatch):
    site = selectors.access_site(request.auth, site_id)
    facility = selectors.access_facility(site, facility_id)
    return items.facility_update(actor=request.auth, facility=facility, **_changes(payload.dict(exclude_unset=True)))


@router.delete("/sites/{site_id}/facilities/{facility_id}", response={204: None, **ERRORS}, summary="删除配套设施")
def delete_facility(request, site_id: int, facility_id: int):
    site = selectors.access_site(request.auth, site_id)
    items.facility_delete(actor=request.auth, facility=selectors.access_facility(site, facility_id))
    return Status(204, None)


@router.post("/sites/{site_id}/organisations", response={201: SiteOrganisationOut, **WRITE_ERRORS}, summary="添加社区组织")
def create_organisation(request, site_id: int, payload: SiteOrganisationIn):
    site = selectors.access_site(request.auth, site_id)
    return Status(201, items.organisation_create(actor=request.auth, site=site, **payload.dict()))


@router.patch("/sites/{site_id}/organisations/{organisation_id}", response={200: SiteOrganisationOut, **WRITE_ERRORS},
              summary="修改社区组织")
def update_organisation(request, site_id: int, organisation_id: int, payload: SiteOrganisationPatch):
    site = selectors.access_site(request.auth, site_id)
    organisation = selectors.access_organisation(site, organisation_id)
    return items.organisation_update(actor=request.auth, organisation=organisation, **_changes(payload.dict(exclude_unset=True)))


@router.delete("/sites/{site_id}/organisations/{organisation_id}", response={204: None, **ERRORS}, summary="删除社区组织")
def delete_organisation(request, site_id: int, organisation_id: int):
    site = selectors.access_site(request.auth, site_id)
    items.organisation_delete(actor=request.auth, organisation=selectors.access_organisation(site, organisation_id))
    return Status(204, None)
