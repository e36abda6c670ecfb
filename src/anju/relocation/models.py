"""Relocation follow-up (易地扶贫搬迁后续扶持): resettlement sites with facilities and community organisations,
identification surveys and eligibility rules, household relocation steps, per-person and per-household follow-up
records (labour capacity, employment, training, industry, income, 低保/特困, insurance, medical costs, community
services), 防返贫 monitoring with risk signals and assistance measures, and spot checks.

Money is integer fen (`*_fen`). Every row that is read by scope carries the 12-digit `division_code` of the
household's village (copied from registry.Household when the row is written), so scoped reads are one indexed
prefix scan. Vocabularies (living conditions, facility kinds, risk types, assistance kinds, community services,
organisation kinds) are `Term` rows the city edits.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

USER = settings.AUTH_USER_MODEL


class Placement(models.TextChoices):
    CONCENTRATED = "concentrated", _("集中安置")
    DISPERSED = "dispersed", _("分散安置")


class AreaType(models.TextChoices):
    URBAN = "urban", _("城镇")
    RURAL = "rural", _("农村")


class Term(models.Model):
    """Configurable vocabularies of the relocation module. Codes are stable; names and order are the city's to change;
    an inactive term stays valid on old rows but cannot be chosen for new ones."""

    class Kind(models.TextChoices):
        LIVING_CONDITION = "living_condition", _("生存条件")
        FACILITY = "facility", _("配套设施类型")
        ORGANISATION = "organisation", _("社区组织类型")
        RISK = "risk", _("风险类型")
        ASSISTANCE = "assistance", _("帮扶措施类型")
        SERVICE = "service", _("社区服务类型")
        INDUSTRY = "industry", _("产业类型")

    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=60)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("搬迁字典")
        ordering = ["kind", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="relocation_term_kind_code")]

    def __str__(self) -> str:
        return self.name


# ---------------------------------------------------------------------------------------------------------------- sites
class Site(models.Model):
    """A resettlement site (安置点)."""

    Placement = Placement
    AreaType = AreaType

    code = models.CharField(_("安置点编码"), max_length=32, unique=True)
    name = models.CharField(_("安置点名称"), max_length=100)
    division_code = models.CharField(_("所在区划"), max_length=12, db_index=True)
    placement = models.CharField(_("安置方式"), max_length=14, choices=Placement.choices)
    area_type = models.CharField(_("城镇/农村"), max_length=8, choices=AreaType.choices)
    capacity = models.PositiveIntegerField(_("设计安置人数"), default=0)
    address = models.CharField(_("地址"), max_length=200, blank=True)
    longitude = models.DecimalField(_("经度"), max_digits=9, decimal_places=6, null=True, blank=True)
    latitude = models.DecimalField(_("纬度"), max_digits=8, decimal_places=6, null=True, blank=True)
    planned_units = models.PositiveIntegerField(_("规划安置住房（套）"), default=0)
    built_units = models.PositiveIntegerField(_("建成安置住房（套）"), default=0)
    completed_on = models.DateField(_("建成日期"), null=True, blank=True)
    manager = models.CharField(_("管理单位"), max_length=100, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("安置点")
        ordering = ["division_code", "code"]

    def __str__(self) -> str:
        return self.name


class Facility(models.Model):
    """A facility serving a site: school, clinic, community centre, 扶贫车间, industrial park … (kind: Term facility)."""

    class Status(models.TextChoices):
        PLANNED = "planned", _("规划中")
        BUILDING = "building", _("在建")
        IN_USE = "in_use", _("已投用")
        SUSPENDED = "suspended", _("停用")

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="facilities")
    kind = models.CharField(_("设施类型"), max_length=32)
    name = models.CharField(_("设施名称"), max_length=100)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices, default=Status.PLANNED)
    capacity = models.PositiveIntegerField(_("规模（学位、床位、岗位等）"), default=0)
    jobs = models.PositiveIntegerField(_("吸纳就业人数"), default=0)
    opened_on = models.DateField(_("投用日期"), null=True, blank=True)
    project = models.ForeignKey("projects.Project", null=True, blank=True, on_delete=models.SET_NULL, related_name="+",
                                verbose_name=_("建设项目"))
    note = models.CharField(_("备注"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("配套设施")
        ordering = ["site", "kind", "name"]

    def __str__(self) -> str:
        return self.name


class Organisation(models.Model):
    """A community organisation of a site: 党组织, 居委会, 业委会, 志愿服务队 … (kind: Term organisation)."""

    site = models.ForeignKey(Site, on_delete=models.CASCADE, related_name="organisations")
    kind = models.CharField(_("组织类型"), max_length=32)
    name = models.CharField(_("组织名称"), max_length=100)
    established_on = models.DateField(_("成立日期"), null=True, blank=True)
    leader = models.CharField(_("负责人"), max_length=50, blank=True)
    phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    members = models.PositiveIntegerField(_("成员人数"), default=0)

    class Meta:
        verbose_name = _("社区组织")
        ordering = ["site", "kind", "name"]

    def __str__(self) -> str:
        return self.name


# ------------------------------------------------------------------------------------------------------- identification
class DesignatedArea(models.Model):
    """A township or village designated as an area whose registered poor households must relocate (迁出区)."""

    division_code = models.CharField(_("区划"), max_length=12, unique=True)
    conditions = models.JSONField(_("生存条件"), default=list)  # Term(kind=living_condition).code values
    designated_on = models.DateField(_("划定日期"))
    document = models.CharField(_("依据文件"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("搬迁迁出区")
        ordering = ["division_code"]

    def __str__(self) -> str:
        return self.division_code


class EligibilityRule(models.Model):
    """One condition of relocation eligibility. A surveyed household is eligible when every active rule holds.

    `field` names a fact of the survey (poverty_registered, conditions, per_capita_income_fen, housing_unsafe,
    in_designated_area, members); `operator` is one of is_true, is_false, any_of, all_of, lt, le, gt, ge, eq;
    `value` is the JSON operand (a list of codes for any_of/all_of, a number for comparisons)."""

    code = models.CharField(_("规则编码"), max_length=32, unique=True)
    name = models.CharField(_("规则名称"), max_length=100)
    field = models.CharField(_("判断项"), max_length=32)
    operator = models.CharField(_("条件"), max_length=8)
    value = models.JSONField(_("取值"), null=True, blank=True)
    active = models.BooleanField(_("启用"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("搬迁对象识别规则")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Survey(models.Model):
    """A household's identification survey (搬迁对象识别调查) and its confirmation: township, then county."""

    class State(models.TextChoices):
        DRAFT = "draft", _("调查中")
        SUBMITTED = "submitted", _("待乡镇确认")
        TOWNSHIP_CONFIRMED = "township_confirmed", _("待县级确认")
        CONFIRMED = "confirmed", _("县级已确认")
        REJECTED = "rejected", _("不予认定")

    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    household = models.ForeignKey("registry.Household", null=True, blank=True, on_delete=models.PROTECT, related_name="surveys",
                                  verbose_name=_("名册户"))
    head_name = models.CharField(_("户主姓名"), max_length=64)
    head_id_hash = models.CharField(max_length=64, blank=True, db_index=True)
    head_id_enc = models.TextField(blank=True)
    head_id_masked = models.CharField(_("户主身份证号"), max_length=18, blank=True)
    members = models.PositiveSmallIntegerField(_("家庭人口"), default=1)
    address = models.CharField(_("现住址"), max_length=200, blank=True)
    conditions = models.JSONField(_("生存条件"), default=list)  # Term(kind=living_condition).code values
    poverty_registered = models.BooleanField(_("建档立卡"), default=False)
    housing_unsafe = models.BooleanField(_("住房不安全"), default=False)
    per_capita_income_fen = models.BigIntegerField(_("上年人均纯收入（分）"), null=True, blank=True)
    in_designated_area = models.BooleanField(_("位于迁出区"), default=False)
    surveyed_on = models.DateField(_("调查日期"))
    surveyor = models.CharField(_("调查人"), max_length=50, blank=True)
    eligible = models.BooleanField(_("符合搬迁条件"), default=False)
    eligibility = models.JSONField(default=list)  # [{"rule": code, "name": ..., "passed": bool}] as judged last
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.DRAFT, db_index=True)
    township_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    township_on = models.DateField(_("乡镇确认日期"), null=True, blank=True)
    county_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    county_on = models.DateField(_("县级确认日期"), null=True, blank=True)
    decision_note = models.CharField(_("确认意见"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("搬迁对象识别调查")
        ordering = ["division_code", "head_name"]

    def __str__(self) -> str:
        return self.head_name


# ----------------------------------------------------------------------------------------------------- relocation steps
class Step(models.TextChoices):
    """A household's relocation, in order."""

    CONFIRMED = "confirmed", _("确认搬迁")
    AGREEMENT = "agreement", _("签订搬迁协议")
    ALLOCATED = "allocated", _("分配安置住房")
    MOVED_IN = "moved_in", _("搬迁入住")
    DEMOLISHED = "demolished", _("旧房拆除/复垦")


STEP_ORDER = {s: i for i, s in enumerate(Step.values)}


class Relocation(models.Model):
    """A household's relocation: where to, which house, and the date of each step reached (denormalised from RelocationStep)."""

    Step = Step

    household = models.OneToOneField("registry.Household", on_delete=models.PROTECT, related_name="relocation")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="relocations",
                             verbose_name=_("安置点"))
    survey = models.ForeignKey(Survey, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    year = models.PositiveSmallIntegerField(_("搬迁年度"), null=True, blank=True)
    persons = models.PositiveSmallIntegerField(_("搬迁人数"), default=0)
    house_number = models.CharField(_("安置房号"), max_length=50, blank=True)
    house_area = models.DecimalField(_("安置住房面积（平方米）"), max_digits=7, decimal_places=2, null=True, blank=True)
    step = models.CharField(_("当前环节"), max_length=12, choices=Step.choices, default=Step.CONFIRMED)
    confirmed_on = models.DateField(_("确认搬迁日期"), null=True, blank=True)
    agreement_on = models.DateField(_("签订协议日期"), null=True, blank=True)
    allocated_on = models.DateField(_("分房日期"), null=True, blank=True)
    moved_in_on = models.DateField(_("入住日期"), null=True, blank=True)
    demolished_on = models.DateField(_("拆旧复垦日期"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("搬迁进度")
        indexes = [models.Index(fields=["site", "step"], name="relocation_site_step")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.step}"


class RelocationStep(models.Model):
    """One step reached by a household, with its date and evidence (a file checked by core.uploads)."""

    relocation = models.ForeignKey(Relocation, on_delete=models.CASCADE, related_name="steps")
    step = models.CharField(_("环节"), max_length=12, choices=Step.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    evidence_path = models.CharField(max_length=300, blank=True)  # relative to the uploads dir
    evidence_name = models.CharField(_("佐证材料"), max_length=200, blank=True)
    evidence_sha256 = models.CharField(max_length=64, blank=True)
    recorded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("搬迁环节")
        ordering = ["relocation", "on", "id"]
        constraints = [models.UniqueConstraint(fields=["relocation", "step"], name="relocation_step_once")]

    def __str__(self) -> str:
        return f"{self.relocation_id} {self.step} {self.on}"


# ------------------------------------------------------------------------------------------------- follow-up: persons
class Source(models.TextChoices):
    MANUAL = "manual", _("手工录入")
    IMPORT = "import", _("导入")


class LabourCapacity(models.Model):
    """A person's labour capacity. Whether the person counts as labour on a day also needs the age band (policy
    relocation.labour_age); a person without a row is taken as able (普通劳动力)."""

    class Capacity(models.TextChoices):
        ABLE = "able", _("普通劳动力")
        SKILLED = "skilled", _("技能劳动力")
        WEAK = "weak", _("弱劳动力或半劳动力")
        NONE = "none", _("丧失劳动力")
        STUDENT = "student", _("在校生")

    person = models.OneToOneField("registry.Person", on_delete=models.PROTECT, related_name="labour_capacity")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    capacity = models.CharField(_("劳动能力"), max_length=10, choices=Capacity.choices, default=Capacity.ABLE)
    disability_grade = models.PositiveSmallIntegerField(_("残疾等级"), null=True, blank=True)  # 1–4, none when not disabled
    recorded_on = models.DateField(_("登记日期"))

    class Meta:
        verbose_name = _("劳动能力")

    def __str__(self) -> str:
        return f"{self.person_id} {self.capacity}"


class Employment(models.Model):
    """An employment spell of a person from `started_on` to `ended_on` (inclusive; open when NULL)."""

    class Kind(models.TextChoices):
        COUNTY = "county", _("县内务工")
        PROVINCE = "province", _("县外省内务工")
        OUT_PROVINCE = "out_province", _("省外务工")
        PUBLIC_POST = "public_post", _("公益性岗位")
        WORKSHOP = "workshop", _("扶贫车间")
        SELF_EMPLOYED = "self_employed", _("自主创业")
        FLEXIBLE = "flexible", _("灵活就业")

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="employments")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12)
    kind = models.CharField(_("就业类型"), max_length=14, choices=Kind.choices)
    employer = models.CharField(_("就业单位"), max_length=100, blank=True)
    place = models.CharField(_("就业地点"), max_length=100, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    monthly_income_fen = models.BigIntegerField(_("月收入（分）"), default=0)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey("imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("就业情况")
        indexes = [models.Index(fields=["division_code", "started_on"], name="employment_div_start"),
                   models.Index(fields=["person", "started_on"], name="employment_person_start"),
                   models.Index(fields=["person", "started_on", "ended_on", "kind"], name="employment_metrics_cover")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.kind} {self.started_on}"


class Training(models.Model):
    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="trainings")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    course = models.CharField(_("培训项目"), max_length=100)
    organiser = models.CharField(_("培训机构"), max_length=100, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    certificate = models.CharField(_("取得证书"), max_length=100, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey("imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("技能培训")
        ordering = ["-started_on"]

    def __str__(self) -> str:
        return self.course


class Insurance(models.Model):
    """A person's basic medical and pension insurance in a year (None: not known)."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    medical = models.BooleanField(_("参加基本医疗保险"), null=True, blank=True)
    pension = models.BooleanField(_("参加基本养老保险"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("参保情况")
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="relocation_insurance_person_year")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"


class MedicalCost(models.Model):
    """A person's medical costs in a year as reported by 医保: total and eligible out-of-pocket (合规自付)."""

    person = models.ForeignKey("registry.Person", on_delete=models.PROTECT, related_name="+")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    total_fen = models.BigIntegerField(_("医疗总费用（分）"), default=0)
    out_of_pocket_fen = models.BigIntegerField(_("合规自付费用（分）"), default=0)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.IMPORT)
    batch = models.ForeignKey("imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("医疗费用")
        constraints = [models.UniqueConstraint(fields=["person", "year"], name="relocation_medical_person_year")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.year}"


# ---------------------------------------------------------------------------------------------- follow-up: households
class Welfare(models.Model):
    """低保 or 特困供养 of a household from `started_on` to `ended_on` (inclusive; open when NULL)."""

    class Kind(models.TextChoices):
        DIBAO = "dibao", _("最低生活保障")
        TEKUN = "tekun", _("特困人员供养")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12)
    kind = models.CharField(_("救助类型"), max_length=8, choices=Kind.choices)
    persons = models.PositiveSmallIntegerField(_("保障人数"), default=1)
    monthly_fen = models.BigIntegerField(_("月保障金（分）"), default=0)
    started_on = models.DateField(_("起始日期"))
    ended_on = models.DateField(_("终止日期"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)
    batch = models.ForeignKey("imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("低保特困")
        indexes = [models.Index(fields=["division_code", "started_on"], name="welfare_div_start")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind}"


class Income(models.Model):
    """A household's annual income survey by source (fen). Net income = wage + business + property + transfer − costs."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12)
    year = models.PositiveSmallIntegerField(_("年度"))
    persons = models.PositiveSmallIntegerField(_("家庭人口"))
    wage_fen = models.BigIntegerField(_("工资性收入（分）"), default=0)
    business_fen = models.BigIntegerField(_("生产经营性收入（分）"), default=0)
    property_fen = models.BigIntegerField(_("财产性收入（分）"), default=0)
    transfer_fen = models.BigIntegerField(_("转移性收入（分）"), default=0)
    costs_fen = models.BigIntegerField(_("生产经营性支出（分）"), default=0)
    surveyed_on = models.DateField(_("调查日期"))
    source = models.CharField(_("来源"), max_length=8, choices=Source.choices, default=Source.MANUAL)

    class Meta:
        verbose_name = _("收入调查")
        constraints = [models.UniqueConstraint(fields=["household", "year"], name="relocation_income_household_year")]
        indexes = [models.Index(fields=["division_code", "year"], name="income_div_year")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.year}"

    @property
    def net_fen(self) -> int:
        return self.wage_fen + self.business_fen + self.property_fen + self.transfer_fen - self.costs_fen


class Industry(models.Model):
    """A household's participation in an industry (产业帮扶) in a year: kind (Term industry), how, and the benefit."""

    class Mode(models.TextChoices):
        OWN = "own", _("自主发展")
        DIVIDEND = "dividend", _("入股分红")
        LEASE = "lease", _("土地流转")
        WORK = "work", _("务工带动")
        COOPERATIVE = "cooperative", _("合作社带动")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    kind = models.CharField(_("产业类型"), max_length=32)
    mode = models.CharField(_("参与方式"), max_length=12, choices=Mode.choices)
    partner = models.CharField(_("带动主体"), max_length=100, blank=True)
    benefit_fen = models.BigIntegerField(_("年收益（分）"), default=0)

    class Meta:
        verbose_name = _("产业帮扶")

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind} {self.year}"


class Service(models.Model):
    """A community service a household received (kind: Term service)."""

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    kind = models.CharField(_("服务类型"), max_length=32)
    on = models.DateField(_("服务日期"))
    provider = models.CharField(_("服务主体"), max_length=100, blank=True)
    note = models.CharField(_("服务内容"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("社区服务")
        ordering = ["-on"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind} {self.on}"


# ------------------------------------------------------------------------------------------------------- monitoring
class MonitoringCase(models.Model):
    """A household under 防返贫 monitoring: from identification through assistance to risk elimination (风险消除)."""

    class Category(models.TextChoices):
        UNSTABLE = "unstable", _("脱贫不稳定户")
        MARGINAL = "marginal", _("边缘易致贫户")
        SUDDEN = "sudden", _("突发严重困难户")

    class Channel(models.TextChoices):
        APPLICATION = "application", _("农户自主申报")
        VISIT = "visit", _("干部走访排查")
        DEPARTMENT = "department", _("部门筛查预警")

    class State(models.TextChoices):
        PROPOSED = "proposed", _("待认定")
        MONITORING = "monitoring", _("监测帮扶中")
        ELIMINATION_PROPOSED = "elimination_proposed", _("风险消除待审批")
        ELIMINATED = "eliminated", _("风险已消除")
        REJECTED = "rejected", _("不予纳入")

    class Colour(models.TextChoices):
        RED = "red", _("红色")
        YELLOW = "yellow", _("黄色")
        GREEN = "green", _("绿色")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="monitoring_cases")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    category = models.CharField(_("监测对象类别"), max_length=10, choices=Category.choices)
    channel = models.CharField(_("识别途径"), max_length=12, choices=Channel.choices)
    risks = models.JSONField(_("风险类型"), default=list)  # Term(kind=risk).code values
    per_capita_income_fen = models.BigIntegerField(_("人均纯收入（分）"), null=True, blank=True)
    identified_on = models.DateField(_("识别日期"))
    included_on = models.DateField(_("纳入监测日期"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=20, choices=State.choices, default=State.PROPOSED, db_index=True)
    colour = models.CharField(_("风险等级"), max_length=6, choices=Colour.choices, default=Colour.RED)
    description = models.TextField(_("致贫返贫风险情况"), blank=True)
    proposed_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    approved_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    elimination_criteria = models.JSONField(_("风险消除条件"), default=dict)  # criterion code → {"met": bool, "note": str}
    elimination_proposed_on = models.DateField(_("申请风险消除日期"), null=True, blank=True)
    elimination_proposed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    eliminated_on = models.DateField(_("风险消除日期"), null=True, blank=True)
    eliminated_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decision_note = models.CharField(_("审批意见"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("防返贫监测对象")
        indexes = [models.Index(fields=["division_code", "identified_on"], name="monitoring_div_identified")]
        constraints = [models.UniqueConstraint(fields=["household"], condition=Q(state__in=["proposed", "monitoring", "elimination_proposed"]),
                                               name="monitoring_one_open_case")]

    def __str__(self) -> str:
        return f"{self.household_id} {self.category}"


class Measure(models.Model):
    """An assistance measure (帮扶措施) of a monitoring case (kind: Term assistance), with its effect."""

    class Effect(models.TextChoices):
        PENDING = "pending", _("实施中")
        EFFECTIVE = "effective", _("成效明显")
        PARTIAL = "partial", _("有一定成效")
        INEFFECTIVE = "ineffective", _("成效不明显")

    case = models.ForeignKey(MonitoringCase, on_delete=models.CASCADE, related_name="measures")
    kind = models.CharField(_("措施类型"), max_length=32)
    content = models.CharField(_("措施内容"), max_length=300)
    responsible = models.CharField(_("帮扶责任人"), max_length=50, blank=True)
    started_on = models.DateField(_("开始日期"))
    ended_on = models.DateField(_("结束日期"), null=True, blank=True)
    amount_fen = models.BigIntegerField(_("帮扶资金（分）"), default=0)
    effect = models.CharField(_("帮扶成效"), max_length=12, choices=Effect.choices, default=Effect.PENDING)
    effect_note = models.CharField(_("成效说明"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("帮扶措施")
        ordering = ["case", "started_on", "id"]

    def __str__(self) -> str:
        return self.content


class RiskSignal(models.Model):
    """A possible new risk found in department data or records (the warning list): handled by opening a monitoring
    case, attaching it to an open one, or dismissing it with a reason."""

    class Kind(models.TextChoices):
        INCOME = "income", _("收入低于监测线")
        MEDICAL = "medical", _("合规自付医疗费用较高")
        DISABILITY = "disability", _("新增残疾")
        DISASTER = "disaster", _("遭受灾害")
        EMPLOYMENT = "employment", _("就业中断")
        WELFARE = "welfare", _("新纳入低保特困")
        OTHER = "other", _("其他")

    class State(models.TextChoices):
        OPEN = "open", _("待核实")
        CASE = "case", _("已纳入监测")
        DISMISSED = "dismissed", _("核实无风险")

    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey("registry.Person", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    kind = models.CharField(_("风险线索"), max_length=12, choices=Kind.choices)
    found_on = models.DateField(_("发现日期"))
    source = models.CharField(_("来源"), max_length=40)  # e.g. import:medical, scan:income, manual
    batch = models.ForeignKey("imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    case = models.ForeignKey(MonitoringCase, null=True, blank=True, on_delete=models.SET_NULL, related_name="signals")
    handled_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    handled_on = models.DateField(_("处理日期"), null=True, blank=True)
    note = models.CharField(_("核实情况"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("风险预警线索")
        ordering = ["-found_on", "id"]

    def __str__(self) -> str:
        return f"{self.household_id} {self.kind}"


# ------------------------------------------------------------------------------------------------------- spot checks
class SpotCheck(models.Model):
    """A random sample of relocated households in a scope (a site, a township or a county) drawn with a recorded seed,
    so anyone can draw the same sample again."""

    class Method(models.TextChoices):
        RANDOM = "random", _("随机抽查")
        OPEN = "open", _("明查")
        COVERT = "covert", _("暗访")

    class State(models.TextChoices):
        OPEN = "open", _("核查中")
        CLOSED = "closed", _("已办结")

    name = models.CharField(_("抽查名称"), max_length=100)
    division_code = models.CharField(_("抽查范围"), max_length=12, db_index=True)
    site = models.ForeignKey(Site, null=True, blank=True, on_delete=models.PROTECT, related_name="+", verbose_name=_("安置点"))
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices, default=Method.RANDOM)
    seed = models.CharField(_("随机种子"), max_length=64)
    population = models.PositiveIntegerField(_("总体户数"), default=0)
    sample_size = models.PositiveIntegerField(_("抽样户数"))
    as_of = models.DateField(_("名册日期"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    closed_on = models.DateField(_("办结日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查核实")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.name


class SpotCheckItem(models.Model):
    class Result(models.TextChoices):
        PENDING = "pending", _("待核查")
        CONSISTENT = "consistent", _("一致")
        DISCREPANCY = "discrepancy", _("存在问题")
        NOT_FOUND = "not_found", _("未见到户")

    class FollowUp(models.TextChoices):
        NONE = "none", _("无需整改")
        OPEN = "open", _("整改中")
        RESOLVED = "resolved", _("已整改")

    spot_check = models.ForeignKey(SpotCheck, on_delete=models.CASCADE, related_name="items")
    household = models.ForeignKey("registry.Household", on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12)
    order = models.PositiveIntegerField(_("抽样序号"))
    result = models.CharField(_("核查结果"), max_length=12, choices=Result.choices, default=Result.PENDING)
    findings = models.TextField(_("发现问题"), blank=True)
    checked_on = models.DateField(_("核查日期"), null=True, blank=True)
    checker = models.CharField(_("核查人"), max_length=50, blank=True)
    follow_up = models.CharField(_("整改"), max_length=10, choices=FollowUp.choices, default=FollowUp.NONE)
    follow_up_owner = models.CharField(pgettext_lazy("spot check", "整改责任人"), max_length=50, blank=True)
    follow_up_deadline = models.DateField(_("整改期限"), null=True, blank=True)
    follow_up_note = models.CharField(_("整改情况"), max_length=300, blank=True)
    resolved_on = models.DateField(_("整改完成日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("抽查户")
        ordering = ["spot_check", "order"]
        constraints = [models.UniqueConstraint(fields=["spot_check", "household"], name="spot_check_household_once")]

    def __str__(self) -> str:
        return f"{self.spot_check_id} #{self.order}"


# --- metric facts --------------------------------------------------------------------------------------------------

KIND_SLOT_BITS = 9  # per household and kind at most 511 persons employed: a household's kinds sum in one integer


class MetricSegment(models.Model):
    """A derived fact for the follow-up metrics (selectors_metrics): a stretch of days [seg_from, seg_to) during which a
    person is in the relocated population (an `active` status period of their relocation enrolment) and employed in the
    same kinds. Days are yyyymmdd integers (`day_number`): SQLite decodes and compares them faster than ISO text, a fifth
    off the scan of a city's facts. `slots` packs those kinds: 1 << (KIND_SLOT_BITS × the kind's position in Employment.Kind), 0 when not
    employed. The rest is copied from the enrolment (household, site, division), the person (birth date) and the labour
    capacity (`able`: not none/student), so a day's metrics read this one table.

    Never written by hand: database triggers queue every person whose enrolment, status periods, birth date, capacity or
    employment changed in MetricDirty, and services/metric_facts.metric_facts_sync() rebuilds their rows before a read."""

    person_id = models.BigIntegerField()
    enrolment_id = models.BigIntegerField()
    household_id = models.BigIntegerField()
    site_id = models.BigIntegerField(null=True)
    division_code = models.CharField(max_length=12)
    birth_day = models.IntegerField(null=True)
    able = models.BooleanField()
    seg_from = models.IntegerField()
    seg_to = models.IntegerField(null=True)
    slots = models.BigIntegerField(default=0)

    class Meta:
        indexes = [
            models.Index(fields=["household_id", "seg_from", "seg_to", "slots", "birth_day", "able", "division_code", "site_id"],
                         name="metric_segment_cover"),
            models.Index(fields=["person_id"], name="metric_segment_person"),
            models.Index(fields=["division_code"], name="metric_segment_division"),
        ]

    def __str__(self) -> str:
        return f"{self.person_id} {self.seg_from}–{self.seg_to or ''}"


def day_number(day):
    """2026-06-30 → 20260630 (None stays None): how MetricSegment stores days."""
    return None if day is None else day.year * 10000 + day.month * 100 + day.day


class MetricDirty(models.Model):
    """A person whose metric segments are out of date (filled by triggers; emptied by metric_facts_sync)."""

    person_id = models.BigIntegerField()

    def __str__(self) -> str:
        return str(self.person_id)
