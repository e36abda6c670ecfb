"""Registry tables: reservoirs, households, persons, memberships, program enrolments with dated status,
field history, change requests with their steps and evidence, annual verification snapshots, cross-checks.

Every scoped row carries the 12-digit `division_code` of its village. Resident IDs and bank accounts are
stored encrypted (`*_enc`, AES-GCM, see core/crypto.py) beside a keyed blind index (`*_hash`) for exact
lookup and de-duplication, and a masked form (`*_masked`) for display.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.relocation.models import AreaType, Placement


class Program(models.TextChoices):
    RESERVOIR = "reservoir", _("水库移民后期扶持")
    RELOCATION = "relocation", _("易地扶贫搬迁后续扶持")


class Reservoir(models.Model):
    class Scale(models.TextChoices):
        LARGE = "large", _("大型")
        MEDIUM = "medium", _("中型")

    code = models.CharField(_("水库编码"), max_length=32, unique=True)
    name = models.CharField(_("水库名称"), max_length=100)
    scale = models.CharField(_("规模"), max_length=8, choices=Scale.choices)
    division_code = models.CharField(_("所在县"), max_length=12, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("水库")
        ordering = ["division_code", "code"]

    def __str__(self) -> str:
        return self.name


class Person(models.Model):
    class Gender(models.TextChoices):
        MALE = "M", _("男")
        FEMALE = "F", _("女")

    name = models.CharField(_("姓名"), max_length=64)
    id_hash = models.CharField(max_length=64, unique=True)
    id_enc = models.TextField()
    id_masked = models.CharField(_("身份证号"), max_length=18)
    gender = models.CharField(_("性别"), max_length=1, choices=Gender.choices)
    birth_date = models.DateField(_("出生日期"))
    ethnicity = models.CharField(_("民族"), max_length=16, blank=True)
    phone = models.CharField(_("联系电话"), max_length=32, blank=True)
    division_code = models.CharField(_("所在村"), max_length=12)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("人员")
        indexes = [
            models.Index(fields=["name", "division_code"], name="person_name_div"),
            models.Index(fields=["division_code"], name="person_div"),
        ]

    def __str__(self) -> str:
        return self.name


class Household(models.Model):
    number = models.CharField(_("户编号"), max_length=32)
    county_code = models.CharField(max_length=6)
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    address = models.CharField(_("住址"), max_length=200, blank=True)
    head = models.ForeignKey(Person, verbose_name=_("户主"), null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("户")
        constraints = [models.UniqueConstraint(fields=["county_code", "number"], name="household_number_in_county")]

    def __str__(self) -> str:
        return self.number


class Membership(models.Model):
    """A person belongs to a household from `valid_from` until the day before `valid_to` (open when NULL)."""

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="memberships")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="memberships")
    relation = models.CharField(_("与户主关系"), max_length=16)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)

    class Meta:
        verbose_name = _("家庭成员关系")
        indexes = [models.Index(fields=["household", "valid_from"], name="membership_household"),
                   models.Index(fields=["person", "valid_from"], name="membership_person")]
        constraints = [models.UniqueConstraint(fields=["person"], condition=Q(valid_to__isnull=True), name="membership_one_open")]

    def __str__(self) -> str:
        return f"{self.person_id} in {self.household_id} from {self.valid_from}"


class Status(models.TextChoices):
    ACTIVE = "active", _("在册")
    SUSPENDED = "suspended", _("暂停")
    REMOVED = "removed", _("核减")
    DUPLICATE = "duplicate", _("疑似重复")


class RemovalCause(models.TextChoices):
    DEATH = "death", _("死亡")
    PRISON = "prison", _("服刑")
    PUBLIC_EMPLOYMENT = "public_employment", _("财政供养人员")
    MILITARY_OFFICER = "military_officer", _("现役军官")
    NON_AGRICULTURAL = "non_agricultural", _("转为非农业户口")
    MOVED_OUT = "moved_out", _("迁出")
    OTHER = "other", _("其他")


class Enrolment(models.Model):
    """A person's enrolment in one program. The current status is denormalised from EnrolmentStatus."""

    class Category(models.TextChoices):
        CURRENT = "current", _("现状人口")
        ORIGINAL = "original", _("原迁人口")

    class SupportMode(models.TextChoices):
        DIRECT = "direct", _("直补")
        PROJECT = "project", _("项目扶持")

    Placement = Placement  # shared with relocation.Site
    AreaType = AreaType

    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="enrolments")
    household = models.ForeignKey(Household, on_delete=models.PROTECT, related_name="enrolments")
    program = models.CharField(_("项目类别"), max_length=12, choices=Program.choices)
    division_code = models.CharField(_("所在村"), max_length=12)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices, default=Status.ACTIVE)
    status_since = models.DateField(_("状态起始"))
    enrolled_on = models.DateField(_("纳入日期"))
    # reservoir post-support
    reservoir = models.ForeignKey(Reservoir, verbose_name=_("水库"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    move_date = models.DateField(_("搬迁时间"), null=True, blank=True)
    origin = models.CharField(_("迁出地"), max_length=200, blank=True)
    category = models.CharField(_("人口类别"), max_length=10, choices=Category.choices, blank=True)
    support_mode = models.CharField(_("扶持方式"), max_length=10, choices=SupportMode.choices, blank=True)
    support_start = models.DateField(_("扶持起始"), null=True, blank=True)
    support_end = models.DateField(_("扶持截止"), null=True, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account_enc = models.TextField(blank=True)
    bank_account_hash = models.CharField(max_length=64, blank=True, db_index=True)
    bank_account_masked = models.CharField(_("银行账号"), max_length=40, blank=True)
    # poverty-alleviation relocation
    poverty_registered = models.BooleanField(_("建档立卡"), null=True, blank=True)
    relocation_year = models.PositiveSmallIntegerField(_("搬迁年度"), null=True, blank=True)
    placement = models.CharField(_("安置方式"), max_length=14, choices=Placement.choices, blank=True)
    area_type = models.CharField(_("城镇/农村"), max_length=8, choices=AreaType.choices, blank=True)
    housing_area = models.DecimalField(_("人均住房面积"), max_digits=7, decimal_places=2, null=True, blank=True)
    site = models.ForeignKey("relocation.Site", verbose_name=_("安置点"), null=True, blank=True, on_delete=models.PROTECT, related_name="enrolments")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("扶持对象")
        constraints = [models.UniqueConstraint(fields=["person", "program"], name="enrolment_person_program")]
        indexes = [models.Index(fields=["program", "division_code"], name="enrolment_program_div"),
                   models.Index(fields=["household"], name="enrolment_household"),
                   models.Index(fields=["program", "household", "division_code", "person", "site", "status", "status_since"],
                                name="enrolment_metrics_cover")]

    def __str__(self) -> str:
        return f"{self.person_id} {self.program}"


class EnrolmentStatus(models.Model):
    """The status of an enrolment from `valid_from` until the day before `valid_to` (open when NULL)."""

    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="periods")
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices)
    valid_from = models.DateField(_("起始日期"))
    valid_to = models.DateField(_("终止日期"), null=True, blank=True)
    cause = models.CharField(_("原因"), max_length=20, choices=RemovalCause.choices, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    request = models.ForeignKey("ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("状态期间")
        indexes = [models.Index(fields=["enrolment", "valid_from"], name="enrolment_status_from")]

    def __str__(self) -> str:
        return f"{self.enrolment_id} {self.status} from {self.valid_from}"


class History(models.Model):
    """One changed field of a person, household or enrolment: the timeline and the as-of view read it.

    Sensitive values (ID, bank account) are recorded masked.
    """

    class Source(models.TextChoices):
        IMPORT = "import", _("导入")
        REQUEST = "request", _("变更申请")
        CROSSCHECK = "crosscheck", _("信息比对")
        MANUAL = "manual", _("手工")

    at = models.DateTimeField(_("时间"), auto_now_add=True)
    effective_on = models.DateField(_("生效日期"))
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="history")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="history")
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="history")
    division_code = models.CharField(max_length=12, db_index=True)
    field = models.CharField(_("字段"), max_length=40)
    old = models.CharField(_("原值"), max_length=300, blank=True)
    new = models.CharField(_("新值"), max_length=300, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices)
    batch = models.ForeignKey("imports.ImportBatch", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    request = models.ForeignKey("ChangeRequest", null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    class Meta:
        verbose_name = _("变更历史")
        ordering = ["-at", "-id"]
        indexes = [models.Index(fields=["person", "at"], name="history_person"),
                   models.Index(fields=["household", "at"], name="history_household")]

    def __str__(self) -> str:
        return f"{self.field}: {self.old} → {self.new}"


class ChangeRequest(models.Model):
    """A proposed change (动态管理) moving through the approval levels, public posting and its effective date."""

    class Kind(models.TextChoices):
        ADD_PERSON = "add_person", _("新增人员")
        ADD_HOUSEHOLD = "add_household", _("新增户")
        REMOVE = "remove", _("核减")
        RESTORE = "restore", _("恢复")
        CORRECT = "correct", _("信息更正")
        MOVE = "move", _("迁移")
        SPLIT = "split", _("分户")
        MERGE = "merge", _("合户")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PENDING = "pending", _("审批中")
        POSTING = "posting", _("公示中")
        APPROVED = "approved", _("待生效")
        EFFECTIVE = "effective", _("已生效")
        REJECTED = "rejected", _("已退回")
        WITHDRAWN = "withdrawn", _("已撤回")

    OPEN_STATES = ("draft", "pending", "posting", "approved")

    class Source(models.TextChoices):
        MANUAL = "manual", _("手工")
        IMPORT = "import", _("批量导入")
        CROSSCHECK = "crosscheck", _("信息比对")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True)
    program = models.CharField(_("项目类别"), max_length=12, choices=Program.choices)
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    person = models.ForeignKey(Person, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    household = models.ForeignKey(Household, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    enrolment = models.ForeignKey(Enrolment, null=True, blank=True, on_delete=models.PROTECT, related_name="requests")
    field = models.CharField(_("变更字段"), max_length=40, blank=True)  # what the request changes: one open request per person and field
    payload = models.JSONField(_("变更内容"), default=dict, blank=True)
    cause = models.CharField(_("核减原因"), max_length=20, choices=RemovalCause.choices, blank=True)
    reason = models.CharField(_("理由"), max_length=500, blank=True)
    levels = models.JSONField(default=list)  # e.g. ["township", "county", "city"], from policy registry.workflow
    level_index = models.PositiveSmallIntegerField(default=0)  # the level whose decision is awaited
    effective_on = models.DateField(_("生效日期"), null=True, blank=True)
    posting_from = models.DateField(_("公示开始"), null=True, blank=True)
    posting_until = models.DateField(_("公示截止"), null=True, blank=True)
    source = models.CharField(_("来源"), max_length=12, choices=Source.choices, default=Source.MANUAL)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("变更申请")
        ordering = ["-created_at"]
        constraints = [models.UniqueConstraint(
            fields=["person", "field"], condition=Q(state__in=["draft", "pending", "posting", "approved"]) & Q(person__isnull=False),
            name="request_one_open_per_person_field")]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} #{self.pk}"


class ChangeRequestStep(models.Model):
    class Action(models.TextChoices):
        CREATE = "create", _("创建")
        SUBMIT = "submit", _("提交")
        APPROVE = "approve", _("通过")
        REJECT = "reject", _("退回")
        WITHDRAW = "withdraw", _("撤回")
        POST = "post", _("公示")
        APPLY = "apply", _("生效")

    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="steps")
    level = models.CharField(_("层级"), max_length=10, blank=True)
    action = models.CharField(_("操作"), max_length=10, choices=Action.choices)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    comment = models.CharField(_("意见"), max_length=500, blank=True)
    at = models.DateTimeField(auto_now_add=True)

    class Meta:
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.request_id} {self.action} {self.level}"


class Evidence(models.Model):
    request = models.ForeignKey(ChangeRequest, on_delete=models.CASCADE, related_name="evidence")
    path = models.CharField(max_length=300)  # relative to the uploads dir
    original_name = models.CharField(_("文件名"), max_length=200)
    content_type = models.CharField(max_length=100)
    size = models.PositiveIntegerField()
    sha256 = models.CharField(max_length=64)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    def __str__(self) -> str:
        return self.original_name


class Verification(models.Model):
    """Annual verification (年度核定) of one program in one county as of 12-31 24:00; locked after city sign-off."""

    class State(models.TextChoices):
        DRAFT = "draft", _("待县级确认")
        COUNTY_SIGNED = "county_signed", _("待市级确认")
        LOCKED = "locked", _("已锁定")

    year = models.PositiveSmallIntegerField(_("年度"))
    program = models.CharField(_("项目类别"), max_length=12, choices=Program.choices)
    division_code = models.CharField(_("县"), max_length=12, db_index=True)
    state = models.CharField(_("状态"), max_length=14, choices=State.choices, default=State.DRAFT)
    as_of = models.DateField(_("核定基准日"))
    previous = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    counts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    county_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    county_signed_at = models.DateTimeField(null=True, blank=True)
    city_signed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    city_signed_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("年度核定")
        ordering = ["-year", "division_code"]
        constraints = [models.UniqueConstraint(fields=["year", "program", "division_code"], name="verification_year_program_county")]

    def __str__(self) -> str:
        return f"{self.year} {self.program} {self.division_code}"


class VerificationEntry(models.Model):
    """One enrolled person in a verification snapshot (copied, so later changes never alter it)."""

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="entries")
    enrolment_id = models.BigIntegerField()
    person_id = models.BigIntegerField()
    household_id = models.BigIntegerField()
    household_number = models.CharField(max_length=32)
    division_code = models.CharField(max_length=12)
    name = models.CharField(max_length=64)
    id_hash = models.CharField(max_length=64)
    id_masked = models.CharField(max_length=18)
    gender = models.CharField(max_length=1)
    birth_date = models.DateField()
    relation = models.CharField(max_length=16, blank=True)
    category = models.CharField(max_length=10, blank=True)
    support_mode = models.CharField(max_length=10, blank=True)
    support_end = models.DateField(null=True, blank=True)
    move_date = models.DateField(null=True, blank=True)  # for the support window of payments (NULL in snapshots taken before it was copied)
    bank_account_hash = models.CharField(max_length=64, blank=True)
    digest = models.CharField(max_length=64, blank=True)  # of the compared fields, for the 变更 diff

    class Meta:
        indexes = [models.Index(fields=["verification", "enrolment_id"], name="ventry_enrolment"),
                   models.Index(fields=["verification", "division_code"], name="ventry_div")]

    def __str__(self) -> str:
        return f"{self.verification_id}: {self.name}"


class VerificationChange(models.Model):
    class Kind(models.TextChoices):
        ADDED = "added", _("新增")
        REMOVED = "removed", _("核减")
        CHANGED = "changed", _("变更")

    verification = models.ForeignKey(Verification, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    enrolment_id = models.BigIntegerField()
    division_code = models.CharField(max_length=12)
    name = models.CharField(max_length=64)
    id_masked = models.CharField(max_length=18)
    reason = models.CharField(_("原因"), max_length=300, blank=True)
    request = models.ForeignKey(ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    detail = models.JSONField(default=dict, blank=True)

    class Meta:
        indexes = [models.Index(fields=["verification", "kind"], name="vchange_kind")]

    def __str__(self) -> str:
        return f"{self.verification_id}: {self.kind} {self.name}"


class CrossCheckBatch(models.Model):
    """Another department's list (deaths, public employees, prisoners, 低保) matched against the registry."""

    class Kind(models.TextChoices):
        DEATH = "death", _("死亡")
        PUBLIC_EMPLOYMENT = "public_employment", _("财政供养人员")
        PRISON = "prison", _("服刑人员")
        DIBAO = "dibao", _("低保")

    kind = models.CharField(_("比对类型"), max_length=20, choices=Kind.choices)
    source = models.CharField(_("来源部门"), max_length=50)
    as_of = models.DateField(_("数据日期"))
    file_name = models.CharField(_("文件名"), max_length=200)
    division_code = models.CharField(max_length=12, db_index=True)
    counts = models.JSONField(default=dict, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("信息比对")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.kind} {self.file_name}"


class CrossCheckMatch(models.Model):
    class Method(models.TextChoices):
        ID = "id", _("身份证号")
        NAME_BIRTH = "name_birth", _("姓名+出生日期")

    class State(models.TextChoices):
        SUGGESTED = "suggested", _("待确认")
        CONFIRMED = "confirmed", _("已确认")
        DISMISSED = "dismissed", _("已排除")

    batch = models.ForeignKey(CrossCheckBatch, on_delete=models.CASCADE, related_name="matches")
    row = models.PositiveIntegerField()
    name = models.CharField(max_length=64)
    id_masked = models.CharField(max_length=18, blank=True)
    event_date = models.DateField(null=True, blank=True)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(max_length=12, db_index=True)
    method = models.CharField(max_length=12, choices=Method.choices)
    state = models.CharField(max_length=10, choices=State.choices, default=State.SUGGESTED)
    request = models.ForeignKey(ChangeRequest, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")

    def __str__(self) -> str:
        return f"{self.batch_id} row {self.row}: {self.name}"
