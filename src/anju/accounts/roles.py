"""Roles and their permissions. A permission is a dotted action; a role is a fixed set of them.

The three IT roles (系统管理员, 安全管理员, 审计管理员) share no permission with each other, and with
business roles only the platform reads divisions.view and jobs.view_all (三员分立). Roles whose login
needs a second factor (the IT roles and 市级管理员) get no API tokens, so a bearer token cannot bypass
it: see tests/accounts/test_roles.py.
"""

from __future__ import annotations

from dataclasses import dataclass

from django.utils import translation
from django.utils.translation import gettext_lazy as _

from anju.divisions.models import Level


class Perm:
    """Permission codes and their Chinese labels. Later modules add theirs here."""

    DIVISIONS_VIEW = "divisions.view"
    DIVISIONS_LOAD = "divisions.load"
    USERS_VIEW = "accounts.user.view"
    USERS_MANAGE = "accounts.user.manage"
    SECURITY_MANAGE = "accounts.security.manage"
    AUDIT_VIEW = "audit.view"
    AUDIT_EXPORT = "audit.export"
    AUDIT_VERIFY = "audit.verify"
    AUDIT_PURGE = "audit.purge"
    JOBS_VIEW_ALL = "jobs.view_all"
    TOKENS_OWN = "accounts.token.own"
    REGISTRY_VIEW = "registry.view"
    REGISTRY_VIEW_PII = "registry.view_pii"
    REGISTRY_IMPORT = "registry.import"
    REGISTRY_EXPORT = "registry.export"
    REFERENCE_MANAGE = "registry.reference.manage"
    REQUEST_SUBMIT = "registry.request.submit"
    REQUEST_DECIDE = "registry.request.decide"
    VERIFICATION_RUN = "registry.verification.run"
    VERIFICATION_SIGN = "registry.verification.sign"
    CROSSCHECK_RUN = "registry.crosscheck.run"
    SUBSIDY_VIEW = "subsidies.view"
    SUBSIDY_POLICY = "subsidies.policy.manage"
    SUBSIDY_POLICY_PUBLISH = "subsidies.policy.publish"
    SUBSIDY_RUN = "subsidies.batch.run"
    SUBSIDY_REVIEW = "subsidies.batch.review"
    RECOVERY_MANAGE = "subsidies.recovery.manage"
    PROJECT_VIEW = "projects.view"
    PROJECT_EDIT = "projects.edit"
    PROJECT_FUNDS = "projects.funds"
    PROJECT_INSPECT = "projects.inspect"
    PROJECT_MANAGE = "projects.manage"
    PROJECT_REVIEW = "projects.review"
    RELOCATION_VIEW = "relocation.view"
    RELOCATION_EDIT = "relocation.edit"
    RELOCATION_CONFIRM = "relocation.confirm"
    RELOCATION_MONITOR = "relocation.monitor"
    RELOCATION_INSPECT = "relocation.inspect"
    RELOCATION_MANAGE = "relocation.manage"

    LABELS = {
        DIVISIONS_VIEW: _("查看行政区划"),
        DIVISIONS_LOAD: _("导入行政区划"),
        USERS_VIEW: _("查看账号"),
        USERS_MANAGE: _("管理账号"),
        SECURITY_MANAGE: _("安全策略、解锁与双因素重置"),
        AUDIT_VIEW: _("查看审计日志"),
        AUDIT_EXPORT: _("导出审计日志"),
        AUDIT_VERIFY: _("校验审计日志"),
        AUDIT_PURGE: _("按保存期清理审计日志"),
        JOBS_VIEW_ALL: _("查看辖区内全部后台任务"),
        TOKENS_OWN: _("管理自己的 API 令牌"),
        REGISTRY_VIEW: _("查看人口名册（脱敏）"),
        REGISTRY_VIEW_PII: _("查看完整身份证号与银行账号（留痕）"),
        REGISTRY_IMPORT: _("导入名册"),
        REGISTRY_EXPORT: _("导出名册"),
        REFERENCE_MANAGE: _("维护水库、安置点与表头别名"),
        REQUEST_SUBMIT: _("提出变更申请"),
        REQUEST_DECIDE: _("审核、审批变更申请"),
        VERIFICATION_RUN: _("发起年度核定"),
        VERIFICATION_SIGN: _("确认年度核定"),
        CROSSCHECK_RUN: _("信息比对"),
        SUBSIDY_VIEW: _("查看直补发放、台账与资金"),
        SUBSIDY_POLICY: _("起草政策版本、维护银行名录与文件格式"),
        SUBSIDY_POLICY_PUBLISH: _("发布、撤销政策版本"),
        SUBSIDY_RUN: _("生成发放批次、出盘、回盘与补发"),
        SUBSIDY_REVIEW: _("审核、审批发放批次，核销追缴"),
        RECOVERY_MANAGE: _("登记追缴还款"),
        PROJECT_VIEW: _("查看项目、资金、进度、预警与通报"),
        PROJECT_EDIT: _("录入项目、申报、月度进度与档案"),
        PROJECT_FUNDS: _("登记资金下达与支付"),
        PROJECT_INSPECT: _("登记检查、整改、验收与审计"),
        PROJECT_MANAGE: _("维护规划、申报指南、预警规则、项目字典与评价模板"),
        PROJECT_REVIEW: _("评审、审批项目申报，复核绩效评价，解锁进度填报"),
        RELOCATION_VIEW: _("查看搬迁后续扶持、监测对象与看板"),
        RELOCATION_EDIT: _("录入识别调查、搬迁环节、后续扶持记录与监测帮扶，导入部门数据"),
        RELOCATION_CONFIRM: _("县级确认搬迁对象、维护安置点设施"),
        RELOCATION_MONITOR: _("审批监测对象纳入与风险消除"),
        RELOCATION_INSPECT: _("抽查核实与整改跟踪"),
        RELOCATION_MANAGE: _("维护搬迁字典、识别规则与迁出区"),
    }


@dataclass(frozen=True)
class Role:
    code: str
    name: str
    levels: tuple[int, ...]  # division levels a user of this role may be scoped to
    perms: frozenset[str]
    totp_required: bool = False
    it_role: bool = False
    description: str = ""


_BUSINESS_BASE = frozenset({Perm.DIVISIONS_VIEW, Perm.TOKENS_OWN, Perm.REGISTRY_VIEW, Perm.SUBSIDY_VIEW, Perm.PROJECT_VIEW,
                            Perm.RELOCATION_VIEW})
_REGISTRY_CLERK = frozenset({Perm.REGISTRY_VIEW_PII, Perm.REGISTRY_IMPORT, Perm.REGISTRY_EXPORT, Perm.REFERENCE_MANAGE,
                             Perm.REQUEST_SUBMIT, Perm.VERIFICATION_RUN, Perm.CROSSCHECK_RUN, Perm.SUBSIDY_RUN, Perm.RECOVERY_MANAGE})

ROLES: dict[str, Role] = {
    r.code: r
    for r in [
        Role("city_admin", _("市级管理员"), (Level.CITY,), frozenset({Perm.DIVISIONS_VIEW, Perm.JOBS_VIEW_ALL, Perm.REGISTRY_VIEW, Perm.REQUEST_DECIDE,
                                                       Perm.VERIFICATION_SIGN, Perm.SUBSIDY_VIEW, Perm.SUBSIDY_POLICY,
                                                       Perm.SUBSIDY_POLICY_PUBLISH, Perm.PROJECT_VIEW, Perm.PROJECT_MANAGE,
                                                       Perm.PROJECT_REVIEW, Perm.RELOCATION_VIEW, Perm.RELOCATION_MANAGE}),
             totp_required=True,
             description=_("设定政策版本与指南、审批、查看全市")),
        Role("city_clerk", _("市级经办"), (Level.CITY,), _BUSINESS_BASE | _REGISTRY_CLERK | {Perm.REQUEST_DECIDE, Perm.SUBSIDY_POLICY,
                                                                          Perm.PROJECT_EDIT, Perm.PROJECT_FUNDS, Perm.PROJECT_INSPECT,
                                                                          Perm.PROJECT_MANAGE, Perm.PROJECT_REVIEW, Perm.RELOCATION_EDIT,
                                                                          Perm.RELOCATION_CONFIRM, Perm.RELOCATION_MONITOR,
                                                                          Perm.RELOCATION_INSPECT, Perm.RELOCATION_MANAGE},
             description=_("市级日常经办")),
        Role("county_reviewer", _("县级审核"), (Level.COUNTY,),
             _BUSINESS_BASE | {Perm.REGISTRY_VIEW_PII, Perm.REGISTRY_EXPORT, Perm.REQUEST_DECIDE, Perm.VERIFICATION_SIGN,
                                Perm.SUBSIDY_REVIEW, Perm.PROJECT_INSPECT, Perm.RELOCATION_CONFIRM, Perm.RELOCATION_MONITOR,
                                Perm.RELOCATION_INSPECT}, description=_("审核本县变更与批次")),
        Role("county_clerk", _("县级经办"), (Level.COUNTY,),
             _BUSINESS_BASE | _REGISTRY_CLERK | {Perm.PROJECT_EDIT, Perm.PROJECT_FUNDS, Perm.PROJECT_INSPECT, Perm.RELOCATION_EDIT,
                                                 Perm.RELOCATION_CONFIRM, Perm.RELOCATION_MONITOR},
             description=_("导入名册、发起批次、填报项目进度")),
        Role("township_clerk", _("乡镇经办"), (Level.TOWNSHIP,), _BUSINESS_BASE | {Perm.REGISTRY_VIEW_PII, Perm.REQUEST_SUBMIT,
                                                                               Perm.RELOCATION_EDIT},
             description=_("录入并提出本乡镇变更、公示")),
        Role("finance", _("财务"), (Level.CITY, Level.COUNTY), _BUSINESS_BASE | {Perm.REGISTRY_VIEW_PII, Perm.PROJECT_FUNDS},
             description=_("查看资金与发放，登记项目资金支付")),
        Role("auditor", _("审计"), (Level.CITY, Level.COUNTY), _BUSINESS_BASE | {Perm.REGISTRY_VIEW_PII, Perm.REGISTRY_EXPORT, Perm.PROJECT_INSPECT,
                                                                              Perm.RELOCATION_INSPECT},
             description=_("查账、追溯每一笔资金，登记审计发现")),
        Role("leader", _("领导(只读)"), (Level.CITY, Level.COUNTY, Level.TOWNSHIP), _BUSINESS_BASE, description=_("查看看板与通报")),
        Role("sysadmin", _("系统管理员"), (Level.PROVINCE, Level.CITY, Level.COUNTY),
             frozenset({Perm.DIVISIONS_VIEW, Perm.DIVISIONS_LOAD, Perm.USERS_VIEW, Perm.USERS_MANAGE, Perm.JOBS_VIEW_ALL}),
             totp_required=True, it_role=True, description=_("账号开设与系统维护")),
        Role("secadmin", _("安全管理员"), (Level.PROVINCE, Level.CITY, Level.COUNTY),
             frozenset({Perm.SECURITY_MANAGE}), totp_required=True, it_role=True,
             description=_("安全策略、账号解锁、双因素重置")),
        Role("auditadmin", _("审计管理员"), (Level.PROVINCE, Level.CITY, Level.COUNTY),
             frozenset({Perm.AUDIT_VIEW, Perm.AUDIT_EXPORT, Perm.AUDIT_VERIFY, Perm.AUDIT_PURGE}),
             totp_required=True, it_role=True, description=_("查看、导出、校验审计日志")),
    ]
}

ROLE_CHOICES = [(r.code, r.name) for r in ROLES.values()]
IT_ROLES = frozenset(code for code, r in ROLES.items() if r.it_role)


def role_by_code_or_name(value: str) -> Role | None:
    """Find a role by its code (county_clerk) or its Chinese name (县级经办)."""
    value = (value or "").strip()
    if value in ROLES:
        return ROLES[value]
    with translation.override("zh-hans"):
        for role in ROLES.values():
            name = str(role.name)
            if value in (name, name.split("(")[0]):
                return role
    return None
