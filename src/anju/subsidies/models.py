"""Direct subsidies: policy versions, payment batches and their items, bank layouts and returns, recoveries.

Money is integer fen (分) everywhere: `amount` columns hold fen, never floats or yuan.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from anju.registry.models import Enrolment, Person, Program, RemovalCause, Verification


class Frequency(models.TextChoices):
    YEARLY = "yearly", _("按年发放")
    QUARTERLY = "quarterly", _("按季度发放")


class RemovalRule(models.TextChoices):
    NEXT_YEAR = "next_year", _("次年1月1日起")
    NEXT_MONTH = "next_month", _("次月1日起")
    IMMEDIATE = "immediate", _("即时")


class FundSource(models.TextChoices):
    CENTRAL = "central", _("中央水库移民扶持基金")
    PROVINCIAL = "provincial", _("省级资金")
    THREE_GORGES = "three_gorges", _("三峡后续工作资金")
    RESERVOIR_AREA = "reservoir_area", _("库区基金")
    LOCAL = "local", _("地方配套")


class SubsidyPolicy(models.Model):
    """A policy version (政策版本): a dated document with a division scope whose non-empty values override the
    wider or earlier versions. Publishing writes its values as core.PolicyVersion rows (one per key), which is
    what every computation reads; a draft changes nothing but can be costed (what-if)."""

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        PUBLISHED = "published", _("已发布")
        REVOKED = "revoked", _("已撤销")

    title = models.CharField(_("名称"), max_length=200)
    doc_number = models.CharField(_("文号"), max_length=100, blank=True)
    scope = models.CharField(_("适用区划"), max_length=12, blank=True, default="")  # division prefix; "" = national
    effective_from = models.DateField(_("生效日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.DRAFT, db_index=True)
    # Each value left empty inherits the version in force for the wider scope or an earlier date.
    standard_yuan = models.DecimalField(_("扶持标准（元/人·年）"), max_digits=10, decimal_places=2, null=True, blank=True)
    frequency = models.CharField(_("发放频次"), max_length=10, choices=Frequency.choices, blank=True)
    cutoff_date = models.DateField(_("现状人口截止日"), null=True, blank=True)
    period_start_current = models.DateField(_("现状人口扶持起始日"), null=True, blank=True)
    period_years_current = models.PositiveSmallIntegerField(_("现状人口扶持年限"), null=True, blank=True)
    period_years = models.PositiveSmallIntegerField(_("原迁人口扶持年限"), null=True, blank=True)
    removal_effective = models.CharField(_("核减生效规则"), max_length=12, choices=RemovalRule.choices, blank=True)
    direct_modes = models.JSONField(_("直补的扶持方式"), null=True, blank=True)  # list of Enrolment.SupportMode values
    note = models.TextField(_("说明"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)
    published_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    published_at = models.DateTimeField(null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    revoked_at = models.DateTimeField(null=True, blank=True)
    revoke_reason = models.CharField(_("撤销理由"), max_length=300, blank=True)

    # model field -> core.PolicyVersion key
    KEYS = {
        "standard_yuan": "reservoir.standard_yuan",
        "frequency": "subsidies.frequency",
        "cutoff_date": "reservoir.cutoff_date",
        "period_start_current": "reservoir.period_start_current",
        "period_years_current": "reservoir.period_years_current",
        "period_years": "reservoir.period_years",
        "removal_effective": "registry.removal_effective",
        "direct_modes": "subsidies.direct_modes",
    }

    class Meta:
        verbose_name = _("政策版本")
        ordering = ["-effective_from", "scope", "-id"]

    def __str__(self) -> str:
        return self.title


class Bank(models.Model):
    """A bank in the configurable list (银行名录) with the account rules its accounts are checked against."""

    name = models.CharField(_("银行名称"), max_length=100, unique=True)
    aliases = models.JSONField(_("别名"), default=list, blank=True)  # other spellings seen in rosters (农行, 邮储银行, …)
    lengths = models.JSONField(_("账号长度"), default=list, blank=True)  # allowed digit counts; empty = any of 8–32
    luhn_prefixes = models.JSONField(_("校验Luhn的卡号前缀"), default=list, blank=True)  # e.g. ["62"]: UnionPay cards
    active = models.BooleanField(_("启用"), default=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("银行")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class BankLayout(models.Model):
    """The column layout of the bank file (代发文件) one bank expects, and of its return file (回盘文件)."""

    class Format(models.TextChoices):
        XLSX = "xlsx", _("Excel（xlsx）")
        CSV = "csv", _("CSV")

    class Encoding(models.TextChoices):
        UTF8 = "utf-8", _("UTF-8")
        UTF8_BOM = "utf-8-sig", _("UTF-8（带BOM）")
        GBK = "gbk", _("GBK（旧银行系统）")

    name = models.CharField(_("格式名称"), max_length=100, unique=True)
    bank = models.ForeignKey(Bank, verbose_name=_("银行"), null=True, blank=True, on_delete=models.SET_NULL, related_name="layouts")
    scope = models.CharField(_("适用区划"), max_length=12, blank=True, default="")
    file_format = models.CharField(_("文件类型"), max_length=6, choices=Format.choices, default=Format.XLSX)
    encoding = models.CharField(_("编码"), max_length=10, choices=Encoding.choices, default=Encoding.UTF8_BOM)
    columns = models.JSONField(_("列"), default=list)  # [{"field": "account", "header": "账号"}, …] in file order
    control_total = models.BooleanField(_("写入批次控制总数"), default=True)  # a first line with batch number, count and total
    return_columns = models.JSONField(_("回盘文件列"), default=dict, blank=True)  # field -> header of the bank's return file
    note = models.CharField(_("说明"), max_length=300, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("银行文件格式")
        ordering = ["name"]

    def __str__(self) -> str:
        return self.name


class Batch(models.Model):
    """A payment batch (发放批次) of one county, program and period: regular, or a supplementary re-issue of failed
    or held items of an earlier batch."""

    class Kind(models.TextChoices):
        REGULAR = "regular", _("正常发放")
        SUPPLEMENTARY = "supplementary", _("补发")

    class State(models.TextChoices):
        DRAFT = "draft", _("草稿")
        REVIEWED = "reviewed", _("已审核")
        APPROVED = "approved", _("已审批")
        EXPORTED = "exported", _("已出盘")
        RETURNED = "returned", _("已回盘")
        RECONCILED = "reconciled", _("已对账")

    number = models.CharField(_("批次号"), max_length=40, unique=True)
    division_code = models.CharField(_("县"), max_length=12, db_index=True)
    program = models.CharField(_("项目类别"), max_length=12, choices=Program.choices, default=Program.RESERVOIR)
    year = models.PositiveSmallIntegerField(_("年度"))
    quarter = models.PositiveSmallIntegerField(_("季度"), default=0)  # 0 = the whole year
    kind = models.CharField(_("批次类型"), max_length=14, choices=Kind.choices, default=Kind.REGULAR)
    parent = models.ForeignKey("self", verbose_name=_("原批次"), null=True, blank=True, on_delete=models.PROTECT, related_name="supplements")
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.DRAFT, db_index=True)
    verification = models.ForeignKey(Verification, verbose_name=_("核定名单"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    fund_source = models.CharField(_("资金来源"), max_length=16, choices=FundSource.choices, default=FundSource.CENTRAL)
    layout = models.ForeignKey(BankLayout, verbose_name=_("银行文件格式"), null=True, blank=True, on_delete=models.PROTECT, related_name="+")
    policy = models.JSONField(default=dict, blank=True)  # the policy versions used: {"months": {"2026-01": {"standard": "600", "policy": id}}, …}
    totals = models.JSONField(default=dict, blank=True)  # counts and fen by state, exceptions, project-support funds
    note = models.CharField(_("备注"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)
    reviewed_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reviewed_at = models.DateTimeField(null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    approved_at = models.DateTimeField(null=True, blank=True)
    exported_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    exported_at = models.DateTimeField(null=True, blank=True)
    reconciled_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    reconciled_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("发放批次")
        ordering = ["-year", "-quarter", "division_code", "-id"]
        constraints = [
            models.UniqueConstraint(fields=["division_code", "program", "year", "quarter"], condition=Q(kind="regular"),
                                    name="batch_one_regular_per_period"),
        ]

    def __str__(self) -> str:
        return self.number


class Item(models.Model):
    """One person's payment in a batch: the months of `year` it covers and the amount in fen. Items in a live state
    (pending, held, paid) claim their months: database triggers refuse a second live item of the same enrolment whose
    months overlap (migration 0002)."""

    class State(models.TextChoices):
        PENDING = "pending", _("待发放")
        HELD = "held", _("暂缓发放")
        PAID = "paid", _("已发放")
        FAILED = "failed", _("发放失败")
        REISSUED = "reissued", _("已转补发")
        CANCELLED = "cancelled", _("已取消")

    LIVE = ("pending", "held", "paid")

    class Hold(models.TextChoices):
        NO_ACCOUNT = "no_account", _("无银行账号")
        BANK_INVALID = "bank_invalid", _("银行账号校验不通过")
        SUSPENDED = "suspended", _("暂停扶持")
        DUPLICATE = "duplicate", _("疑似重复")
        SHARED_ACCOUNT = "shared_account", _("与其他户共用银行账号")

    # The foreign keys' own indexes are left out: the composite indexes below lead with them, and every index costs
    # time when a batch writes a million items. The keys carry no database constraint: on PostgreSQL each would add a
    # row check and a parent row lock per item. Enrolments and persons are never deleted (PROTECT everywhere) and a
    # batch's items are deleted with it by the one service that deletes batches (drafts only).
    batch = models.ForeignKey(Batch, on_delete=models.CASCADE, related_name="items", db_index=False, db_constraint=False)
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+", db_index=False, db_constraint=False)
    household_number = models.CharField(_("户编号"), max_length=32)
    division_code = models.CharField(_("所在村"), max_length=12)
    name = models.CharField(_("姓名"), max_length=64)
    id_hash = models.CharField(max_length=64)
    id_masked = models.CharField(_("身份证号"), max_length=18)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    bank_account_enc = models.TextField(blank=True)
    bank_account_hash = models.CharField(max_length=64, blank=True)
    bank_account_masked = models.CharField(_("银行账号"), max_length=40, blank=True)
    year = models.PositiveSmallIntegerField(_("年度"))
    month_from = models.PositiveSmallIntegerField(_("起始月"))  # 1..12 of `year`
    month_to = models.PositiveSmallIntegerField(_("截止月"))
    months = models.PositiveSmallIntegerField(_("月数"))
    amount = models.BigIntegerField(_("金额（分）"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.PENDING)
    exception = models.CharField(_("异常"), max_length=16, choices=Hold.choices, blank=True)
    exception_note = models.CharField(_("异常说明"), max_length=300, blank=True)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    paid_on = models.DateField(_("发放日期"), null=True, blank=True)
    reissue_of = models.ForeignKey("self", null=True, blank=True, on_delete=models.PROTECT, related_name="reissues", db_index=False)

    class Meta:
        verbose_name = _("发放明细")
        indexes = [models.Index(fields=["enrolment", "year"], name="item_enrolment_year"),
                   # one index serves a batch's items by place and by state (a batch's states are read in full anyway)
                   models.Index(fields=["batch", "division_code"], name="item_batch_div"),
                   models.Index(fields=["person", "year"], name="item_person_year")]

    def __str__(self) -> str:
        return f"{self.batch_id}/{self.enrolment_id} {self.year}-{self.month_from:02d}..{self.month_to:02d}"


class BankReturn(models.Model):
    """One uploaded bank return file (回盘文件) of a batch and what it did."""

    class Mode(models.TextChoices):
        ALL = "all", _("全部无误才入账")
        VALID_ONLY = "valid_only", _("只入账无误的行")

    class State(models.TextChoices):
        APPLIED = "applied", _("已入账")
        PARTIAL = "partial", _("部分入账")
        REJECTED = "rejected", _("未入账")

    batch = models.ForeignKey(Batch, on_delete=models.PROTECT, related_name="returns")
    file_name = models.CharField(_("文件名"), max_length=200)
    mode = models.CharField(_("入账方式"), max_length=12, choices=Mode.choices, default=Mode.ALL)
    state = models.CharField(_("状态"), max_length=10, choices=State.choices)
    counts = models.JSONField(default=dict, blank=True)
    uploaded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("回盘文件")
        ordering = ["-uploaded_at", "-id"]

    def __str__(self) -> str:
        return self.file_name


class BankReturnRow(models.Model):
    """A row of a return file, the item it matched and why it was flagged (never applied silently)."""

    class Flag(models.TextChoices):
        UNKNOWN_ACCOUNT = "unknown_account", _("账号不在本批次")
        AMOUNT_MISMATCH = "amount_mismatch", _("金额不符")
        DUPLICATE = "duplicate", _("重复回盘")
        ALREADY_RESOLVED = "already_resolved", _("该笔已有回盘结果")
        INVALID = "invalid", _("行数据有误")

    bank_return = models.ForeignKey(BankReturn, on_delete=models.CASCADE, related_name="rows")
    row = models.PositiveIntegerField(_("行号"))
    name = models.CharField(_("户名"), max_length=64, blank=True)
    account_masked = models.CharField(_("账号"), max_length=40, blank=True)
    account_hash = models.CharField(max_length=64, blank=True)
    amount = models.BigIntegerField(_("金额（分）"), null=True, blank=True)
    success = models.BooleanField(_("成功"), null=True)
    reason = models.CharField(_("失败原因"), max_length=200, blank=True)
    bank_ref = models.CharField(_("银行流水号"), max_length=64, blank=True)
    item = models.ForeignKey(Item, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    flag = models.CharField(_("异常"), max_length=20, choices=Flag.choices, blank=True)
    message = models.CharField(_("说明"), max_length=300, blank=True)
    applied = models.BooleanField(_("已入账"), default=False)

    class Meta:
        ordering = ["bank_return", "row"]

    def __str__(self) -> str:
        return f"{self.bank_return_id}:{self.row}"


class Recovery(models.Model):
    """An overpayment to recover (追缴): months paid after a removal took effect, found when the removal was late."""

    class State(models.TextChoices):
        OPEN = "open", _("待追缴")
        PARTIAL = "partial", _("部分追回")
        SETTLED = "settled", _("已追回")
        WAIVED = "waived", _("已核销")

    item = models.OneToOneField(Item, on_delete=models.PROTECT, related_name="recovery")
    enrolment = models.ForeignKey(Enrolment, on_delete=models.PROTECT, related_name="+")
    person = models.ForeignKey(Person, on_delete=models.PROTECT, related_name="+")
    division_code = models.CharField(_("所在村"), max_length=12, db_index=True)
    name = models.CharField(_("姓名"), max_length=64)
    id_masked = models.CharField(_("身份证号"), max_length=18)
    year = models.PositiveSmallIntegerField(_("年度"))
    months = models.PositiveSmallIntegerField(_("多发月数"))
    amount = models.BigIntegerField(_("应追缴（分）"))
    recovered = models.BigIntegerField(_("已追回（分）"), default=0)
    cause = models.CharField(_("核减原因"), max_length=20, choices=RemovalCause.choices, blank=True)
    effective_on = models.DateField(_("核减生效日期"))
    state = models.CharField(_("状态"), max_length=10, choices=State.choices, default=State.OPEN, db_index=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    detected_at = models.DateTimeField(auto_now_add=True)
    waived_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    waived_at = models.DateTimeField(null=True, blank=True)
    waive_reason = models.CharField(_("核销理由"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("追缴")
        ordering = ["state", "division_code", "id"]
        indexes = [models.Index(fields=["person", "year"], name="recovery_person_year")]

    def __str__(self) -> str:
        return f"{self.name} {self.year}"


class Repayment(models.Model):
    """Money back on a recovery: refunded by the person, or offset against a later payment."""

    class Method(models.TextChoices):
        REFUND = "refund", _("退回")
        OFFSET = "offset", _("从后续发放中抵扣")

    recovery = models.ForeignKey(Recovery, on_delete=models.PROTECT, related_name="repayments")
    amount = models.BigIntegerField(_("金额（分）"))
    paid_on = models.DateField(_("日期"))
    method = models.CharField(_("方式"), max_length=8, choices=Method.choices, default=Method.REFUND)
    receipt = models.CharField(_("票据号"), max_length=64, blank=True)
    note = models.CharField(_("说明"), max_length=300, blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+")
    recorded_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("追缴还款")
        ordering = ["paid_on", "id"]

    def __str__(self) -> str:
        return f"{self.recovery_id}: {self.amount}"
