"""Relocation API: follow-up support. The household work list (gap filters) and one household's summary (members with
age, labour status, capacity and current employment); for each record kind (capacities, employments, trainings,
insurances, medical-costs, welfare, incomes, industries, services) list per household, create, update, delete; ending an
employment spell or a 低保 period; employment spells active on a day. Amounts are 元 as text ("1234.50"), stored in fen."""

from datetime import date
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints, create_model

from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.projects.money import yuan_text
from anju.relocation import selectors_support as sel
from anju.relocation.models import Employment, Industry, LabourCapacity, Welfare
from anju.relocation.selectors_common import access_relocated_household
from anju.relocation.services import support as engine
from anju.relocation.services.support_households import welfare_end
from anju.relocation.services.support_persons import employment_end

router = Router(tags=["relocation-support"])
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}

Amount = Annotated[str, StringConstraints(pattern=r"^\d{1,13}(\.\d{1,2})?$")]
Short = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=100)]
Long = Annotated[str, StringConstraints(pattern=r"^[^\x00]*$", max_length=300)]
Required = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=100)]
TermCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Year = Annotated[int, Field(ge=2000, le=2100)]
Id = Annotated[int, Field(ge=1, le=2**31 - 1)]
DIVISION = r"^(\d{2}|\d{4}|\d{6}|\d{9}|\d{12})$"
Day = Annotated[date, Field(ge=date(2000, 1, 1), le=date(2100, 12, 31))]
READ_ERRORS = {**ERRORS, 409: ErrorOut}  # 409: no labour-age policy in force on the day asked for

CapacityCode = Literal[tuple(LabourCapacity.Capacity.values)]
EmploymentKind = Literal[tuple(Employment.Kind.values)]
WelfareKind = Literal[tuple(Welfare.Kind.values)]
IndustryMode = Literal[tuple(Industry.Mode.values)]


def _yuan(fen) -> str:
    return yuan_text(fen or 0)


def _yuan_of(attr: str) -> staticmethod:
    """A schema resolver: the record's fen amount `attr` as 元 text (none is "0.00")."""
    def resolve(obj):
        return _yuan(getattr(obj, attr))
    return staticmethod(resolve)


# --- inputs ---------------------------------------------------------------------------------------------------------

class SupportCapacityIn(Schema):
    person: Id = Field(..., description="家庭成员（人员 id，须为本户现有成员）")
    capacity: CapacityCode = Field(..., description="able 普通劳动力 / skilled 技能劳动力 / weak 弱劳动力 / none 丧失劳动力 / student 在校生")
    disability_grade: int | None = Field(None, ge=1, le=4, description="残疾等级 1–4；无残疾为空")
    recorded_on: date | None = Field(None, description="登记日期（默认今天，不晚于今天）")


class SupportEmploymentIn(Schema):
    person: Id
    kind: EmploymentKind = Field(..., description="就业类型")
    employer: Short = ""
    place: Short = ""
    started_on: date
    ended_on: date | None = Field(None, description="结束日期（不早于开始日期；仍在就业为空）")
    monthly_income: Amount = Field("0", description="月收入（元）")


class SupportTrainingIn(Schema):
    person: Id
    course: Required
    organiser: Short = ""
    started_on: date
    ended_on: date | None = None
    certificate: Short = ""


class SupportInsuranceIn(Schema):
    person: Id
    year: Year
    medical: bool | None = Field(None, description="参加基本医疗保险（空为不详）")
    pension: bool | None = Field(None, description="参加基本养老保险（空为不详）")


class SupportMedicalIn(Schema):
    person: Id
    year: Year
    total: Amount = Field("0", description="医疗总费用（元）")
    out_of_pocket: Amount = Field("0", description="合规自付费用（元，不超过总费用）")


class SupportWelfareIn(Schema):
    kind: WelfareKind = Field(..., description="dibao 最低生活保障 / tekun 特困人员供养")
    persons: int = Field(1, ge=1, le=99)
    monthly: Amount = Field("0", description="月保障金（元）")
    started_on: date
    ended_on: date | None = Field(None, description="终止日期（含当日；同类期间不得重叠）")


class SupportIncomeIn(Schema):
    year: Year
    persons: int = Field(..., ge=1, le=99, description="家庭人口")
    wage: Amount = "0"
    business: Amount = "0"
    property: Amount = "0"
    transfer: Amount = "0"
    costs: Amount = Field("0", description="生产经营性支出（元）")
    surveyed_on: date | None = Field(None, description="调查日期（默认今天）")


class SupportIndustryIn(Schema):
    year: Year
    kind: TermCode = Field(..., description="产业类型（搬迁字典 industry 的编码）")
    mode: IndustryMode
    partner: Short = ""
    benefit: Amount = Field("0", description="年收益（元）")


class SupportServiceIn(Schema):
    kind: TermCode = Field(..., description="服务类型（搬迁字典 service 的编码）")
    on: date
    provider: Short = ""
    note: Long = ""


class SupportEndIn(Schema):
    ended_on: date = Field(..., description="结束日期（含当日，不早于开始日期）")


# --- outputs --------------------------------------------------------------------------------------------------------

class _PersonRecord(Schema):
    id: int
    household_id: int
    person_id: int
    person_name: str = ""

    @staticmethod
    def resolve_person_name(obj):
        return obj.person.name


class SupportCapacityOut(_PersonRecord):
    capacity: str
    disability_grade: int | None
    recorded_on: date


class SupportEmploymentOut(_PersonRecord):
    kind: str
    employer: str
    place: str
    started_on: date
    ended_on: date | None
    monthly_income: str = Field("", description="月收入（元）")
    source: str

    resolve_monthly_income = _yuan_of("monthly_income_fen")


class SupportTrainingOut(_PersonRecord):
    course: str
    organiser: str
    started_on: date
    ended_on: date | None
    certificate: str


class SupportInsuranceOut(_PersonRecord):
    year: int
    medical: bool | None
    pension: bool | None


class SupportMedicalOut(_PersonRecord):
    year: int
    total: str = ""
    out_of_pocket: str = ""
    source: str

    resolve_total = _yuan_of("total_fen")
    resolve_out_of_pocket = _yuan_of("out_of_pocket_fen")


class SupportWelfareOut(Schema):
    id: int
    household_id: int
    kind: str
    persons: int
    monthly: str = ""
    started_on: date
    ended_on: date | None
    source: str

    resolve_monthly = _yuan_of("monthly_fen")


class SupportIncomeOut(Schema):
    id: int
    household_id: int
    year: int
    persons: int
    wage: str = ""
    business: str = ""
    property: str = ""
    transfer: str = ""
    costs: str = ""
    net: str = Field("", description="家庭纯收入（元）= 四项收入 − 生产经营性支出")
    per_capita: str = Field("", description="人均纯收入（元，向下取整到分）")
    surveyed_on: date

    resolve_wage = _yuan_of("wage_fen")
    resolve_business = _yuan_of("business_fen")
    resolve_property = _yuan_of("property_fen")
    resolve_transfer = _yuan_of("transfer_fen")
    resolve_costs = _yuan_of("costs_fen")

    @staticmethod
    def resolve_net(obj):
        return yuan_text(obj.net_fen)

    @staticmethod
    def resolve_per_capita(obj):
        return yuan_text(obj.net_fen // obj.persons) if obj.persons else ""


class SupportIndustryOut(Schema):
    id: int
    household_id: int
    year: int
    kind: str
    kind_name: str = ""
    mode: str
    partner: str
    benefit: str = ""

    resolve_benefit = _yuan_of("benefit_fen")


class SupportServiceOut(Schema):
    id: int
    household_id: int
    kind: str
    kind_name: str = ""
    on: date
    provider: str
    note: str


class SupportEmploymentSpellOut(SupportEmploymentOut):
    division_code: str
    household_number: str = ""

    @staticmethod
    def resolve_household_number(obj):
        return obj.household.number


class SupportMemberOut(Schema):
    person_id: int
    name: str
    relation: str
    id_masked: str
    age: int
    in_population: bool = Field(..., description="统计日在搬迁人口中（搬迁项目在册）")
    labour_status: Literal["labour", "not_population", "under_age", "over_age", "none", "student"]
    labour: bool
    capacity: str | None
    disability_grade: int | None
    employments: list[SupportEmploymentOut] = Field(..., description="统计日在岗的就业记录")


class SupportCaseOut(Schema):
    id: int
    category: str
    state: str
    colour: str
    identified_on: date


class SupportHouseholdOut(Schema):
    id: int
    number: str
    division_code: str
    village: str
    head_name: str | None
    as_of: date
    labour_age: list[int]
    labour_count: int
    employed_count: int
    gap: bool = Field(..., description="有劳动力但无人就业（“至少1人就业”缺口）")
    site_id: int | None
    site_name: str | None
    relocation_step: str | None
    members: list[SupportMemberOut]
    monitoring: list[SupportCaseOut]
    records: dict[str, int] = Field(..., description="各类记录条数")


class SupportHouseholdRowOut(Schema):
    id: int
    number: str
    division_code: str
    village: str = ""
    head_name: str | None = None
    site_name: str | None = None
    persons: int = 0
    labour: int = 0
    employed: int = 0
    gap: bool = False
    income_year: int | None = None

    @staticmethod
    def resolve_head_name(obj):
        return obj.head.name if obj.head_id else None

    @staticmethod
    def resolve_site_name(obj):
        return obj.site.name if getattr(obj, "site", None) else None


class SupportHouseholdFilter(Schema):
    as_of: Day | None = Field(None, description="统计日期（默认今天）")
    division: str | None = Field(None, pattern=DIVISION, description="区划代码前缀（县、乡镇、村）")
    site: Id | None = Field(None, description="安置点 id")
    gap: bool = Field(False, description="只列有劳动力但无人就业的户")
    no_income: bool = Field(False, description="只列缺上年收入调查的户")
    q: Text | None = Field(None, max_length=32, description="户编号或成员姓名开头")


class SupportAsOf(Schema):
    as_of: Day | None = Field(None, description="统计日期（默认今天）")


class SupportEmploymentFilter(Schema):
    on: Day | None = Field(None, description="在岗日期（默认今天）")
    kind: EmploymentKind | None = None
    division: str | None = Field(None, pattern=DIVISION)
    q: Text | None = Field(None, max_length=32, description="姓名开头或单位包含")


# --- households -----------------------------------------------------------------------------------------------------

def household_summary(fu: sel.FollowUp) -> dict:
    h = fu.household
    members = [{"person_id": m.person.pk, "name": m.person.name, "relation": m.relation, "id_masked": m.person.id_masked, "age": m.age,
                "in_population": m.in_population, "labour_status": m.status, "labour": m.labour,
                "capacity": m.capacity.capacity if m.capacity else None,
                "disability_grade": m.capacity.disability_grade if m.capacity else None, "employments": m.employments}
               for m in fu.members]
    return {"id": h.pk, "number": h.number, "division_code": h.division_code, "village": fu.village,
            "head_name": h.head.name if h.head_id else None, "as_of": fu.as_of, "labour_age": list(fu.band),
            "labour_count": fu.labour_count, "employed_count": fu.employed_count, "gap": fu.gap,
            "site_id": fu.site.pk if fu.site else None, "site_name": fu.site.name if fu.site else None,
            "relocation_step": fu.relocation.step if fu.relocation else None, "members": members,
            "monitoring": fu.cases, "records": {entity: len(rows) for entity, rows in fu.records.items()}}


@router.get("/households", response={200: list[SupportHouseholdRowOut], **READ_ERRORS}, summary="搬迁户后续扶持工作清单（可筛“至少1人就业”缺口等）")
@paginate(Pagination)
def households_list(request, filters: Query[SupportHouseholdFilter]):
    as_of = filters.as_of or sel.today()
    qs = sel.household_list(actor=request.auth, as_of=as_of, division=filters.division or "", site=filters.site, gap=filters.gap,
                            no_income=filters.no_income, q=filters.q or "")
    return AnnotatedPage(qs, lambda rows: sel.decorate_households(rows, as_of))


@router.get("/households/{household_id}", response={200: SupportHouseholdOut, **READ_ERRORS},
            summary="一户的后续扶持概况：成员年龄、劳动力状态、劳动能力、当前就业（身份证号脱敏）")
def household_get(request, household_id: int, filters: Query[SupportAsOf]):
    household = access_relocated_household(request.auth, household_id)
    return household_summary(sel.household_follow_up(actor=request.auth, household=household, as_of=filters.as_of))


@router.get("/employments", response={200: list[SupportEmploymentSpellOut], **ERRORS}, summary="某日在岗的就业记录（本辖区）")
@paginate(Pagination)
def employments_active(request, filters: Query[SupportEmploymentFilter]):
    return sel.employment_list(actor=request.auth, on=filters.on, kind=filters.kind or "", division=filters.division or "",
                               q=filters.q or "")


# --- record kinds ---------------------------------------------------------------------------------------------------

KINDS = [
    ("capacity", "capacities", "劳动能力", SupportCapacityIn, SupportCapacityOut),
    ("employment", "employments", "就业情况", SupportEmploymentIn, SupportEmploymentOut),
    ("training", "trainings", "技能培训", SupportTrainingIn, SupportTrainingOut),
    ("insurance", "insurances", "参保情况", SupportInsuranceIn, SupportInsuranceOut),
    ("medical", "medical-costs", "医疗费用", SupportMedicalIn, SupportMedicalOut),
    ("welfare", "welfare", "低保特困", SupportWelfareIn, SupportWelfareOut),
    ("income", "incomes", "收入调查", SupportIncomeIn, SupportIncomeOut),
    ("industry", "industries", "产业帮扶", SupportIndustryIn, SupportIndustryOut),
    ("service", "services", "社区服务", SupportServiceIn, SupportServiceOut),
]


def _patch_schema(schema_in):
    """The same fields, all optional (a PATCH sends only what changes); the member cannot change."""
    fields = {name: (f.annotation | None, None) for name, f in schema_in.model_fields.items() if name != "person"}
    return create_model(schema_in.__name__.replace("In", "Patch"), __base__=Schema, **fields)


def _one(entity: str, record):
    sel.decorate_records(entity, [record])
    return record


def _mount(entity: str, plural: str, label: str, schema_in, schema_out) -> None:
    schema_patch = _patch_schema(schema_in)

    @router.get(f"/households/{{household_id}}/{plural}", response={200: list[schema_out], **ERRORS}, summary=f"一户的{label}记录",
                operation_id=f"relocation_support_{entity}_list")
    def list_records(request, household_id: int):
        household = access_relocated_household(request.auth, household_id)
        return sel.household_records(household, entity)

    @router.post(f"/households/{{household_id}}/{plural}", response={201: schema_out, **WRITE_ERRORS}, summary=f"添加{label}",
                 operation_id=f"relocation_support_{entity}_create")
    def create_record(request, household_id: int, payload: schema_in):
        data = payload.dict()
        person = data.pop("person", None)
        record = engine.record_create(actor=request.auth, entity=entity, household=household_id, person=person, data=data)
        return Status(201, _one(entity, record))

    @router.patch(f"/{plural}/{{record_id}}", response={200: schema_out, **WRITE_ERRORS}, summary=f"修改{label}",
                  operation_id=f"relocation_support_{entity}_update")
    def update_record(request, record_id: int, payload: schema_patch):
        record = sel.access_record(request.auth, entity, record_id, kind="entry")
        return _one(entity, engine.record_update(actor=request.auth, record=record, data=payload.dict(exclude_unset=True)))

    @router.delete(f"/{plural}/{{record_id}}", response={204: None, **WRITE_ERRORS}, summary=f"删除{label}（留痕）",
                   operation_id=f"relocation_support_{entity}_delete")
    def delete_record(request, record_id: int):
        record = sel.access_record(request.auth, entity, record_id, kind="entry")
        engine.record_delete(actor=request.auth, record=record)
        return Status(204, None)


for _kind in KINDS:
    _mount(*_kind)


@router.post("/employments/{record_id}/end", response={200: SupportEmploymentOut, **WRITE_ERRORS}, summary="结束就业（登记结束日期）")
def employment_end_api(request, record_id: int, payload: SupportEndIn):
    record = sel.access_record(request.auth, "employment", record_id, kind="entry")
    return employment_end(actor=request.auth, employment=record, ended_on=payload.ended_on)


@router.post("/welfare/{record_id}/end", response={200: SupportWelfareOut, **WRITE_ERRORS}, summary="终止低保特困（登记终止日期）")
def welfare_end_api(request, record_id: int, payload: SupportEndIn):
    record = sel.access_record(request.auth, "welfare", record_id, kind="entry")
    return welfare_end(actor=request.auth, welfare=record, ended_on=payload.ended_on)
