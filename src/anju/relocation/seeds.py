"""Seed data of the relocation module (editable data, loaded by migration relocation.0003): the vocabularies (living
conditions, facility kinds, community organisations, risk types, assistance measures, community services, industry
kinds) and the default eligibility rules (建档立卡 and at least one living condition that rules out local escape)."""

from __future__ import annotations

TERMS = {
    "living_condition": [("deep_mountain", "深山区"), ("stony", "石山区"), ("high_cold", "高寒区"), ("desertified", "荒漠化地区"),
                         ("endemic", "地方病多发区"), ("ecological", "生态脆弱区或限制、禁止开发区"), ("disaster", "地质灾害隐患区")],
    "facility": [("school", "学校"), ("kindergarten", "幼儿园"), ("clinic", "卫生室（社区卫生服务站）"),
                 ("community_centre", "社区综合服务中心"), ("workshop", "扶贫车间（就业帮扶车间）"), ("industrial_park", "产业园区"),
                 ("elderly_care", "养老服务设施"), ("market", "农贸市场"), ("other", "其他")],
    "organisation": [("party", "党组织"), ("residents_committee", "居民委员会（村委会）"), ("owners_committee", "业主委员会"),
                     ("volunteers", "志愿服务队"), ("collective", "集体经济组织"), ("other", "其他")],
    "risk": [("illness", "因病"), ("disability", "因残"), ("education", "因学"), ("disaster", "因灾"), ("accident", "因意外事故"),
             ("no_labour", "缺劳动力"), ("unstable_job", "因务工就业不稳"), ("other", "其他")],
    "assistance": [("industry", "产业帮扶"), ("employment", "就业帮扶"), ("public_post", "公益性岗位"), ("training", "技能培训"),
                   ("education", "教育帮扶"), ("medical", "健康帮扶（医疗救助）"), ("dibao", "低保兜底"),
                   ("temporary_relief", "临时救助"), ("insurance", "防贫保险"), ("housing", "住房安全保障"), ("other", "其他")],
    "service": [("employment_service", "就业服务"), ("training_referral", "培训推荐"), ("medical_service", "医疗卫生服务"),
                ("education_service", "入学转学服务"), ("elderly_service", "养老服务"), ("child_care", "关爱儿童服务"),
                ("legal_aid", "法律援助"), ("household_registration", "户籍办理"), ("cultural", "文体活动"), ("other", "其他")],
    "industry": [("planting", "种植业"), ("breeding", "养殖业"), ("processing", "农产品加工"), ("tourism", "乡村旅游"),
                 ("ecommerce", "电子商务"), ("photovoltaic", "光伏产业"), ("collective_economy", "村集体经济"), ("other", "其他")],
}

LIVING_CONDITIONS = [code for code, _ in TERMS["living_condition"]]

# (code, name, field, operator, value, sort, note)
ELIGIBILITY_RULES = [
    ("poverty_registered", "建档立卡贫困户", "poverty_registered", "is_true", None, 10, "易地扶贫搬迁对象为建档立卡贫困户"),
    ("living_condition", "生存条件恶劣，一方水土养不起一方人", "conditions", "any_of", LIVING_CONDITIONS, 20,
     "至少具备一项生存条件（深山、石山、高寒、荒漠化、地方病多发、生态脆弱或限制开发、灾害隐患）"),
]


def relocation_seed_load(apps=None) -> int:
    """Insert the vocabularies and default rules that are missing (migration relocation.0003, flushed test databases)."""
    if apps is None:
        from anju.relocation.models import EligibilityRule, Term
    else:
        Term, EligibilityRule = apps.get_model("relocation", "Term"), apps.get_model("relocation", "EligibilityRule")
    created = 0
    for kind, rows in TERMS.items():
        for sort, (code, name) in enumerate(rows, start=1):
            created += Term.objects.get_or_create(kind=kind, code=code, defaults={"name": name, "sort": sort * 10})[1]
    for code, name, field, operator, value, sort, note in ELIGIBILITY_RULES:
        created += EligibilityRule.objects.get_or_create(code=code, defaults={"name": name, "field": field, "operator": operator,
                                                                              "value": value, "sort": sort, "note": note})[1]
    return created
