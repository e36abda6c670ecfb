"""Platform tables: the hash-chained audit log, its purge checkpoints, and background jobs."""

from __future__ import annotations

import uuid

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class AuditEvent(models.Model):
    """One thing that happened. Append-only; sealed rows are immutable (database triggers enforce it).

    Writers insert unsealed rows (seq NULL). The sealer assigns seq in order and chains
    chain_hash = HMAC(key, prev chain_hash + content_hash), so writers never contend on the chain.
    """

    class Outcome(models.TextChoices):
        SUCCESS = "success", _("成功")
        FAILURE = "failure", _("失败")

    occurred_at = models.DateTimeField(_("时间"), db_index=True)
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, db_constraint=False, related_name="+")
    actor_username = models.CharField(_("操作人"), max_length=150, blank=True, db_index=True)
    actor_role = models.CharField(_("角色"), max_length=32, blank=True)
    ip = models.CharField(_("IP地址"), max_length=64, blank=True)
    channel = models.CharField(_("渠道"), max_length=8, blank=True)
    action = models.CharField(_("事件"), max_length=100, db_index=True)
    object_type = models.CharField(_("对象类型"), max_length=64, blank=True)
    object_id = models.CharField(_("对象标识"), max_length=64, blank=True)
    division_code = models.CharField(_("区划代码"), max_length=12, blank=True, db_index=True)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices, default=Outcome.SUCCESS)
    before = models.JSONField(_("变更前"), null=True, blank=True)
    after = models.JSONField(_("变更后"), null=True, blank=True)
    message = models.CharField(_("说明"), max_length=500, blank=True)
    # Sealing fields: written once by the sealer.
    seq = models.BigIntegerField(null=True, blank=True, unique=True)
    content_hash = models.CharField(max_length=64, blank=True)
    chain_hash = models.CharField(max_length=64, blank=True)

    class Meta:
        verbose_name = _("审计事件")
        ordering = ["-id"]
        indexes = [models.Index(fields=["actor_username", "occurred_at"], name="audit_actor_time")]

    def __str__(self) -> str:
        return f"{self.occurred_at:%Y-%m-%d %H:%M:%S} {self.actor_username} {self.action}"


class AuditCheckpoint(models.Model):
    """Where the chain stands after a purge: events with seq <= through_seq were removed on purpose."""

    created_at = models.DateTimeField(auto_now_add=True)
    through_seq = models.BigIntegerField(unique=True)
    chain_hash = models.CharField(max_length=64)
    purged_count = models.BigIntegerField(default=0)
    cutoff = models.DateTimeField()
    signature = models.CharField(max_length=64)

    class Meta:
        ordering = ["-through_seq"]

    def __str__(self) -> str:
        return f"checkpoint through seq {self.through_seq}"


class Job(models.Model):
    """A long-running piece of work, with progress the web page and the CLI both show."""

    class State(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("运行中")
        SUCCEEDED = "succeeded", _("已完成")
        FAILED = "failed", _("失败")

    id = models.UUIDField(primary_key=True, default=uuid.uuid4, editable=False)
    kind = models.CharField(_("类型"), max_length=64, db_index=True)
    title = models.CharField(_("名称"), max_length=200)
    params = models.JSONField(default=dict, blank=True)
    state = models.CharField(_("状态"), max_length=12, choices=State.choices, default=State.QUEUED, db_index=True)
    progress = models.PositiveSmallIntegerField(_("进度"), default=0)
    message = models.CharField(_("进度说明"), max_length=500, blank=True)
    result = models.JSONField(_("结果"), null=True, blank=True)
    result_file = models.CharField(_("结果文件"), max_length=300, blank=True)
    error = models.TextField(_("错误"), blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="jobs")
    division_code = models.CharField(max_length=12, db_index=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    started_at = models.DateTimeField(null=True, blank=True)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        verbose_name = _("后台任务")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return self.title

    @property
    def is_finished(self) -> bool:
        return self.state in (self.State.SUCCEEDED, self.State.FAILED)


class PolicyVersion(models.Model):
    """One dated value of a policy parameter for a division scope ("policy is data", POLICY.md).

    The value in force for a division on a day is the row with the longest matching `scope` prefix and,
    among those, the latest `effective_from` not after that day. `scope` "" is the national default.
    """

    key = models.CharField(_("参数"), max_length=100)
    value = models.JSONField(_("取值"))
    effective_from = models.DateField(_("生效日期"))
    scope = models.CharField(_("适用区划前缀"), max_length=12, blank=True, default="")
    note = models.CharField(_("依据"), max_length=300, blank=True)
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+")
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("政策版本")
        ordering = ["key", "scope", "-effective_from"]
        constraints = [models.UniqueConstraint(fields=["key", "scope", "effective_from"], name="policy_key_scope_from")]

    def __str__(self) -> str:
        return f"{self.key}@{self.scope or '*'} {self.effective_from}: {self.value}"


class Message(models.Model):
    """An inbox message for one user (a warning raised on a project they answer for, a deadline): what, why, where
    to act. `source` names what raised it (e.g. projects.warning:42) so that clearing the cause can mark it done."""

    recipient = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE, related_name="messages")
    subject = models.CharField(_("标题"), max_length=200)
    body = models.TextField(_("内容"), blank=True)
    link = models.CharField(_("链接"), max_length=300, blank=True)
    level = models.CharField(_("级别"), max_length=10, blank=True)  # "", yellow, red
    source = models.CharField(max_length=100, blank=True, db_index=True)
    division_code = models.CharField(max_length=12, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    read_at = models.DateTimeField(null=True, blank=True)
    resolved_at = models.DateTimeField(_("已解除"), null=True, blank=True)

    class Meta:
        verbose_name = _("消息")
        ordering = ["-created_at", "-id"]
        indexes = [models.Index(fields=["recipient", "read_at"], name="core_message_inbox")]

    def __str__(self) -> str:
        return self.subject
