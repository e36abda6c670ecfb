"""The project import templates: the ledger (项目台账), allocations (资金下达), payments (资金支付) and monthly progress
(月度进度), with their Chinese headers, the variants counties write, example rows and notes.

Amount columns name their unit in the header: “计划投资（万元）” is read in 万元, “计划投资（元）” or a bare
“计划投资” in 元 (`anju.projects.money.unit_from_header`).
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from anju.imports.spec import FieldSpec, TableSpec, register_spec

KINDS = ("projects", "allocations", "payments", "progress")
KIND_LABELS = {"projects": _("项目台账"), "allocations": _("资金下达"), "payments": _("资金支付"), "progress": _("月度进度")}

_PROJECT_CODE = FieldSpec("project_code", "项目编码", ("项目代码", "项目编号", "项目库编码", "项目库编号"), required=True, text=True)
_PROJECT_NAME = FieldSpec("project_name", "项目名称", ("项目", "项目全称"))
_FUND_SOURCE = FieldSpec("fund_source", "资金来源", ("资金渠道", "资金类别", "资金性质", "资金来源渠道"), required=True)
_NOTE = FieldSpec("note", "备注", ("说明", "备注说明"))
_ACTUAL_START = FieldSpec("actual_start", "实际开工日期", ("实际开工时间", "开工日期", "开工时间"))
_ACTUAL_COMPLETION = FieldSpec("actual_completion", "实际完工日期", ("实际完工时间", "完工日期", "完工时间", "竣工日期"))

PROJECTS_SPEC = register_spec(TableSpec("projects.ledger", "扶持项目台账", (
    FieldSpec("code", "项目编码", ("项目代码", "项目编号", "项目库编码", "项目库编号"), required=True, text=True),
    FieldSpec("name", "项目名称", ("项目全称",), required=True),
    FieldSpec("division_code", "区划代码", ("行政区划代码", "项目地点代码", "统计用区划代码", "区划编码"), text=True),
    FieldSpec("county", "县（市、区）", ("县", "县区", "区县", "县市区", "县（区）", "所在县")),
    FieldSpec("township", "乡（镇）", ("乡镇", "乡镇（街道）", "乡镇街道", "乡（镇、街道）", "所在乡镇")),
    FieldSpec("village", "村", ("村（社区）", "村委会", "行政村", "村名", "所在村", "村（居）委会")),
    FieldSpec("program", "项目类型", ("扶持项目类型", "项目性质", "扶持类型", "资金项目类型"), required=True),
    FieldSpec("category", "项目类别", ("建设类别", "项目分类", "类别"), required=True),
    FieldSpec("year", "计划年度", ("年度", "实施年度", "项目年度", "下达年度")),
    FieldSpec("content", "建设内容", ("建设内容及规模", "主要建设内容", "建设规模及内容")),
    FieldSpec("planned_investment", "计划投资（万元）", ("计划投资（元）", "计划投资", "计划总投资（万元）", "计划总投资（元）", "计划总投资",
                                                   "总投资（万元）", "总投资（元）", "总投资", "项目总投资（万元）", "项目总投资（元）"), required=True),
    FieldSpec("beneficiaries", "受益移民人数", ("受益移民（人）", "受益人数", "受益移民人口", "受益移民数")),
    FieldSpec("responsible_unit", "责任单位", ("项目实施单位", "实施单位", "项目法人", "建设单位")),
    FieldSpec("responsible_person", "责任人", ("项目负责人", "负责人")),
    FieldSpec("responsible_phone", "联系电话", ("电话", "手机", "联系方式"), text=True),
    FieldSpec("design_institute", "设计单位", ("设计单位名称",)),
    FieldSpec("design_qualified", "具备设计资质", ("设计资质", "设计单位资质", "是否具备设计资质", "具备相应设计资质")),
    FieldSpec("planned_start", "计划开工日期", ("计划开工时间",)),
    FieldSpec("planned_completion", "计划完工日期", ("计划完工时间", "计划竣工日期")),
    _ACTUAL_START,
    _ACTUAL_COMPLETION,
    FieldSpec("stage", "项目阶段", ("阶段", "当前阶段", "项目状态")),
    _NOTE,
)))

ALLOCATIONS_SPEC = register_spec(TableSpec("projects.allocations", "项目资金下达表", (
    _PROJECT_CODE,
    _PROJECT_NAME,
    _FUND_SOURCE,
    FieldSpec("year", "资金年度", ("年度", "下达年度", "资金所属年度")),
    FieldSpec("doc_number", "下达文号", ("文号", "下达文件文号", "批复文号", "文件文号", "资金下达文号"), required=True),
    FieldSpec("doc_date", "下达日期", ("文件日期", "下达时间", "批复日期", "发文日期"), required=True),
    FieldSpec("amount", "下达金额（万元）", ("下达金额（元）", "下达金额", "下达资金（万元）", "下达资金（元）", "下达资金", "金额（万元）", "金额（元）",
                                          "金额"), required=True),
    _NOTE,
)))

PAYMENTS_SPEC = register_spec(TableSpec("projects.payments", "项目资金支付表", (
    _PROJECT_CODE,
    _PROJECT_NAME,
    _FUND_SOURCE,
    FieldSpec("paid_on", "支付日期", ("付款日期", "拨付日期", "支付时间", "记账日期"), required=True),
    FieldSpec("amount", "支付金额（元）", ("支付金额（万元）", "支付金额", "拨付金额（元）", "拨付金额（万元）", "拨付金额", "金额（元）", "金额（万元）",
                                        "金额"), required=True),
    FieldSpec("voucher", "凭证号", ("凭证编号", "记账凭证号", "凭证号码", "会计凭证号"), required=True, text=True),
    FieldSpec("payee", "收款单位", ("收款人", "收款方", "收款单位名称")),
    _NOTE,
)))

PROGRESS_SPEC = register_spec(TableSpec("projects.progress", "项目月度进度表", (
    _PROJECT_CODE,
    _PROJECT_NAME,
    FieldSpec("month", "月份", ("报告月份", "填报月份", "统计月份", "进度月份"), required=True),
    FieldSpec("physical_percent", "形象进度（%）", ("形象进度", "工程形象进度（%）", "工程形象进度", "完成进度（%）", "形象进度百分比"), required=True),
    FieldSpec("investment_completed", "累计完成投资（万元）", ("累计完成投资（元）", "累计完成投资", "完成投资（万元）", "完成投资（元）", "完成投资")),
    FieldSpec("problems", "存在问题", ("存在的问题", "问题", "存在问题及措施")),
    _ACTUAL_START,
    _ACTUAL_COMPLETION,
)))

SPECS = {"projects": PROJECTS_SPEC, "allocations": ALLOCATIONS_SPEC, "payments": PAYMENTS_SPEC, "progress": PROGRESS_SPEC}
KIND_BY_TEMPLATE = {spec.template: kind for kind, spec in SPECS.items()}

EXAMPLE_ROWS = {
    "projects": ["BY2026-001", "茶坝村产业路硬化工程", "429921101201", "白云县", "白坪镇", "茶坝村委会", "水库移民后期扶持", "基础设施", 2026,
                 "硬化村组道路 3.2 公里，宽 4.5 米", 120.5, 860, "白坪镇人民政府", "王五", "13800000000", "白云县水利勘测设计院", "是",
                 dt.date(2026, 4, 1), dt.date(2026, 10, 31), "", "", "立项/下达", ""],
    "allocations": ["BY2026-001", "茶坝村产业路硬化工程", "中央水库移民扶持基金", 2026, "清移发〔2026〕12号", dt.date(2026, 3, 15), 100, ""],
    "payments": ["BY2026-001", "茶坝村产业路硬化工程", "中央水库移民扶持基金", dt.date(2026, 5, 20), 350000, "记-2026-0518", "白云县路桥公司", "进度款"],
    "progress": ["BY2026-001", "茶坝村产业路硬化工程", "2026-05", 35, 42.6, "雨季影响路基施工", dt.date(2026, 4, 8), ""],
}

TEMPLATE_NOTES = {
    "projects": [
        _("每行一个项目，以项目编码区分：编码已存在则按表中的值更新该项目，值相同则不变；空白单元格不会清除系统中已有的值。"),
        _("项目地点填区划代码（12位，或6位县、9位乡镇代码），或填县（市、区）、乡（镇）、村名称；须在您的录入范围内。已有项目的地点请在项目页面修改。"),
        _("项目类型填 水库移民后期扶持、三峡后续工作、省级突出问题 或 易地搬迁后续扶持；项目类别填项目字典中的名称或编码。"),
        _("计划投资按表头单位读取：表头写“（万元）”按万元，否则按元；须精确到分。"),
        _("项目阶段仅用于新建项目：储备、申报、评审、立项/下达；填写实际开工日期的立项项目转入“实施”，填写实际完工日期的转入“完工”。"),
        _("计划投资达到设计资质门槛（默认100万元）且阶段在申报及以后的，须填写设计单位并注明具备设计资质（是）。"),
    ],
    "allocations": [
        _("以项目编码、资金来源、下达文号区分一笔下达：已存在则更新其年度、日期和金额，值相同则不变。"),
        _("资金来源填项目字典中的名称或编码；下达金额按表头单位（万元或元）读取，须精确到分。"),
        _("调减下达金额时，不能低于该项目该资金来源已支付的金额。"),
    ],
    "payments": [
        _("以项目编码和凭证号区分一笔支付：已存在则更新，值相同则不变。"),
        _("同一项目、同一资金来源的累计支付（系统中已有的加本表）不能超过已下达的金额。"),
        _("支付金额按表头单位（元或万元）读取，须精确到分。"),
    ],
    "progress": [
        _("以项目编码和月份区分一份月报：已存在则更新，值相同则不变。月份可写 2026-05、2026年5月 或 202605。"),
        _("形象进度为 0 至 100 的百分数；累计完成投资按表头单位（万元或元）读取。"),
        _("县级用户须在次月报送截止日前导入，逾期月份已锁定（市级可解锁）。"),
        _("填写实际开工日期的立项项目转入“实施”，填写实际完工日期的实施项目转入“完工”。"),
    ],
}
