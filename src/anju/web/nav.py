"""The module menu. Each module that exists registers its entries here; the shell shows what the user may use."""

from __future__ import annotations

from dataclasses import dataclass

from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from anju.accounts.roles import Perm


@dataclass(frozen=True)
class NavItem:
    label: object
    url_name: str
    perm: str | None  # None: every signed-in user
    section: object
    icon: str = ""


NAV: list[NavItem] = [
    NavItem(_("首页"), "web:home", None, _("工作台"), "home"),
    NavItem(_("查找人员"), "registry:search", Perm.REGISTRY_VIEW, _("人口名册"), "search"),
    NavItem(_("在册名单"), "registry:roster", Perm.REGISTRY_VIEW, _("人口名册"), "list"),
    NavItem(_("变更申请"), "registry_requests:list", Perm.REGISTRY_VIEW, _("人口名册"), "inbox"),
    NavItem(_("公示表"), "registry_requests:posting", Perm.REGISTRY_VIEW, _("人口名册"), "doc"),
    NavItem(_("导入核减名单"), "registry_requests:import", Perm.REQUEST_SUBMIT, _("人口名册"), "upload"),
    NavItem(_("年度核定"), "registry_verification:list", Perm.REGISTRY_VIEW, _("人口名册"), "check"),
    NavItem(_("信息比对"), "registry_crosschecks:list", Perm.REGISTRY_VIEW, _("人口名册"), "compare"),
    NavItem(_("重复情况"), "registry_crosschecks:duplicates", Perm.REGISTRY_VIEW, _("人口名册"), "copy"),
    NavItem(_("名册导入导出"), "registry_imports:index", Perm.REGISTRY_EXPORT, _("人口名册"), "upload"),
    NavItem(_("发放批次"), "subsidies:batch_list", Perm.SUBSIDY_VIEW, _("直补发放"), "list"),
    NavItem(_("资金测算"), "subsidies:entitlements", Perm.SUBSIDY_VIEW, _("直补发放"), "check"),
    NavItem(_("补贴台账"), "subsidies_ledger:ledger", Perm.SUBSIDY_VIEW, _("直补发放"), "doc"),
    NavItem(_("追缴管理"), "subsidies_ledger:recoveries", Perm.SUBSIDY_VIEW, _("直补发放"), "inbox"),
    NavItem(_("资金汇总"), "subsidies_ledger:funds", Perm.SUBSIDY_VIEW, _("直补发放"), "compare"),
    NavItem(_("年度资金报告"), "subsidies_ledger:reports", Perm.SUBSIDY_VIEW, _("直补发放"), "doc"),
    NavItem(_("政策版本"), "subsidies_policy:list", Perm.SUBSIDY_VIEW, _("直补发放"), "key"),
    NavItem(_("项目进度看板"), "projects_rates:dashboard", Perm.PROJECT_VIEW, _("扶持项目"), "home"),
    NavItem(_("项目进度与资金支付"), "projects_rates:index", Perm.PROJECT_VIEW, _("扶持项目"), "compare"),
    NavItem(_("项目库"), "projects_projects:list", Perm.PROJECT_VIEW, _("扶持项目"), "list"),
    NavItem(_("五年规划"), "projects_applications:plan_list", Perm.PROJECT_VIEW, _("扶持项目"), "tree"),
    NavItem(_("申报指南"), "projects_applications:guideline_list", Perm.PROJECT_VIEW, _("扶持项目"), "doc"),
    NavItem(_("项目申报"), "projects_applications:application_list", Perm.PROJECT_VIEW, _("扶持项目"), "inbox"),
    NavItem(_("资金下达"), "projects_funds:allocations", Perm.PROJECT_VIEW, _("扶持项目"), "doc"),
    NavItem(_("资金支付"), "projects_funds:payments", Perm.PROJECT_VIEW, _("扶持项目"), "compare"),
    NavItem(_("月度进度填报"), "projects_funds:monthly", Perm.PROJECT_VIEW, _("扶持项目"), "clock"),
    NavItem(_("项目预警"), "projects_warnings:list", Perm.PROJECT_VIEW, _("扶持项目"), "shield"),
    NavItem(_("整改事项"), "projects_inspections:rectifications", Perm.PROJECT_VIEW, _("扶持项目"), "check"),
    NavItem(_("绩效评价"), "projects_evaluations:list", Perm.PROJECT_VIEW, _("扶持项目"), "check"),
    NavItem(_("档案完整率"), "projects_inspections:completeness", Perm.PROJECT_VIEW, _("扶持项目"), "doc"),
    NavItem(_("项目数据导入"), "projects_imports:index", Perm.PROJECT_FUNDS, _("扶持项目"), "upload"),
    NavItem(_("进度填报解锁"), "projects_funds:unlocks", Perm.PROJECT_VIEW, _("扶持项目"), "key"),
    NavItem(_("后续扶持看板"), "relocation_dashboards:index", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "home"),
    NavItem(_("后续扶持指标"), "relocation_metrics:index", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "compare"),
    NavItem(_("安置点"), "relocation:sites", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "home"),
    NavItem(_("识别调查"), "relocation_identification:surveys", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "list"),
    NavItem(_("候选名单"), "relocation_identification:candidates", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "check"),
    NavItem(_("应搬尽搬核查"), "relocation_identification:coverage", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "search"),
    NavItem(_("搬迁进度"), "relocation_steps:progress", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "clock"),
    NavItem(_("搬迁户后续扶持"), "relocation_support:households", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "users"),
    NavItem(_("就业台账"), "relocation_support:employment", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "doc"),
    NavItem(_("部门数据导入"), "relocation_imports:index", Perm.RELOCATION_EDIT, _("搬迁后续扶持"), "upload"),
    NavItem(_("防返贫监测"), "relocation_monitoring:cases", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "shield"),
    NavItem(_("风险预警"), "relocation_monitoring:signals", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "inbox"),
    NavItem(_("抽查核实"), "relocation_checks:list", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "check"),
    NavItem(_("抽查整改"), "relocation_checks:follow_ups", Perm.RELOCATION_VIEW, _("搬迁后续扶持"), "key"),
    NavItem(_("行政区划"), "divisions:list", Perm.DIVISIONS_VIEW, _("基础数据"), "tree"),
    NavItem(_("水库"), "registry:reservoirs", Perm.REGISTRY_VIEW, _("基础数据"), "water"),
    NavItem(_("表头别名"), "imports:aliases", Perm.REFERENCE_MANAGE, _("基础数据"), "key"),
    NavItem(_("银行名录"), "subsidies_reference:banks", Perm.SUBSIDY_VIEW, _("基础数据"), "water"),
    NavItem(_("银行文件格式"), "subsidies_reference:layouts", Perm.SUBSIDY_VIEW, _("基础数据"), "doc"),
    NavItem(_("项目字典"), "projects_projects:terms", Perm.PROJECT_MANAGE, _("基础数据"), "key"),
    NavItem(_("档案清单"), "projects_inspections:checklist", Perm.PROJECT_VIEW, _("基础数据"), "doc"),
    NavItem(_("预警规则"), "projects_warnings:rules", Perm.PROJECT_VIEW, _("基础数据"), "shield"),
    NavItem(_("迁出区"), "relocation_identification:areas", Perm.RELOCATION_VIEW, _("基础数据"), "tree"),
    NavItem(_("识别规则"), "relocation_identification:rules", Perm.RELOCATION_VIEW, _("基础数据"), "check"),
    NavItem(_("搬迁字典"), "relocation_identification:terms", Perm.RELOCATION_VIEW, _("基础数据"), "key"),
    NavItem(_("后台任务"), "jobs:list", None, _("基础数据"), "clock"),
    NavItem(_("账号管理"), "accounts:users", Perm.USERS_VIEW, _("系统管理"), "users"),
    NavItem(_("导入区划"), "divisions:load", Perm.DIVISIONS_LOAD, _("系统管理"), "upload"),
    NavItem(_("安全策略"), "accounts:security", Perm.SECURITY_MANAGE, _("安全管理"), "shield"),
    NavItem(_("账号解锁与双因素"), "accounts:security_users", Perm.SECURITY_MANAGE, _("安全管理"), "key"),
    NavItem(_("审计日志"), "audit:list", Perm.AUDIT_VIEW, _("安全审计"), "log"),
    NavItem(_("我的消息"), "inbox:list", None, _("个人"), "inbox"),
    NavItem(_("我的账号"), "accounts:me", None, _("个人"), "user"),
    NavItem(_("API 令牌"), "accounts:tokens", Perm.TOKENS_OWN, _("个人"), "key"),
    NavItem(_("API 文档"), "api:openapi-view", None, _("个人"), "doc"),
]


def nav_for(user, current_path: str, badges: dict[str, int] | None = None) -> list[dict]:
    """Menu sections with the items this user's role allows, marking the active one (the longest matching URL);
    `badges` maps a URL name to a count shown beside the item (the inbox's unread messages)."""
    sections: dict[str, dict] = {}
    entries = []
    for item in NAV:
        if item.perm and not user.can(item.perm):
            continue
        url = reverse(item.url_name)
        entry = {"label": item.label, "url": url, "active": False, "icon": item.icon, "badge": (badges or {}).get(item.url_name, 0)}
        entries.append(entry)
        section = sections.setdefault(str(item.section), {"title": item.section, "items": []})
        section["items"].append(entry)
    matching = [e for e in entries if (current_path == e["url"] if e["url"] == "/" else current_path.startswith(e["url"]))]
    if matching:
        max(matching, key=lambda e: len(e["url"]))["active"] = True
    return list(sections.values())
