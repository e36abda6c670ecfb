"""The relocation import templates: department lists (人社 employment, 民政 低保/特困, 医保 medical costs) and the
training, insurance and income-survey lists, with their Chinese headers, the variants departments write, example
rows and notes.

Amount columns are read in 元 (a header naming 万元, such as “月收入（万元）”, is read in 万元); persons are
matched by resident ID (`身份证号`), households by the head's or any member's resident ID.
"""

from __future__ import annotations

import datetime as dt

from django.utils.translation import gettext_lazy as _

from anju.imports.spec import FieldSpec, TableSpec, register_spec

KINDS = ("employment", "welfare", "medical", "training", "insurance", "income")
KIND_LABELS = {"employment": _("就业情况（人社）"), "welfare": _("低保特困（民政）"), "medical": _("医疗费用（医保）"),
               "training": _("技能培训"), "insurance": _("参保情况"), "income": _("收入调查")}

_ID_ALIASES = ("身份证号码", "公民身份号码", "公民身份证号码", "证件号码", "身份证", "身份证件号码", "社会保障号码", "社会保障卡号")
_NAME = FieldSpec("name", "姓名", ("人员姓名", "成员姓名", "劳动力姓名", "参保人姓名", "患者姓名", "学员姓名"))
_ID = FieldSpec("id_number", "身份证号", _ID_ALIASES, required=True, text=True)
_HEAD_NAME = FieldSpec("head_name", "户主姓名", ("户主", "申请人姓名", "申请人", "户主名称"))
_HEAD_ID = FieldSpec("head_id", "户主身份证号", ("户主身份证号码", "户主公民身份号码", "户主证件号码", "申请人身份证号", "申请人身份证号码"), text=True)
_MEMBER_ID = FieldSpec("id_number", "身份证号", (*_ID_ALIASES, "成员身份证号", "保障对象身份证号"), text=True)
_YEAR = FieldSpec("year", "年度", ("年份", "所属年度", "统计年度"), required=True)

EMPLOYMENT_SPEC = register_spec(TableSpec("relocation.employment", "搬迁群众就业情况表", (
    _NAME,
    _ID,
    FieldSpec("kind", "就业类型", ("就业方式", "就业形式", "务工类型", "务工方式", "就业渠道", "就业类别"), required=True),
    FieldSpec("employer", "就业单位", ("务工单位", "用工单位", "工作单位", "就业企业", "用工企业", "单位名称")),
    FieldSpec("place", "就业地点", ("务工地点", "务工地址", "工作地点", "就业地址", "务工地")),
    FieldSpec("started_on", "开始日期", ("就业时间", "务工时间", "开始时间", "就业开始日期", "务工开始时间", "入职日期", "就业日期"), required=True),
    FieldSpec("ended_on", "结束日期", ("结束时间", "就业结束日期", "务工结束时间", "离职日期", "终止日期")),
    FieldSpec("monthly_income", "月收入（元）", ("月收入", "月均收入（元）", "月均收入", "月工资（元）", "月工资", "月工资收入（元）", "月工资收入",
                                              "月收入（万元）")),
)))

WELFARE_SPEC = register_spec(TableSpec("relocation.welfare", "低保特困救助对象名单", (
    _HEAD_NAME,
    _HEAD_ID,
    _MEMBER_ID,
    FieldSpec("kind", "救助类型", ("保障类型", "救助类别", "保障类别", "对象类别", "供养类型", "救助保障类型"), required=True),
    FieldSpec("persons", "保障人数", ("保障人口", "享受人数", "家庭保障人数", "救助人数", "保障人口数"), required=True),
    FieldSpec("monthly", "月保障金（元）", ("月保障金", "月救助金（元）", "月救助金", "月保障金额（元）", "月保障金额", "月补助金额（元）", "月补助金额",
                                          "月发放金额（元）", "月发放金额", "保障金额（元）", "保障金额")),
    FieldSpec("started_on", "起始日期", ("开始日期", "享受起始日期", "起始时间", "纳入日期", "纳入时间", "保障起始日期"), required=True),
    FieldSpec("ended_on", "终止日期", ("结束日期", "停保日期", "退出日期", "终止时间", "保障终止日期")),
)))

MEDICAL_SPEC = register_spec(TableSpec("relocation.medical", "医疗费用信息表", (
    _NAME,
    _ID,
    FieldSpec("year", "年度", ("结算年度", "费用年度", "年份", "就诊年度"), required=True),
    FieldSpec("total", "医疗总费用（元）", ("医疗总费用", "总费用（元）", "总费用", "医疗费用总额（元）", "医疗费用总额", "总医疗费用（元）", "总医疗费用",
                                          "医疗总费用（万元）"), required=True),
    FieldSpec("out_of_pocket", "合规自付费用（元）", ("合规自付费用", "合规自付（元）", "合规自付", "合规自付金额（元）", "合规自付金额",
                                                 "个人合规自付（元）", "个人合规自付", "政策范围内个人自付（元）", "政策范围内个人自付",
                                                 "合规自付费用（万元）"), required=True),
)))

TRAINING_SPEC = register_spec(TableSpec("relocation.training", "技能培训名单", (
    _NAME,
    _ID,
    FieldSpec("course", "培训项目", ("培训工种", "培训专业", "培训内容", "培训名称", "培训课程", "培训类别"), required=True),
    FieldSpec("organiser", "培训机构", ("培训单位", "承训机构", "承训单位", "举办单位", "培训学校")),
    FieldSpec("started_on", "开始日期", ("培训开始日期", "培训时间", "开班日期", "开始时间", "培训日期"), required=True),
    FieldSpec("ended_on", "结束日期", ("培训结束日期", "结业日期", "结束时间", "结业时间")),
    FieldSpec("certificate", "取得证书", ("证书", "证书名称", "获得证书", "职业资格证书", "取得证书情况", "技能等级证书")),
)))

INSURANCE_SPEC = register_spec(TableSpec("relocation.insurance", "参保情况表", (
    _NAME,
    _ID,
    FieldSpec("year", "年度", ("参保年度", "年份", "缴费年度"), required=True),
    FieldSpec("medical", "医疗保险", ("基本医疗保险", "参加基本医疗保险", "是否参加医疗保险", "是否参加基本医疗保险", "医保", "参加医保",
                                  "城乡居民医疗保险", "城乡居民基本医疗保险")),
    FieldSpec("pension", "养老保险", ("基本养老保险", "参加基本养老保险", "是否参加养老保险", "是否参加基本养老保险", "城乡居民养老保险",
                                  "城乡居民基本养老保险", "养老")),
)))

INCOME_SPEC = register_spec(TableSpec("relocation.income", "家庭收入调查表", (
    _HEAD_NAME,
    _HEAD_ID,
    _MEMBER_ID,
    _YEAR,
    FieldSpec("persons", "家庭人口", ("家庭人口数", "人口数", "户人口", "家庭人数", "人口"), required=True),
    FieldSpec("wage", "工资性收入（元）", ("工资性收入", "务工收入（元）", "务工收入", "工资性收入（万元）")),
    FieldSpec("business", "生产经营性收入（元）", ("生产经营性收入", "经营性收入（元）", "经营性收入", "家庭经营性收入（元）", "家庭经营性收入",
                                            "生产经营性收入（万元）")),
    FieldSpec("property", "财产性收入（元）", ("财产性收入", "财产性收入（万元）")),
    FieldSpec("transfer", "转移性收入（元）", ("转移性收入", "转移性收入（万元）")),
    FieldSpec("costs", "生产经营性支出（元）", ("生产经营性支出", "生产经营费用支出（元）", "生产经营费用支出", "经营性支出（元）", "经营性支出",
                                            "生产经营性支出（万元）")),
    FieldSpec("surveyed_on", "调查日期", ("调查时间", "填报日期", "采集日期")),
)))

SPECS = {"employment": EMPLOYMENT_SPEC, "welfare": WELFARE_SPEC, "medical": MEDICAL_SPEC, "training": TRAINING_SPEC,
         "insurance": INSURANCE_SPEC, "income": INCOME_SPEC}
KIND_BY_TEMPLATE = {spec.template: kind for kind, spec in SPECS.items()}

EXAMPLE_ID = "429921198003150025"
EXAMPLE_ROWS = {
    "employment": ["李四", EXAMPLE_ID, "扶贫车间", "白云县幸福小区帮扶车间", "白云县城关镇", dt.date(2025, 3, 1), "", 2800],
    "welfare": ["李四", EXAMPLE_ID, "", "低保", 3, 960, dt.date(2025, 1, 1), ""],
    "medical": ["李四", EXAMPLE_ID, 2025, 56000, 12500],
    "training": ["李四", EXAMPLE_ID, "家政服务", "白云县职业技术学校", dt.date(2025, 4, 8), dt.date(2025, 4, 22), "家政服务员（五级）"],
    "insurance": ["李四", EXAMPLE_ID, 2025, "是", "是"],
    "income": ["李四", EXAMPLE_ID, "", 2025, 4, 32000, 6000, 500, 4800, 1500, dt.date(2025, 12, 20)],
}

_COMMON = _("身份证号须为本辖区易地扶贫搬迁人口（在册）；校验码错误、不在本辖区或未纳入搬迁人口的行会被拒绝。")
TEMPLATE_NOTES = {
    "employment": [
        _COMMON,
        _("就业类型填 县内务工、县外省内务工、省外务工、公益性岗位、扶贫车间、自主创业 或 灵活就业。"),
        _("以 身份证号 + 就业类型 + 开始日期 区分一段就业：已存在则更新单位、地点、结束日期和月收入，值相同则不变；空白单元格不会清除已有的值。"),
        _("填写结束日期且近一年内结束、全户再无在岗就业的，列入防返贫风险预警（就业中断）。月收入按元填写。"),
    ],
    "welfare": [
        _("填写户主身份证号，或该户任一成员的身份证号（两者都填时须为同一户）；该户须为本辖区搬迁户。"),
        _("救助类型填 低保 或 特困（也可写 最低生活保障、特困人员供养）。月保障金按元填写。"),
        _("以 户 + 救助类型 + 起始日期 区分一条记录：已存在则更新，值相同则不变。"),
        _("此前未享受低保特困、本次新纳入的户，列入防返贫风险预警（新纳入低保特困）。"),
    ],
    "medical": [
        _COMMON,
        _("医疗总费用、合规自付费用按元填写；合规自付费用不能大于医疗总费用。以 身份证号 + 年度 区分，重复导入时更新。"),
        _("合规自付费用超过政策规定的较高医疗费用标准（默认 1 万元）的，列入防返贫风险预警（同一人同一年度只列一次）。"),
    ],
    "training": [
        _COMMON,
        _("以 身份证号 + 培训项目 + 开始日期 区分一次培训：已存在则更新培训机构、结束日期和证书。"),
    ],
    "insurance": [
        _COMMON,
        _("医疗保险、养老保险填 是 或 否（也可写 已参保、未参保），至少填一项；以 身份证号 + 年度 区分，空白不清除已有的值。"),
    ],
    "income": [
        _("填写户主身份证号，或该户任一成员的身份证号；以 户 + 年度 区分，重复导入时更新。"),
        _("各项收入与生产经营性支出按元填写；调查日期不填时取导入当天。"),
    ],
}
