"""The roster templates (reservoir and relocation): their columns, header variants and allowed values.

Import and export share these, so an exported roster re-imports as unchanged.
"""

from __future__ import annotations

from decimal import Decimal

from django.utils.translation import gettext_lazy as _

from anju.imports.spec import FieldSpec, TableSpec, register_spec
from anju.registry.models import Enrolment, Program

_DIVISION = (
    FieldSpec("county", "县（市、区）", ("县", "县区", "区县", "县市区", "县（区）", "县(市、区)", "所在县"), required=True),
    FieldSpec("township", "乡（镇）", ("乡镇", "乡镇（街道）", "乡镇街道", "乡（镇、街道）", "镇", "乡", "所在乡镇", "乡镇名称"), required=True),
    FieldSpec("village", "村", ("村（社区）", "村委会", "村居", "行政村", "村名", "所在村", "村（居）委会", "村组"), required=True),
)
_PERSON = (
    FieldSpec("household_number", "户编号", ("户号", "户编码", "家庭编号", "户主编号"), required=True, text=True),
    FieldSpec("name", "姓名", ("人员姓名", "移民姓名", "成员姓名"), required=True),
    FieldSpec("id_number", "身份证号", ("身份证号码", "公民身份号码", "公民身份证号码", "证件号码", "身份证", "身份证件号码"), required=True, text=True),
    FieldSpec("gender", "性别"),
    FieldSpec("birth_date", "出生日期", ("出生年月", "出生年月日")),
    FieldSpec("ethnicity", "民族"),
    FieldSpec("relation", "与户主关系", ("关系", "家庭关系", "与户主的关系"), required=True),
    FieldSpec("phone", "联系电话", ("电话", "手机", "手机号", "手机号码", "联系方式"), text=True),
    FieldSpec("address", "住址", ("家庭住址", "现住址", "居住地址")),
)
RESERVOIR_SPEC = TableSpec("registry.reservoir", "水库移民后期扶持人口花名册", _DIVISION + _PERSON + (
    FieldSpec("reservoir", "水库名称", ("水库", "所属水库", "水库名", "水库工程"), required=True),
    FieldSpec("move_date", "搬迁时间", ("搬迁日期", "移民搬迁时间", "迁移时间", "搬迁年月"), required=True),
    FieldSpec("origin", "迁出地", ("原居住地", "迁出地点", "原住址")),
    FieldSpec("category", "人口类别", ("移民类别", "人口类型")),
    FieldSpec("support_mode", "扶持方式", ("发放方式", "扶持方式（直补/项目扶持）", "扶持形式"), required=True),
    FieldSpec("bank_name", "开户银行", ("开户行", "银行名称", "发放银行")),
    FieldSpec("bank_account", "银行账号", ("银行卡号", "账号", "卡号", "银行帐号", "帐号", "一卡通账号", "社保卡号"), text=True),
))
RELOCATION_SPEC = TableSpec("registry.relocation", "易地扶贫搬迁人口花名册", _DIVISION + _PERSON + (
    FieldSpec("poverty_registered", "建档立卡", ("是否建档立卡", "建档立卡户", "是否建档立卡户"), required=True),
    FieldSpec("relocation_year", "搬迁年度", ("搬迁年份", "搬迁时间", "入住年度"), required=True),
    FieldSpec("placement", "安置方式", ("安置类型", "集中/分散"), required=True),
    FieldSpec("area_type", "安置区域", ("城镇/农村", "城镇或农村", "安置地类型")),
    FieldSpec("housing_area", "人均住房面积", ("人均住房面积（平方米）", "人均面积", "人均住房面积(㎡)", "人均住房面积（㎡）")),
    FieldSpec("site", "安置点", ("安置点名称", "集中安置点", "安置小区")),
))
SPECS = {Program.RESERVOIR: RESERVOIR_SPEC, Program.RELOCATION: RELOCATION_SPEC}
for _spec in SPECS.values():
    register_spec(_spec)

SUPPORT_MODES = {"直补": Enrolment.SupportMode.DIRECT, "直发直补": Enrolment.SupportMode.DIRECT, "直接发放": Enrolment.SupportMode.DIRECT,
                 "项目扶持": Enrolment.SupportMode.PROJECT}
SUPPORT_MODE_LABEL = {Enrolment.SupportMode.DIRECT: "直补", Enrolment.SupportMode.PROJECT: "项目扶持"}
CATEGORIES = {"现状人口": Enrolment.Category.CURRENT, "原迁人口": Enrolment.Category.ORIGINAL}
CATEGORY_LABEL = {v: k for k, v in CATEGORIES.items()}
PLACEMENTS = {"集中安置": Enrolment.Placement.CONCENTRATED, "集中": Enrolment.Placement.CONCENTRATED,
              "分散安置": Enrolment.Placement.DISPERSED, "分散": Enrolment.Placement.DISPERSED}
PLACEMENT_LABEL = {Enrolment.Placement.CONCENTRATED: "集中安置", Enrolment.Placement.DISPERSED: "分散安置"}
AREA_TYPES = {"城镇": Enrolment.AreaType.URBAN, "城镇安置": Enrolment.AreaType.URBAN, "农村": Enrolment.AreaType.RURAL,
              "农村安置": Enrolment.AreaType.RURAL}
AREA_TYPE_LABEL = {Enrolment.AreaType.URBAN: "城镇", Enrolment.AreaType.RURAL: "农村"}
GENDERS = {"男": "M", "女": "F", "M": "M", "F": "F"}
GENDER_LABEL = {"M": "男", "F": "女"}
HEAD = "户主"
HOUSING_AREA_MAX = Decimal(500)  # m² per person: a plausibility bound, far above the 25 m² red line of 建档立卡 households

TEMPLATE_NOTES = {
    Program.RESERVOIR: [
        _("带 * 的列必填；表头可用常见写法（如 身份证号码、银行卡号），标题行、合计行会自动跳过。"),
        _("身份证号、银行账号请设为文本格式，否则 Excel 会丢失末几位。"),
        _("扶持方式填 直补、直发直补 或 项目扶持；直补须填开户银行与银行账号。"),
        _("搬迁时间可写 2003-05-01、2003.05、2003年5月 或 200305；人口类别与扶持期限由搬迁时间按政策自动认定。"),
        _("同一户的成员户编号相同，且须有一人与户主关系为“户主”。"),
    ],
    Program.RELOCATION: [
        _("带 * 的列必填；表头可用常见写法，标题行、合计行会自动跳过。"),
        _("身份证号请设为文本格式。建档立卡填 是 或 否；安置方式填 集中安置 或 分散安置；安置区域填 城镇 或 农村。"),
        _("集中安置须填安置点（名称或编码，须先在安置点管理中登记）。"),
    ],
}

EXAMPLE_ROWS = {
    Program.RESERVOIR: ["白云县", "城关镇", "石桥村委会", "001000123", "张三", "42052719650512001X", "男", "1965-05-12", "汉族", "户主",
                        "13800000000", "城关镇石桥村3组12号", "白云水库", "2008-03", "原白云乡老街", "原迁人口", "直补", "农村商业银行",
                        "6217000010001234567"],
    Program.RELOCATION: ["白云县", "城关镇", "石桥村委会", "001000456", "李四", "420527198003150023", "女", "1980-03-15", "汉族", "户主",
                         "", "幸福小区3栋201室", "是", "2018", "集中安置", "城镇", "20.5", "幸福小区"],
}
