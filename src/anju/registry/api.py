"""Registry API: search, households, persons (as of a date, timeline, audited reveal), roster, reservoirs."""


import datetime as dt
from decimal import Decimal
from typing import Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate

from anju.core.api_base import ERRORS, ErrorOut, Pagination, Text
from anju.core.masking import mask_phone
from anju.divisions.selectors import division_names
from anju.registry import selectors
from anju.registry.models import Program, Reservoir
from anju.registry.models import Status as PersonStatus
from anju.registry.services.reference import reservoir_create, reservoir_update
from anju.registry.templatetags.registry_read import request_url

router = Router(tags=["registry"])

DIVISION = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"  # a division code, short or full
COUNTY = r"^(\d{6}|\d{12})$"
CODE = r"^[A-Za-z0-9_-]{1,32}$"
NAME = r"^[^\x00]*[^\x00\s][^\x00]*$"  # not blank, no NUL


# --- schemas -----------------------------------------------------------------------------------------

class EnrolmentBrief(Schema):
    program: str
    status: str | None = Field(None, description="状态（截至 as_of；未给 as_of 时为当前状态）")


class PersonRow(Schema):
    id: int
    name: str
    id_masked: str
    gender: str
    birth_date: dt.date
    division_code: str
    village: str
    household_id: int | None
    household_number: str | None
    relation: str
    enrolments: list[EnrolmentBrief]

    @staticmethod
    def resolve_household_id(obj):
        return obj.household.pk if obj.household else None

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number if obj.household else None

    @staticmethod
    def resolve_enrolments(obj):
        return [{"program": e["program"], "status": e["status"]} for e in obj.enrolment_rows]


class PeriodOut(Schema):
    status: str
    valid_from: dt.date
    valid_to: dt.date | None
    cause: str
    note: str
    request_id: int | None


class EnrolmentOut(Schema):
    id: int
    program: str
    person_id: int
    household_id: int
    division_code: str
    status: str | None = Field(None, description="截至 as_of 的状态；该日未纳入时为空")
    current_status: str
    enrolled_on: dt.date
    reservoir_id: int | None
    reservoir_name: str | None
    move_date: dt.date | None
    origin: str
    category: str
    support_mode: str
    support_start: dt.date | None
    support_end: dt.date | None
    bank_name: str
    bank_account_masked: str
    poverty_registered: bool | None
    relocation_year: int | None
    placement: str
    area_type: str
    housing_area: Decimal | None
    site_id: int | None
    periods: list[PeriodOut]

    @staticmethod
    def resolve_status(obj):
        return obj.status_as_of

    @staticmethod
    def resolve_current_status(obj):
        return obj.status

    @staticmethod
    def resolve_reservoir_name(obj):
        return obj.reservoir.name if obj.reservoir_id else None

    @staticmethod
    def resolve_periods(obj):
        return obj.periods_list


class MembershipOut(Schema):
    household_id: int
    household_number: str
    relation: str
    valid_from: dt.date
    valid_to: dt.date | None

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number


class PersonDetail(Schema):
    id: int
    name: str
    id_masked: str
    gender: str
    birth_date: dt.date
    ethnicity: str
    phone_masked: str
    division_code: str
    village: str
    as_of: dt.date
    household: MembershipOut | None = Field(None, description="截至 as_of 所在户")
    memberships: list[MembershipOut]
    enrolments: list[EnrolmentOut]


class TimelineOut(Schema):
    kind: Literal["history", "status", "membership", "request"]
    date: dt.date
    at: dt.datetime | None
    title: str
    field: str
    old: str
    new: str
    source: str
    person: str
    actor: str
    request_id: int | None
    link: str | None = Field(None, description="变更申请页面")

    @staticmethod
    def resolve_link(obj):
        return request_url(obj["request_id"]) or None


class RevealIn(Schema):
    field: Literal["id_number", "bank_account"]


class RevealOut(Schema):
    field: str
    value: str


class HouseholdOut(Schema):
    id: int
    number: str
    county_code: str
    division_code: str
    village: str = ""
    address: str
    head_id: int | None
    head_name: str | None

    @staticmethod
    def resolve_head_name(obj):
        if isinstance(obj, dict):
            return obj["head_name"]
        return obj.head.name if obj.head_id else None


class MemberOut(Schema):
    person_id: int
    name: str
    id_masked: str
    gender: str
    birth_date: dt.date
    relation: str
    valid_from: dt.date
    valid_to: dt.date | None

    @staticmethod
    def resolve_name(obj):
        return obj.person.name

    @staticmethod
    def resolve_id_masked(obj):
        return obj.person.id_masked

    @staticmethod
    def resolve_gender(obj):
        return obj.person.gender

    @staticmethod
    def resolve_birth_date(obj):
        return obj.person.birth_date


class HouseholdDetail(HouseholdOut):
    as_of: dt.date
    members: list[MemberOut]
    enrolments: list[EnrolmentOut]


class RosterRow(Schema):
    enrolment_id: int
    person_id: int
    name: str
    id_masked: str
    gender: str
    birth_date: dt.date
    household_id: int
    household_number: str
    division_code: str
    village: str
    relation: str
    status: str
    status_since: dt.date = Field(..., alias="valid_from")

    @staticmethod
    def resolve_person_id(obj):
        return obj.enrolment.person_id

    @staticmethod
    def resolve_name(obj):
        return obj.enrolment.person.name

    @staticmethod
    def resolve_id_masked(obj):
        return obj.enrolment.person.id_masked

    @staticmethod
    def resolve_gender(obj):
        return obj.enrolment.person.gender

    @staticmethod
    def resolve_birth_date(obj):
        return obj.enrolment.person.birth_date

    @staticmethod
    def resolve_household_id(obj):
        return obj.enrolment.household_id

    @staticmethod
    def resolve_household_number(obj):
        return obj.enrolment.household.number

    @staticmethod
    def resolve_division_code(obj):
        return obj.enrolment.division_code


class PersonFilter(Schema):
    q: Text | None = Field(None, max_length=64, description="姓名开头、身份证号（18/15 位）或户编号")
    program: Program | None = None
    division: str | None = Field(None, pattern=DIVISION, description="区划代码（2、4、6、9 或 12 位）")
    status: PersonStatus | None = None
    as_of: dt.date | None = None


class HouseholdFilter(Schema):
    q: Text | None = Field(None, max_length=64)
    division: str | None = Field(None, pattern=DIVISION, description="区划代码（2、4、6、9 或 12 位）")


class AsOf(Schema):
    as_of: dt.date | None = None


class RosterFilter(Schema):
    program: Program = Program.RESERVOIR
    as_of: dt.date | None = None
    division: str | None = Field(None, pattern=DIVISION, description="区划代码（2、4、6、9 或 12 位）")
    status: PersonStatus | None = PersonStatus.ACTIVE


class ReservoirOut(Schema):
    id: int
    code: str
    name: str
    scale: str
    county: str = Field(..., alias="division_code")


class ReservoirFilter(Schema):
    q: Text | None = Field(None, max_length=64)


class ReservoirIn(Schema):
    code: str = Field(..., pattern=CODE)
    name: str = Field(..., max_length=100, pattern=NAME)
    scale: Reservoir.Scale
    county: str = Field(..., pattern=COUNTY, description="县级区划代码（6 位或 12 位）")


class ReservoirPatch(Schema):
    code: str | None = Field(None, pattern=CODE)
    name: str | None = Field(None, max_length=100, pattern=NAME)
    scale: Reservoir.Scale | None = None
    county: str | None = Field(None, pattern=COUNTY)


# --- persons -----------------------------------------------------------------------------------------

@router.get("/persons", response={200: list[PersonRow], **ERRORS}, summary="查找人员（本辖区，脱敏）")
@paginate(Pagination)
def list_persons(request, filters: Query[PersonFilter]):
    return selectors.person_search(actor=request.auth, q=filters.q or "", program=filters.program, division=filters.division,
                                   status=filters.status, as_of=filters.as_of)


def _person_detail(person, as_of):
    membership = selectors.person_membership(person, as_of)
    return {
        "id": person.pk, "name": person.name, "id_masked": person.id_masked, "gender": person.gender, "birth_date": person.birth_date,
        "ethnicity": person.ethnicity, "phone_masked": mask_phone(person.phone), "division_code": person.division_code,
        "village": division_names([person.division_code]).get(person.division_code, ""),
        "as_of": as_of or selectors.today(), "household": membership, "memberships": selectors.person_memberships(person),
        "enrolments": selectors.person_enrolments(person, as_of),
    }


@router.get("/persons/{person_id}", response={200: PersonDetail, **ERRORS}, summary="一个人员及其项目登记（截至某日）")
def get_person(request, person_id: int, params: Query[AsOf]):
    return _person_detail(selectors.access_person(request.auth, person_id), params.as_of)


@router.get("/persons/{person_id}/timeline", response={200: list[TimelineOut], **ERRORS}, summary="人员变更历史")
def person_timeline(request, person_id: int):
    return selectors.person_timeline(selectors.access_person(request.auth, person_id))


@router.post("/persons/{person_id}/reveal", response={200: RevealOut, **ERRORS}, summary="查看完整身份证号或银行账号（留痕）")
def reveal_person(request, person_id: int, payload: RevealIn):
    person = selectors.access_person(request.auth, person_id)
    return {"field": payload.field, "value": selectors.person_reveal(actor=request.auth, person=person, field=payload.field)}


# --- households --------------------------------------------------------------------------------------

@router.get("/households", response={200: list[HouseholdOut], **ERRORS}, summary="查找户（本辖区）")
@paginate(Pagination)
def list_households(request, filters: Query[HouseholdFilter]):
    return selectors.household_search(actor=request.auth, q=filters.q or "", division=filters.division)


@router.get("/households/{household_id}", response={200: HouseholdDetail, **ERRORS}, summary="一户的成员与项目登记（截至某日）")
def get_household(request, household_id: int, params: Query[AsOf]):
    household = selectors.access_household(request.auth, household_id)
    return {
        "id": household.pk, "number": household.number, "county_code": household.county_code, "division_code": household.division_code,
        "village": division_names([household.division_code]).get(household.division_code, ""), "address": household.address,
        "head_id": household.head_id, "head_name": household.head.name if household.head_id else None,
        "as_of": params.as_of or selectors.today(), "members": selectors.household_members(household, params.as_of),
        "enrolments": selectors.household_enrolments(household, params.as_of),
    }


@router.get("/households/{household_id}/timeline", response={200: list[TimelineOut], **ERRORS}, summary="户的变更历史")
def household_timeline(request, household_id: int):
    return selectors.household_timeline(selectors.access_household(request.auth, household_id))


# --- roster ------------------------------------------------------------------------------------------

@router.get("/roster", response={200: list[RosterRow], **ERRORS}, summary="某日花名册（本辖区）")
@paginate(Pagination)
def get_roster(request, filters: Query[RosterFilter]):
    return selectors.roster(actor=request.auth, program=filters.program, as_of=filters.as_of, division=filters.division,
                            status=filters.status)


# --- reservoirs --------------------------------------------------------------------------------------

@router.get("/reservoirs", response={200: list[ReservoirOut], **ERRORS}, summary="水库列表")
@paginate(Pagination)
def list_reservoirs(request, filters: Query[ReservoirFilter]):
    return selectors.reservoir_list(actor=request.auth, q=filters.q or "")


@router.post("/reservoirs", response={201: ReservoirOut, 409: ErrorOut, **ERRORS}, summary="添加水库")
def create_reservoir(request, payload: ReservoirIn):
    return Status(201, reservoir_create(actor=request.auth, code=payload.code, name=payload.name, scale=payload.scale,
                                        county=payload.county))


@router.patch("/reservoirs/{reservoir_id}", response={200: ReservoirOut, 409: ErrorOut, **ERRORS}, summary="修改水库")
def update_reservoir(request, reservoir_id: int, payload: ReservoirPatch):
    reservoir = selectors.access_reservoir(request.auth, reservoir_id)
    return reservoir_update(actor=request.auth, reservoir=reservoir, **payload.dict(exclude_unset=True))
