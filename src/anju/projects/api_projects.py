"""Projects API of the projects area: the project register (list, create, read with money totals and what the next stage
needs, change, stage move, actual dates, timeline) and the vocabularies (/terms). Amounts are 元 strings ("1234.50")."""

from datetime import date, datetime
from typing import Annotated, Literal

from ninja import Field, Query, Router, Schema, Status
from ninja.pagination import paginate
from pydantic import StringConstraints

from anju.accounts.roles import Perm
from anju.core.api_base import ERRORS, AnnotatedPage, ErrorOut, Pagination, Text
from anju.projects.models import Program, Stage, Term
from anju.projects.money import YUAN, yuan_text
from anju.projects.selectors import access_project
from anju.projects.selectors_projects import (
    access_term,
    decorate,
    next_stage_problems,
    project_actions,
    project_money,
    project_search,
    project_timeline,
    term_list,
    with_money,
)
from anju.projects.services import projects as services
from anju.projects.services import projects_terms as term_services
from anju.projects.services.stages import project_stage_set

router = Router(tags=["projects-projects"])

# Plain literals, not the model enums: OpenAPI names an enum schema by its class name, and registry's Program (or another
# area's State) would overwrite this one in the published schema.
ProgramCode = Literal[tuple(Program.values)]
StageCode = Literal[tuple(Stage.values)]
WRITE_ERRORS = {**ERRORS, 409: ErrorOut}
DIGITS = r"^\d{1,12}$"
LOCATION = r"^\d{6}(\d{3}(\d{3})?)?$"
AMOUNT = r"^\d{1,13}(\.\d{1,2})?$"

Code = Annotated[str, StringConstraints(pattern=r"^[^\s\x00]{1,40}$")]
Name = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=200)]
TermName = Annotated[str, StringConstraints(pattern=r"^[^\x00]*\S[^\x00]*$", max_length=60)]
TermCode = Annotated[str, StringConstraints(pattern=r"^[A-Za-z0-9_-]{1,32}$")]
Username = Annotated[str, StringConstraints(pattern=r"^[^\s\x00]{1,150}$")]
Year = Annotated[int, Field(ge=2000, le=2100)]


class ProjectOut(Schema):
    id: int
    code: str
    name: str
    division_code: str
    county_name: str = ""
    township_name: str = ""
    village_name: str = ""
    program: str
    program_label: str
    category: str
    category_name: str = ""
    plan_id: int | None
    site_id: int | None = None
    year: int | None
    content: str
    planned_investment_yuan: str = Field(..., description="计划投资（元）")
    beneficiaries: int
    responsible_unit: str
    responsible_person: str
    responsible_phone: str
    owner: str | None = Field(None, description="责任人账号（用户名）")
    design_institute: str
    design_qualified: bool
    planned_start: date | None
    planned_completion: date | None
    actual_start: date | None
    actual_completion: date | None
    stage: str
    stage_label: str
    stage_on: date | None
    note: str
    allocated_yuan: str | None = Field(None, description="累计下达（元，截至今日）")
    paid_yuan: str | None = Field(None, description="累计支付（元，截至今日）")
    created_at: datetime
    updated_at: datetime

    @staticmethod
    def resolve_program_label(obj):
        return str(Program(obj.program).label) if obj.program in Program.values else obj.program

    @staticmethod
    def resolve_stage_label(obj):
        return str(Stage(obj.stage).label)

    @staticmethod
    def resolve_planned_investment_yuan(obj):
        return yuan_text(obj.planned_investment)

    @staticmethod
    def resolve_owner(obj):
        return obj.owner.username if obj.owner_id else None

    @staticmethod
    def resolve_allocated_yuan(obj):
        return yuan_text(obj.allocated_fen) if getattr(obj, "allocated_fen", None) is not None else None

    @staticmethod
    def resolve_paid_yuan(obj):
        return yuan_text(obj.paid_fen) if getattr(obj, "paid_fen", None) is not None else None


class ProjectSourceMoneyOut(Schema):
    fund_source: str
    fund_source_name: str
    allocated_yuan: str
    paid_yuan: str


class ProjectDetailOut(ProjectOut):
    payment_rate: str | None = Field(None, description="资金支付率（小数，4 位）；尚无下达时为 null")
    by_source: list[ProjectSourceMoneyOut]
    next_stage: str | None
    next_stage_label: str | None
    stage_problems: list[str] = Field(..., description="转入下一阶段尚缺的条件；空为已具备")
    actions: dict[str, bool]


class ProjectStageChangeOut(Schema):
    from_stage: str
    from_label: str
    to_stage: str
    to_label: str
    on: date
    note: str
    by: str | None
    at: datetime

    @staticmethod
    def resolve_from_label(obj):
        return str(Stage(obj.from_stage).label) if obj.from_stage else ""

    @staticmethod
    def resolve_to_label(obj):
        return str(Stage(obj.to_stage).label)

    @staticmethod
    def resolve_by(obj):
        return obj.by.username if obj.by_id else None


class ProjectFilter(Schema):
    q: Text | None = Field(None, max_length=64, description="编码或名称包含")
    county: str | None = Field(None, pattern=DIGITS, description="县级区划代码（前缀）")
    division: str | None = Field(None, pattern=DIGITS, description="区划代码前缀（乡镇、村）")
    year: int | None = Field(None, ge=2000, le=2100)
    stage: StageCode | None = None
    program: ProgramCode | None = None
    category: Text | None = Field(None, max_length=32)


class ProjectIn(Schema):
    code: Code = Field(..., description="项目编码（唯一，最长 40 个字符）")
    name: Name
    division_code: str = Field(..., pattern=LOCATION, description="项目地点：县（6 位）、乡镇（9 位）或村（12 位）区划代码")
    program: ProgramCode
    category: Text = Field(..., max_length=32, description="项目类别编码（/terms?kind=category）")
    planned_investment_yuan: str = Field(..., pattern=AMOUNT, description="计划投资（元），如 \"1234567.89\"")
    year: Year | None = None
    plan_id: int | None = Field(None, ge=1, le=2**31 - 1)
    content: Text = Field("", max_length=5000)
    beneficiaries: int = Field(0, ge=0, le=2**31 - 1)
    responsible_unit: Text = Field("", max_length=100)
    responsible_person: Text = Field("", max_length=50)
    responsible_phone: Text = Field("", max_length=30)
    owner: Username | None = Field(None, description="责任人账号（用户名），接收该项目的预警")
    design_institute: Text = Field("", max_length=100)
    design_qualified: bool = False
    planned_start: date | None = None
    planned_completion: date | None = None
    note: Text = Field("", max_length=2000)
    site_id: int | None = Field(None, ge=1, le=2**31 - 1, description="易地搬迁安置点 id（/relocation/sites）")


class ProjectPatch(Schema):
    code: Code | None = None
    name: Name | None = None
    division_code: str | None = Field(None, pattern=LOCATION)
    program: ProgramCode | None = None
    category: Text | None = Field(None, max_length=32)
    planned_investment_yuan: str | None = Field(None, pattern=AMOUNT)
    year: Year | None = None
    plan_id: int | None = Field(None, ge=1, le=2**31 - 1)
    content: Text | None = Field(None, max_length=5000)
    beneficiaries: int | None = Field(None, ge=0, le=2**31 - 1)
    responsible_unit: Text | None = Field(None, max_length=100)
    responsible_person: Text | None = Field(None, max_length=50)
    responsible_phone: Text | None = Field(None, max_length=30)
    owner: Username | None = None
    design_institute: Text | None = Field(None, max_length=100)
    design_qualified: bool | None = None
    planned_start: date | None = None
    planned_completion: date | None = None
    note: Text | None = Field(None, max_length=2000)
    site_id: int | None = Field(None, ge=1, le=2**31 - 1, description="null 清除安置点")


class ProjectStageIn(Schema):
    to_stage: StageCode
    on: date | None = Field(None, description="转入日期，默认今天")
    note: Text = Field("", max_length=300)


class ProjectDatesIn(Schema):
    actual_start: date | None = None
    actual_completion: date | None = None


class ProjectTermOut(Schema):
    id: int
    kind: str
    kind_label: str
    code: str
    name: str
    sort: int
    active: bool

    @staticmethod
    def resolve_kind_label(obj):
        return str(Term.Kind(obj.kind).label)


class ProjectTermFilter(Schema):
    kind: Literal[tuple(Term.Kind.values)] | None = None
    active: bool | None = None


class ProjectTermIn(Schema):
    kind: Literal[tuple(Term.Kind.values)]
    code: TermCode
    name: TermName
    sort: int | None = Field(None, ge=0, le=32767, description="排序；不填排在最后")
    active: bool = True


class ProjectTermPatch(Schema):
    code: TermCode | None = Field(None, description="编码不能修改：只可与原编码相同")
    name: TermName | None = None
    sort: int | None = Field(None, ge=0, le=32767)
    active: bool | None = None


NULLABLE = {"year", "plan", "owner", "planned_start", "planned_completion", "site"}  # null clears these; null elsewhere leaves a field


def _service_changes(data: dict) -> dict:
    changes = {}
    for key, value in data.items():
        field = {"plan_id": "plan", "planned_investment_yuan": "planned_investment", "site_id": "site"}.get(key, key)
        if value is None and field not in NULLABLE:
            continue
        changes[field] = str(value) if key in ("program",) and value is not None else value
    return changes


def _detail(actor, project) -> object:
    project = with_money(type(project).objects.filter(pk=project.pk)).select_related("owner").first()
    decorate([project])
    money = project_money(project)
    following, problems = next_stage_problems(project)
    project.payment_rate = None if money["rate"] is None else str(money["rate"])
    project.by_source = [{"fund_source": s["source"], "fund_source_name": s["source_name"],
                          "allocated_yuan": s["allocated_yuan"].replace(",", ""), "paid_yuan": s["paid_yuan"].replace(",", "")}
                         for s in money["by_source"]]
    project.next_stage = following
    project.next_stage_label = str(Stage(following).label) if following else None
    project.stage_problems = problems
    project.actions = project_actions(actor, project)
    return project


# --- vocabularies (before /{project_id} so that "terms" is never read as an id) ------------------------------------

@router.get("/terms", response={200: list[ProjectTermOut], **ERRORS}, summary="项目字典（项目类别、资金来源、检查类型）")
@paginate(Pagination)
def projects_terms_list(request, filters: Query[ProjectTermFilter]):
    return term_list(actor=request.auth, kind=str(filters.kind) if filters.kind else "", active=filters.active)


@router.post("/terms", response={201: ProjectTermOut, **WRITE_ERRORS}, summary="添加字典条目")
def projects_term_create(request, payload: ProjectTermIn):
    data = payload.dict()
    data["kind"] = str(data["kind"])
    return Status(201, term_services.term_create(actor=request.auth, **data))


@router.patch("/terms/{term_id}", response={200: ProjectTermOut, **WRITE_ERRORS}, summary="修改字典条目（改名、排序、停用；编码不能修改）")
def projects_term_update(request, term_id: int, payload: ProjectTermPatch):
    term = access_term(request.auth, term_id, perm=Perm.PROJECT_MANAGE)
    data = {k: v for k, v in payload.dict(exclude_unset=True).items() if v is not None}
    return term_services.term_update(actor=request.auth, term=term, **data)


@router.delete("/terms/{term_id}", response={204: None, **WRITE_ERRORS}, summary="删除未被使用的字典条目")
def projects_term_delete(request, term_id: int):
    term_services.term_delete(actor=request.auth, term=access_term(request.auth, term_id, perm=Perm.PROJECT_MANAGE))
    return Status(204, None)


# --- projects -------------------------------------------------------------------------------------------------------

@router.get("", response={200: list[ProjectOut], **ERRORS}, summary="项目库（本辖区，可筛选）")
@paginate(Pagination)
def projects_list(request, filters: Query[ProjectFilter]):
    qs = project_search(actor=request.auth, q=filters.q or "", county=filters.county or "", division=filters.division or "",
                        year=filters.year, stage=str(filters.stage) if filters.stage else "",
                        program=str(filters.program) if filters.program else "", category=filters.category or "")
    return AnnotatedPage(with_money(qs), decorate)


@router.post("", response={201: ProjectDetailOut, **WRITE_ERRORS}, summary="登记项目（进入储备库）")
def projects_create(request, payload: ProjectIn):
    changes = _service_changes(payload.dict())
    project = services.project_create(actor=request.auth, investment_unit=YUAN, **changes)
    return Status(201, _detail(request.auth, project))


@router.get("/{project_id}", response={200: ProjectDetailOut, **ERRORS}, summary="一个项目：概况、资金合计、下一阶段尚缺的条件")
def projects_get(request, project_id: int):
    return _detail(request.auth, access_project(request.auth, project_id))


@router.patch("/{project_id}", response={200: ProjectDetailOut, **WRITE_ERRORS},
              summary="修改项目（立项/下达后，名称、地点、计划投资、项目类型只能由市级项目管理人员修改）")
def projects_update(request, project_id: int, payload: ProjectPatch):
    project = access_project(request.auth, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    project = services.project_update(actor=request.auth, project=project, investment_unit=YUAN,
                                      **_service_changes(payload.dict(exclude_unset=True)))
    return _detail(request.auth, project)


@router.post("/{project_id}/stage", response={200: ProjectDetailOut, **WRITE_ERRORS}, summary="推进项目阶段（或退回储备）")
def projects_stage(request, project_id: int, payload: ProjectStageIn):
    project = access_project(request.auth, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    project = project_stage_set(actor=request.auth, project=project, to_stage=str(payload.to_stage), on=payload.on, note=payload.note)
    return _detail(request.auth, project)


@router.post("/{project_id}/dates", response={200: ProjectDetailOut, **WRITE_ERRORS},
             summary="填写实际开工、完工日期（立项项目开工即转实施，实施项目完工即转完工）")
def projects_dates(request, project_id: int, payload: ProjectDatesIn):
    project = access_project(request.auth, project_id, kind="entry", perm=Perm.PROJECT_EDIT)
    project = services.project_set_dates(actor=request.auth, project=project, actual_start=payload.actual_start,
                                         actual_completion=payload.actual_completion)
    return _detail(request.auth, project)


@router.get("/{project_id}/timeline", response={200: list[ProjectStageChangeOut], **ERRORS}, summary="项目阶段记录")
def projects_timeline(request, project_id: int):
    project = access_project(request.auth, project_id)
    return project_timeline(actor=request.auth, project=project)
