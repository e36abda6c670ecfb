"""A template registered for the import-engine tests (the registry registers its own)."""

from anju.imports.spec import FieldSpec, TableSpec, register_spec

TEST_SPEC = register_spec(TableSpec(
    template="test.roster",
    title="测试花名册",
    fields=(
        FieldSpec("name", "姓名", ("名字",), required=True),
        FieldSpec("id_number", "身份证号", ("身份证号码", "公民身份号码", "证件号码"), required=True, text=True),
        FieldSpec("birth_date", "出生日期", ("出生年月",)),
        FieldSpec("move_date", "搬迁时间", ("搬迁日期", "移民时间")),
        FieldSpec("bank", "开户银行", ("开户行",)),
        FieldSpec("account", "银行账号", ("银行卡号", "账号"), text=True),
        FieldSpec("mode", "扶持方式", ("补助方式",)),
        FieldSpec("village", "村", ("村（社区）", "行政村")),
        FieldSpec("amount", "金额（元）"),
    ),
))

HEADER = ["序号", "姓名", "身份证号", "出生日期", "搬迁时间", "开户银行", "银行账号", "扶持方式", "村", "金额（元）"]
