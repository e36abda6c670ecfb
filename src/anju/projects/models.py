"""Support projects: five-year plans, the reserve library, guidelines and applications, allocations and payments,
monthly progress, warnings, inspections and rectification, acceptance and audit, archives and performance evaluation.

Money is integer fen (分) everywhere (`*_fen` or `amount` columns); forms and files enter it in 元 or 万元
(`anju.projects.money`). Rows that are read by scope carry the 12-digit `division_code` of where they belong;
allocations, payments and progress copy their project's code so that rates are one indexed scan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

USER = settings.AUTH_USER_MODEL


class Program(models.TextChoices):
    RESERVOIR = "reservoir", _("水库移民后期扶持")
    THREE_GORGES = "three_gorges", _("三峡后续工作")
    PROVINCIAL = "provincial_issue", _("省级突出问题")
    RELOCATION = "relocation", _("易地搬迁后续扶持")


class Stage(models.TextChoices):
    """The life of a project, in order (POLICY.md §3). `STAGE_ORDER` gives each its rank."""

    RESERVE = "reserve", _("储备")
    APPLIED = "applied", _("申报")
    REVIEWING = "reviewing", _("评审")
    APPROVED = "approved", _("立项/下达")
    IMPLEMENTING = "implementing", _("实施")
    COMPLETED = "completed", _("完工")
    ACCEPTED = "accepted", _("验收")
    AUDITED = "audited", pgettext_lazy("project", "审计")
    EVALUATED = "evaluated", _("绩效评价")
    ARCHIVED = "archived", _("归档")


STAGE_ORDER = {s: i for i, s in enumerate(Stage.values)}


class Term(models.Model):
    """Configurable vocabularies: project categories (category), fund sources (fund_source), inspection kinds
    (inspection_kind). Codes are stable; names and order are the city's to change; an inactive term stays valid
    on old rows but cannot be chosen for new ones."""

    class Kind(models.TextChoices):
        CATEGORY = "category", pgettext_lazy("project", "项目类别")
        FUND_SOURCE = "fund_source", _("资金来源")
        INSPECTION_KIND = "inspection_kind", _("检查类型")

    kind = models.CharField(_("类别"), max_length=20, choices=Kind.choices)
    code = models.CharField(_("编码"), max_length=32)
    name = models.CharField(_("名称"), max_length=60)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("项目字典")
        ordering = ["kind", "sort", "code"]
        constraints = [models.UniqueConstraint(fields=["kind", "code"], name="project_term_kind_code")]

    def __str__(self) -> str:
        return self.name


class Plan(models.Model):
    """A five-year plan (十四五 2021–2025, 十五五 2026–2030) of a city (or county), with targets by county and category."""

    class State(models.TextChoices):
        DRAFT = "draft", _("编制中")
        PUBLISHED = "published", _("已印发")
        CLOSED = "closed", _("已收官")

    name = models.CharField(_("规划名称"), max_length=100)
    start_year = models.PositiveSmallIntegerField(_("起始年度"))
    end_year = models.PositiveSmallIntegerField(_("终止年度"))
    division_code = models.CharField(_("编制区划"), max_length=12, db_index=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("五年规划")
        ordering = ["-start_year", "division_code"]
        constraints = [models.UniqueConstraint(fields=["division_code", "start_year"], name="project_plan_division_start")]

    def __str__(self) -> str:
        return self.name


class PlanTarget(models.Model):
    """A plan's target for one county and category: number of projects and investment (fen)."""

    plan = models.ForeignKey(Plan, on_delete=models.CASCADE, related_name="targets")
    division_code = models.CharField(_("县（市、区）"), max_length=12)
    category = models.CharField(pgettext_lazy("project", "项目类别"), max_length=32)
    projects = models.PositiveIntegerField(_("目标项目数"), default=0)
    investment = models.BigIntegerField(_("目标投资（分）"), default=0)

    class Meta:
        ordering = ["division_code", "category"]
        constraints = [models.UniqueConstraint(fields=["plan", "division_code", "category"], name="project_plan_target_unique")]


    def __str__(self) -> str:
        return f"{self.plan_id} {self.division_code} {self.category}"

class Project(models.Model):
    code = models.CharField(_("项目编码"), max_length=40, unique=True)
    name = models.CharField(_("项目名称"), max_length=200)
    division_code = models.CharField(_("项目地点"), max_length=12, db_index=True)  # county, township or village
    program = models.CharField(_("项目类型"), max_length=20, choices=Program.choices)
    category = models.CharField(pgettext_lazy("project", "项目类别"), max_length=32)  # Term(kind=category).code
    plan = models.ForeignKey(Plan, null=True, blank=True, on_delete=models.SET_NULL, related_name="projects")
    site = models.ForeignKey("relocation.Site", null=True, blank=True, on_delete=models.SET_NULL, related_name="projects")
    year = models.PositiveSmallIntegerField(_("计划年度"), null=True, blank=True)  # the annual plan the project is funded in
    content = models.TextField(_("建设内容"), blank=True)
    planned_investment = models.BigIntegerField(_("计划投资（分）"), default=0)
    beneficiaries = models.PositiveIntegerField(_("受益移民人数"), default=0)
    responsible_unit = models.CharField(_("责任单位"), max_length=100, blank=True)
    responsible_person = models.CharField(_("责任人"), max_length=50, blank=True)
    responsible_phone = models.CharField(_("联系电话"), max_length=30, blank=True)
    owner = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="owned_projects",
                              verbose_name=_("责任人账号"))  # receives the project's warnings in the inbox
    design_institute = models.CharField(_("设计单位"), max_length=100, blank=True)
    design_qualified = models.BooleanField(_("具备相应设计资质"), default=False)
    planned_start = models.DateField(_("计划开工日期"), null=True, blank=True)
    planned_completion = models.DateField(_("计划完工日期"), null=True, blank=True)
    actual_start = models.DateField(_("实际开工日期"), null=True, blank=True)
    actual_completion = models.DateField(_("实际完工日期"), null=True, blank=True)
    stage = models.CharField(_("阶段"), max_length=14, choices=Stage.choices, default=Stage.RESERVE, db_index=True)
    stage_on = models.DateField(_("进入本阶段日期"), null=True, blank=True)
    note = models.TextField(_("备注"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("项目")
        ordering = ["division_code", "code"]
        indexes = [models.Index(fields=["year", "division_code"], name="project_year_div")]

    def __str__(self) -> str:
        return f"{self.code} {self.name}"


class StageChange(models.Model):
    """One dated stage transition of a project (its timeline)."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="stage_changes")
    from_stage = models.CharField(max_length=14, choices=Stage.choices, blank=True)
    to_stage = models.CharField(max_length=14, choices=Stage.choices)
    on = models.DateField(_("日期"))
    note = models.CharField(_("说明"), max_length=300, blank=True)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["on", "id"]


    def __str__(self) -> str:
        return f"{self.project_id} {self.from_stage}→{self.to_stage} {self.on}"

class DocumentType(models.Model):
    """An archive checklist entry: a document a project needs at a stage (可研报告 at 申报, 验收报告 at 验收, ...)."""

    code = models.CharField(_("编码"), max_length=32, unique=True)
    name = models.CharField(_("名称"), max_length=60)
    stage = models.CharField(_("所属阶段"), max_length=14, choices=Stage.choices)
    required = models.BooleanField(_("归档必备"), default=True)
    sort = models.PositiveSmallIntegerField(_("排序"), default=0)
    active = models.BooleanField(_("启用"), default=True)

    class Meta:
        verbose_name = _("档案清单")
        ordering = ["sort", "code"]

    def __str__(self) -> str:
        return self.name


class Document(models.Model):
    """A file in a project's archive, checked by content on upload and stored under MEDIA_ROOT with its sha256."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="documents")
    doc_type = models.ForeignKey(DocumentType, null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    title = models.CharField(_("标题"), max_length=200, blank=True)
    path = models.CharField(max_length=300)  # relative to MEDIA_ROOT
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["project", "doc_type", "id"]


    def __str__(self) -> str:
        return self.title or self.original_name

class Guideline(models.Model):
    """The year's application guideline (申报指南) a city publishes; applications are checked against it."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        CLOSED = "closed", _("已截止")

    year = models.PositiveSmallIntegerField(_("年度"))
    title = models.CharField(_("名称"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    division_code = models.CharField(_("发布区划"), max_length=12, db_index=True)
    categories = models.JSONField(_("支持的项目类别"), default=list)  # Term codes; [] = all
    programs = models.JSONField(_("支持的项目类型"), default=list)  # Program values; [] = all
    min_investment = models.BigIntegerField(_("投资下限（分）"), null=True, blank=True)
    max_investment = models.BigIntegerField(_("投资上限（分）"), null=True, blank=True)
    required_documents = models.JSONField(_("必备材料"), default=list)  # DocumentType codes
    min_beneficiaries = models.PositiveIntegerField(_("受益移民人数下限"), null=True, blank=True)
    conditions = models.TextField(_("其他条件"), blank=True)
    deadline = models.DateField(_("申报截止日期"), null=True, blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    published_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("申报指南")
        ordering = ["-year", "division_code"]
        constraints = [models.UniqueConstraint(fields=["division_code", "year"], name="project_guideline_division_year")]

    def __str__(self) -> str:
        return self.title


class Application(models.Model):
    """A project's application under a guideline: checked for completeness, scored by several reviewers, ranked,
    then approved or returned with a reason."""

    class State(models.TextChoices):
        DRAFT = "draft", _("填报中")
        SUBMITTED = "submitted", _("已申报")
        REVIEWING = "reviewing", _("评审中")
        APPROVED = "approved", _("已批准")
        RETURNED = "returned", _("已退回")
        REJECTED = "rejected", _("未入选")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="applications")
    guideline = models.ForeignKey(Guideline, on_delete=models.PROTECT, related_name="applications")
    division_code = models.CharField(max_length=12, db_index=True)  # the project's
    requested = models.BigIntegerField(_("申请资金（分）"), default=0)
    requested_by_source = models.JSONField(_("按资金来源申请（分）"), default=dict)  # {fund_source: fen}
    justification = models.TextField(_("申报理由"), blank=True)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    checks = models.JSONField(_("对照指南检查"), default=list)  # the completeness list as last computed
    score = models.DecimalField(_("平均得分"), max_digits=6, decimal_places=2, null=True, blank=True)
    rank = models.PositiveIntegerField(_("排名"), null=True, blank=True)
    reason = models.CharField(_("退回或不入选理由"), max_length=300, blank=True)
    submitted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    decided_at = models.DateTimeField(null=True, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("项目申报")
        ordering = ["-guideline__year", "rank", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "guideline"], name="project_application_once")]


    def __str__(self) -> str:
        return f"{self.project_id}@{self.guideline_id} {self.state}"

class ApplicationReview(models.Model):
    """One reviewer's score (0–100) of an application."""

    application = models.ForeignKey(Application, on_delete=models.CASCADE, related_name="reviews")
    reviewer = models.ForeignKey(USER, on_delete=models.PROTECT, related_name="+")
    score = models.DecimalField(_("评分"), max_digits=5, decimal_places=2)
    comment = models.TextField(_("评审意见"), blank=True)
    at = models.DateTimeField(auto_now=True)

    class Meta:
        ordering = ["application", "id"]
        constraints = [models.UniqueConstraint(fields=["application", "reviewer"], name="project_review_once")]


    def __str__(self) -> str:
        return f"{self.application_id} {self.reviewer_id} {self.score}"

class Allocation(models.Model):
    """资金下达: an amount of one fund source for a project, with the document (文号) that allocated it."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="allocations")
    division_code = models.CharField(max_length=12)  # the project's
    fund_source = models.CharField(_("资金来源"), max_length=32)  # Term(kind=fund_source).code
    year = models.PositiveSmallIntegerField(_("资金年度"))
    doc_number = models.CharField(_("下达文号"), max_length=100)
    doc_date = models.DateField(_("下达日期"))
    amount = models.BigIntegerField(_("下达金额（分）"))
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资金下达")
        ordering = ["doc_date", "id"]
        indexes = [models.Index(fields=["division_code", "doc_date"], name="project_alloc_div_date"),
                   models.Index(fields=["project", "doc_date", "amount"], name="project_alloc_project_cover")]
        constraints = [models.UniqueConstraint(fields=["project", "fund_source", "doc_number"], name="project_alloc_once")]


    def __str__(self) -> str:
        return f"{self.doc_number} {self.fund_source} {self.amount}"

class Payment(models.Model):
    """资金支付: an amount paid for a project from one fund source, with its voucher (凭证号)."""

    project = models.ForeignKey(Project, on_delete=models.PROTECT, related_name="payments")
    division_code = models.CharField(max_length=12)  # the project's
    fund_source = models.CharField(_("资金来源"), max_length=32)
    paid_on = models.DateField(_("支付日期"))
    amount = models.BigIntegerField(_("支付金额（分）"))
    voucher = models.CharField(_("凭证号"), max_length=60)
    payee = models.CharField(_("收款单位"), max_length=100, blank=True)
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("资金支付")
        ordering = ["paid_on", "id"]
        indexes = [models.Index(fields=["division_code", "paid_on"], name="project_pay_div_date"),
                   models.Index(fields=["project", "paid_on", "amount"], name="project_pay_project_cover")]
        constraints = [models.UniqueConstraint(fields=["project", "voucher"], name="project_payment_voucher_once")]


    def __str__(self) -> str:
        return f"{self.voucher} {self.paid_on} {self.amount}"

class ProgressReport(models.Model):
    """The monthly report of a project: physical progress, investment completed (cumulative), problems."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="progress_reports")
    division_code = models.CharField(max_length=12)  # the project's
    month = models.DateField(_("月份"))  # the first day of the reported month
    physical_percent = models.DecimalField(_("形象进度（%）"), max_digits=5, decimal_places=2)
    investment_completed = models.BigIntegerField(_("累计完成投资（分）"), default=0)
    problems = models.TextField(_("存在问题"), blank=True)
    reported_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    reported_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("月度进度")
        ordering = ["project", "month"]
        indexes = [models.Index(fields=["division_code", "month"], name="project_progress_div_month")]
        constraints = [models.UniqueConstraint(fields=["project", "month"], name="project_progress_month_once")]


    def __str__(self) -> str:
        return f"{self.project_id} {self.month:%Y-%m} {self.physical_percent}%"

class ProgressUnlock(models.Model):
    """The city reopens a county's reporting of a month after its deadline, until a day (audited)."""

    division_code = models.CharField(_("县（市、区）"), max_length=12)
    month = models.DateField(_("月份"))
    until = models.DateField(_("开放至"))
    reason = models.CharField(_("原因"), max_length=300)
    by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["-month", "division_code"]


    def __str__(self) -> str:
        return f"{self.division_code} {self.month:%Y-%m} → {self.until}"

class WarningRule(models.Model):
    """An early-warning rule as data (DHIS2 validation-rule style): a measure of a project, an operator, a threshold,
    a level and a schedule. `params` holds what a measure needs beyond the threshold (e.g. the payment targets by
    month). A scope narrows a rule to a division; a narrower active rule with the same code replaces a wider one."""

    class Measure(models.TextChoices):
        DAYS_NOT_STARTED = "days_not_started", _("资金下达后未开工天数")
        PAYMENT_BEHIND = "payment_behind", _("资金支付率低于序时进度目标")
        NO_PROGRESS_REPORT = "no_progress_report", _("上月未报送进度")
        COMPLETION_OVERDUE = "completion_overdue", _("超过计划完工日期未完工天数")
        NOT_ACCEPTED = "not_accepted", _("完工后未验收天数")
        RECTIFICATION_OVERDUE = "rectification_overdue", _("整改逾期天数")

    class Operator(models.TextChoices):
        GT = "gt", ">"
        GE = "ge", "≥"
        LT = "lt", "<"
        LE = "le", "≤"

    class Level(models.TextChoices):
        YELLOW = "yellow", _("黄色预警")
        RED = "red", _("红色预警")

    class Schedule(models.TextChoices):
        DAILY = "daily", _("每日")
        MONTHLY = "monthly", _("每月初")
        CHECKPOINTS = "checkpoints", _("节点月份")

    code = models.CharField(_("编码"), max_length=40)
    name = models.CharField(_("名称"), max_length=100)
    measure = models.CharField(_("指标"), max_length=24, choices=Measure.choices)
    operator = models.CharField(_("比较"), max_length=2, choices=Operator.choices)
    threshold = models.DecimalField(_("阈值"), max_digits=12, decimal_places=4)
    level = models.CharField(_("预警等级"), max_length=6, choices=Level.choices)
    schedule = models.CharField(_("检查频次"), max_length=12, choices=Schedule.choices, default=Schedule.DAILY)
    params = models.JSONField(_("参数"), default=dict, blank=True)
    scope = models.CharField(_("适用区划前缀"), max_length=12, blank=True, default="")
    active = models.BooleanField(_("启用"), default=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("预警规则")
        ordering = ["measure", "level", "code"]
        constraints = [models.UniqueConstraint(fields=["code", "scope"], name="project_rule_code_scope")]

    def __str__(self) -> str:
        return self.name


class Warning(models.Model):
    """A warning raised by a rule on a project; cleared (not deleted) when the condition ends, so history stays."""

    rule = models.ForeignKey(WarningRule, on_delete=models.PROTECT, related_name="warnings")
    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="warnings")
    division_code = models.CharField(max_length=12, db_index=True)
    level = models.CharField(_("预警等级"), max_length=6, choices=WarningRule.Level.choices)
    value = models.DecimalField(_("指标值"), max_digits=14, decimal_places=4, null=True)
    message = models.CharField(_("预警内容"), max_length=300)
    assignee = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    raised_at = models.DateTimeField(_("预警时间"))
    cleared_at = models.DateTimeField(_("解除时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("预警")
        ordering = ["-raised_at", "id"]
        constraints = [models.UniqueConstraint(fields=["rule", "project"], condition=Q(cleared_at__isnull=True),
                                               name="project_warning_open_once")]


    def __str__(self) -> str:
        return self.message

class Inspection(models.Model):
    """A quality, safety or other inspection (检查) of a project; its findings are rectification items."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="inspections")
    division_code = models.CharField(max_length=12, db_index=True)
    kind = models.CharField(_("检查类型"), max_length=32)  # Term(kind=inspection_kind).code
    on = models.DateField(_("检查日期"))
    inspectors = models.CharField(_("检查人员"), max_length=200)
    summary = models.TextField(_("检查情况"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("检查记录")
        ordering = ["-on", "id"]


    def __str__(self) -> str:
        return f"{self.project_id} {self.kind} {self.on}"

class Rectification(models.Model):
    """A finding to rectify (整改) with an owner and a deadline, from an inspection, an acceptance or an audit;
    closed with evidence."""

    class Source(models.TextChoices):
        INSPECTION = "inspection", _("检查")
        ACCEPTANCE = "acceptance", _("验收")
        AUDIT = "audit", pgettext_lazy("project", "审计")

    class State(models.TextChoices):
        OPEN = "open", _("整改中")
        CLOSED = "closed", _("已整改")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="rectifications")
    division_code = models.CharField(max_length=12, db_index=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    inspection = models.ForeignKey(Inspection, null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    audit = models.ForeignKey("ProjectAudit", null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    acceptance = models.ForeignKey("Acceptance", null=True, blank=True, on_delete=models.CASCADE, related_name="findings")
    finding = models.TextField(_("问题"))
    owner = models.CharField(_("整改责任人"), max_length=50)
    owner_user = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    deadline = models.DateField(_("整改期限"))
    state = models.CharField(_("状态"), max_length=8, choices=State.choices, default=State.OPEN, db_index=True)
    closed_on = models.DateField(_("整改完成日期"), null=True, blank=True)
    closing_note = models.TextField(_("整改情况"), blank=True)
    evidence = models.ForeignKey(Document, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    closed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("整改事项")
        ordering = ["deadline", "id"]


    def __str__(self) -> str:
        return self.finding[:50]

class Acceptance(models.Model):
    """验收: the conclusion of a completed project's acceptance, with its documents in the archive."""

    class Conclusion(models.TextChoices):
        PASSED = "passed", _("合格")
        CONDITIONAL = "conditional", _("整改后合格")
        FAILED = "failed", _("不合格")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="acceptances")
    division_code = models.CharField(max_length=12, db_index=True)
    on = models.DateField(_("验收日期"))
    conclusion = models.CharField(_("验收结论"), max_length=12, choices=Conclusion.choices)
    participants = models.CharField(_("参加单位及人员"), max_length=300, blank=True)
    opinion = models.TextField(_("验收意见"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("验收")
        ordering = ["-on", "id"]


    def __str__(self) -> str:
        return f"{self.project_id} {self.on} {self.conclusion}"

class ProjectAudit(models.Model):
    """审计: a financial audit of a project, with the amount audited and findings to rectify."""

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="audits")
    division_code = models.CharField(max_length=12, db_index=True)
    on = models.DateField(_("审计日期"))
    auditor = models.CharField(_("审计单位"), max_length=100)
    amount_audited = models.BigIntegerField(_("审定金额（分）"), null=True, blank=True)
    summary = models.TextField(_("审计结论"), blank=True)
    created_by = models.ForeignKey(USER, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = pgettext_lazy("project", "审计")
        ordering = ["-on", "id"]


    def __str__(self) -> str:
        return f"{self.project_id} {self.on} {self.auditor}"

class EvaluationTemplate(models.Model):
    """A performance-evaluation indicator template: `indicators` is a list of first-level indicators, each
    {"code", "name", "weight", "items": [{"code", "name", "weight", "guide"}]}; the weights add up to 100."""

    name = models.CharField(_("名称"), max_length=100)
    indicators = models.JSONField(_("指标"))
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("绩效评价指标模板")
        ordering = ["-active", "-id"]

    def __str__(self) -> str:
        return self.name


class Evaluation(models.Model):
    """绩效评价 of a project: the county's self-evaluation, then the city's review; scores per sub-indicator."""

    class State(models.TextChoices):
        DRAFT = "draft", _("自评中")
        SUBMITTED = "submitted", _("已提交自评")
        REVIEWED = "reviewed", _("市级已复核")

    class Grade(models.TextChoices):
        EXCELLENT = "excellent", _("优")
        GOOD = "good", _("良")
        FAIR = "fair", _("中")
        POOR = "poor", _("差")

    project = models.ForeignKey(Project, on_delete=models.CASCADE, related_name="evaluations")
    template = models.ForeignKey(EvaluationTemplate, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=12, db_index=True)
    year = models.PositiveSmallIntegerField(_("评价年度"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT)
    self_scores = models.JSONField(_("自评得分"), default=dict)  # {sub-indicator code: score}
    self_total = models.DecimalField(_("自评总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    self_comment = models.TextField(_("自评说明"), blank=True)
    review_scores = models.JSONField(_("复核得分"), default=dict)
    review_total = models.DecimalField(_("复核总分"), max_digits=6, decimal_places=2, null=True, blank=True)
    review_comment = models.TextField(_("复核意见"), blank=True)
    grade = models.CharField(_("等级"), max_length=10, choices=Grade.choices, blank=True)
    submitted_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    submitted_at = models.DateTimeField(null=True, blank=True)
    reviewed_by = models.ForeignKey(USER, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("绩效评价")
        ordering = ["-year", "division_code", "id"]
        constraints = [models.UniqueConstraint(fields=["project", "year"], name="project_evaluation_year_once")]

    def __str__(self) -> str:
        return f"{self.project_id} {self.year} {self.state}"
