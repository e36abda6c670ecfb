"""Seed data of the projects module (all of it editable data, loaded by migration projects.0002): the vocabularies
(categories, fund sources, inspection kinds), the archive checklist by stage, the default early-warning rules and
the default performance-evaluation template (outputs 50, outcomes 30, satisfaction 10, budget execution 10)."""

from __future__ import annotations

TERMS = {
    "category": [("infrastructure", "基础设施"), ("industry", "产业发展"), ("ecology", "生态环境"), ("public_service", "公共服务"),
                 ("training", "技能培训"), ("other", "其他")],
    "fund_source": [("central", "中央水库移民扶持基金"), ("provincial", "省级资金"), ("three_gorges", "三峡后续工作资金"),
                    ("reservoir_area", "库区基金"), ("local", "地方配套")],
    "inspection_kind": [("quality", "质量检查"), ("safety", "安全检查"), ("progress", "进度督查"), ("funds", "资金检查"),
                        ("comprehensive", "综合检查")],
}

# (code, name, stage, required)
DOCUMENT_TYPES = [
    ("proposal", "项目建议书", "applied", False),
    ("feasibility", "可行性研究报告", "applied", True),
    ("preliminary_design", "初步设计", "applied", False),
    ("implementation_plan", "实施方案", "applied", True),
    ("publicity", "公示材料", "applied", True),
    ("villager_minutes", "村民会议纪要", "applied", True),
    ("allocation_doc", "资金下达文件", "approved", True),
    ("tender", "招投标文件", "implementing", True),
    ("contract", "施工合同", "implementing", True),
    ("start_report", "开工报告", "implementing", True),
    ("supervision", "监理资料", "implementing", False),
    ("photos", "影像资料", "implementing", False),
    ("completion_report", "完工报告", "completed", True),
    ("as_built", "竣工图", "completed", False),
    ("acceptance_report", "验收报告", "accepted", True),
    ("audit_report", "审计报告", "audited", True),
    ("evaluation_report", "绩效评价报告", "evaluated", True),
    ("rectification_evidence", "整改佐证材料", "implementing", False),
]

PAYMENT_TARGETS = {"3": "0.20", "6": "0.50", "9": "0.75", "12": "0.90"}  # cumulative payment rate due by the end of the month

# (code, name, measure, operator, threshold, level, schedule, params, note)
WARNING_RULES = [
    ("not_started_90", "资金下达90天未开工", "days_not_started", "gt", "90", "yellow", "daily", {}, "自首次资金下达之日起计算"),
    ("not_started_180", "资金下达180天未开工", "days_not_started", "gt", "180", "red", "daily", {}, "自首次资金下达之日起计算"),
    ("payment_behind", "资金支付率低于序时进度", "payment_behind", "gt", "0", "yellow", "checkpoints", {"targets": PAYMENT_TARGETS},
     "指标值为最近一个节点月份的目标支付率减实际支付率"),
    ("payment_far_behind", "资金支付率低于序时进度20个百分点以上", "payment_behind", "gt", "0.2", "red", "checkpoints",
     {"targets": PAYMENT_TARGETS}, "指标值为最近一个节点月份的目标支付率减实际支付率"),
    ("no_progress_report", "上月进度未报送", "no_progress_report", "ge", "1", "yellow", "monthly", {}, "实施中的项目，报送截止日后检查"),
    ("completion_overdue", "超过计划完工日期未完工", "completion_overdue", "gt", "0", "yellow", "daily", {}, ""),
    ("completion_overdue_90", "超过计划完工日期90天未完工", "completion_overdue", "gt", "90", "red", "daily", {}, ""),
    ("not_accepted_90", "完工超过90天未验收", "not_accepted", "gt", "90", "yellow", "daily", {}, "自实际完工日期起计算"),
    ("not_accepted_180", "完工超过180天未验收", "not_accepted", "gt", "180", "red", "daily", {}, "自实际完工日期起计算"),
    ("rectification_overdue", "整改逾期", "rectification_overdue", "gt", "0", "yellow", "daily", {}, "最早到期的未完成整改事项"),
    ("rectification_overdue_30", "整改逾期30天以上", "rectification_overdue", "gt", "30", "red", "daily", {}, "最早到期的未完成整改事项"),
]

EVALUATION_TEMPLATE = ("移民后期扶持项目绩效评价指标（默认）", [
    {"code": "output", "name": "产出指标", "weight": 50, "items": [
        {"code": "output_quantity", "name": "产出数量", "weight": 15, "guide": "按批复建设内容完成的比例计分"},
        {"code": "output_quality", "name": "产出质量", "weight": 15, "guide": "验收合格得满分，整改后合格酌情扣分"},
        {"code": "output_timeliness", "name": "产出时效", "weight": 10, "guide": "按计划工期完工得满分，每延期一个月扣2分"},
        {"code": "output_cost", "name": "产出成本", "weight": 10, "guide": "决算不超概算得满分"},
    ]},
    {"code": "outcome", "name": "效益指标", "weight": 30, "items": [
        {"code": "outcome_economic", "name": "经济效益", "weight": 10, "guide": "移民增收、集体经济收入等"},
        {"code": "outcome_social", "name": "社会效益", "weight": 10, "guide": "生产生活条件改善、受益人数"},
        {"code": "outcome_ecological", "name": "生态效益", "weight": 5, "guide": "人居环境与生态改善"},
        {"code": "outcome_sustainable", "name": "可持续影响", "weight": 5, "guide": "管护主体与机制落实"},
    ]},
    {"code": "satisfaction", "name": "满意度指标", "weight": 10, "items": [
        {"code": "satisfaction_beneficiaries", "name": "受益移民满意度", "weight": 10, "guide": "抽样调查满意率×10"},
    ]},
    {"code": "budget", "name": "预算执行", "weight": 10, "items": [
        {"code": "budget_execution", "name": "预算执行率", "weight": 5, "guide": "资金支付率×5"},
        {"code": "budget_management", "name": "资金管理规范性", "weight": 5, "guide": "专款专用、手续完备"},
    ]},
])


def projects_seed_load(apps=None) -> int:
    """Insert the seed rows that are missing (idempotent: existing rows, edited or not, are left alone); returns how many."""
    from decimal import Decimal

    def model(name):
        if apps is not None:
            return apps.get_model("projects", name)
        from anju.projects import models

        return getattr(models, name)

    Term, DocumentType, WarningRule, EvaluationTemplate = (model(n) for n in ("Term", "DocumentType", "WarningRule", "EvaluationTemplate"))
    created = 0
    for kind, rows in TERMS.items():
        for sort, (code, name) in enumerate(rows, start=1):
            created += Term.objects.get_or_create(kind=kind, code=code, defaults={"name": name, "sort": sort * 10})[1]
    for sort, (code, name, stage, required) in enumerate(DOCUMENT_TYPES, start=1):
        created += DocumentType.objects.get_or_create(code=code, defaults={"name": name, "stage": stage, "required": required,
                                                                           "sort": sort * 10})[1]
    for code, name, measure, op, threshold, level, schedule, params, note in WARNING_RULES:
        created += WarningRule.objects.get_or_create(code=code, scope="", defaults={
            "name": name, "measure": measure, "operator": op, "threshold": Decimal(threshold), "level": level, "schedule": schedule,
            "params": params, "note": note})[1]
    name, indicators = EVALUATION_TEMPLATE
    created += EvaluationTemplate.objects.get_or_create(name=name, defaults={"indicators": indicators})[1]
    return created
