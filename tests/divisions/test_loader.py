"""Loading NBS division files: real-data counts, idempotency, --root, renames, malformed files (all or nothing),
and the vendor fast paths against the portable twin."""

from __future__ import annotations

import pytest
from django.db import transaction
from django.db.models import Count

from anju.core.models import AuditEvent
from anju.divisions.models import Division, Level
from anju.divisions.services import (
    MAX_REPORTED_ERRORS,
    MSG_BAD_CODE,
    MSG_BAD_PARENT,
    MSG_BAD_ROOT,
    MSG_DUPLICATE,
    MSG_EMPTY,
    MSG_EMPTY_NAME,
    MSG_FIELD_COUNT,
    MSG_GBK,
    MSG_MISSING_COLUMNS,
    MSG_MISSING_PARENT,
    MSG_NO_FILES,
    MSG_NOT_UTF8,
    MSG_SUMMARY,
    DivisionFileError,
    RowError,
    divisions_load,
    read_division_dir,
    read_division_files,
    write_divisions,
    write_divisions_portable,
)

# Lines in the real files: 31 provinces, 342 cities, 2978 areas, 41352 streets, 678 villages. Three areas (东莞 441900,
# 中山 442000, 儋州 460400: cities without counties) and one street (金门 350527000: a county without townships)
# repeat their parent's 12-digit code; the parent stands for them, so they are not separate divisions.
REAL_COUNTS = {Level.PROVINCE: 31, Level.CITY: 342, Level.COUNTY: 2978 - 3, Level.TOWNSHIP: 41352 - 1, Level.VILLAGE: 678}
REAL_TOTAL = sum(REAL_COUNTS.values())
ROOT_4205_COUNTS = {Level.PROVINCE: 1, Level.CITY: 1, Level.COUNTY: 13, Level.TOWNSHIP: 113, Level.VILLAGE: 678}

PROVINCES = "code,name\n42,湖北省\n"
CITY_HEADER = "code,name,provinceCode\n"
AREA_HEADER = "code,name,cityCode\n"
STREET_HEADER = "code,name,areaCode\n"
VILLAGE_HEADER = "code,name,streetCode\n"

_parsed: dict[str, list] = {}


@pytest.fixture
def real_rows(shared_divisions):
    """The whole real data set, parsed once per session (parsing needs no database when every parent is in the files)."""
    key = str(shared_divisions)
    if key not in _parsed:
        _parsed[key] = read_division_dir(shared_divisions)
    return _parsed[key]


def level_counts() -> dict[int, int]:
    return dict(Division.objects.values_list("level").annotate(n=Count("code")).order_by("level"))


def table() -> list[tuple]:
    return list(Division.objects.order_by("code").values_list("code", "name", "level", "parent_id"))


def write_files(directory, files: dict[str, str | bytes]):
    for name, content in files.items():
        (directory / name).write_bytes(content.encode("utf-8") if isinstance(content, str) else content)
    return directory


def load_dir(directory, root=None):
    """What the job and the CLI do: read and validate the directory, then write."""
    return divisions_load(actor=None, rows=read_division_dir(directory, root=root), source="test")


# --- the real NBS data ------------------------------------------------------------------------------


def test_full_load_of_real_data_inserts_every_level(db, shared_divisions):
    report = load_dir(shared_divisions)

    assert report.per_level == REAL_COUNTS
    assert (report.read, report.inserted, report.updated, report.unchanged) == (REAL_TOTAL, REAL_TOTAL, 0, 0)
    assert level_counts() == REAL_COUNTS
    assert Division.objects.filter(parent__isnull=True).count() == REAL_COUNTS[Level.PROVINCE]
    village = Division.objects.get(code="420502001200")
    assert (village.name, village.level, village.parent_id) == ("孙家坝村", Level.VILLAGE, "420502001000")
    street = Division.objects.get(code="110101001000")
    assert (street.name, street.level, street.parent_id) == ("东华门街道", Level.TOWNSHIP, "110101000000")
    dongguan = Division.objects.get(code="441900000000")
    assert (dongguan.name, dongguan.level, dongguan.parent_id) == ("东莞市", Level.CITY, "440000000000")
    assert dongguan.children.count() == 36
    assert set(dongguan.children.values_list("level", flat=True)) == {Level.TOWNSHIP}
    kinmen = Division.objects.get(code="350527000000")
    assert (kinmen.name, kinmen.level, kinmen.children.count()) == ("金门县", Level.COUNTY, 0)
    event = AuditEvent.objects.get(action="divisions.loaded")
    assert event.after["inserted"] == REAL_TOTAL
    assert event.after["source"] == "test"


def test_second_load_of_real_data_changes_nothing(db, real_rows):
    divisions_load(actor=None, rows=real_rows, source="test")
    before = table()

    report = divisions_load(actor=None, rows=real_rows, source="test")

    assert (report.read, report.inserted, report.updated, report.unchanged) == (REAL_TOTAL, 0, 0, REAL_TOTAL)
    assert table() == before


def test_root_loads_only_that_division_its_ancestors_and_descendants(tree, shared_divisions):
    report = load_dir(shared_divisions, root="4205")

    assert report.per_level == ROOT_4205_COUNTS
    # 湖北省 came with the demo tree under the same name; everything else is new.
    assert (report.inserted, report.updated, report.unchanged) == (sum(ROOT_4205_COUNTS.values()) - 1, 0, 1)
    loaded = set(Division.objects.exclude(code__startswith="4299").values_list("code", flat=True))
    assert loaded == {"420000000000"} | set(Division.objects.filter(code__startswith="4205").values_list("code", flat=True))
    assert Division.objects.filter(code__startswith="4205").count() == sum(ROOT_4205_COUNTS.values()) - 1
    # Divisions absent from the files (the demo city) are kept.
    assert Division.objects.filter(code__startswith="4299").count() == len(tree) - 1


@pytest.mark.parametrize("root", ["4205", "420500000000", " 4205 "])
def test_root_accepts_short_and_full_codes(db, root):
    contents = {"provinces.csv": PROVINCES.encode(), "cities.csv": (CITY_HEADER + "4205,宜昌市,42\n4201,武汉市,42\n").encode(),
                "areas.csv": (AREA_HEADER + "420502,西陵区,4205\n420102,江岸区,4201\n").encode()}

    rows = read_division_files(contents, root=root)

    assert sorted(r[0] for r in rows) == ["420000000000", "420500000000", "420502000000"]


def test_renamed_division_is_updated_and_others_left_alone(db, real_rows):
    rows = [r for r in real_rows if r[0].startswith("4205") or r[0] == "420000000000"]
    divisions_load(actor=None, rows=rows, source="test")
    renamed = {"420500000000": "宜昌市（新）", "420502001200": "孙家坝社区"}
    changed_rows = [(c, renamed.get(c, n), lv, p) for c, n, lv, p in rows]

    report = divisions_load(actor=None, rows=changed_rows, source="test")

    assert (report.inserted, report.updated, report.unchanged) == (0, 2, len(rows) - 2)
    assert dict(Division.objects.filter(code__in=renamed).values_list("code", "name")) == renamed
    assert Division.objects.get(code="420502000000").name == "西陵区"
    # Renaming back in the same transaction works too (the PostgreSQL path reuses its scratch table).
    report = divisions_load(actor=None, rows=rows, source="test")
    assert report.updated == 2
    assert table() == sorted(rows)


def test_parent_found_in_database_is_accepted(tree, tmp_path):
    write_files(tmp_path, {"areas.csv": AREA_HEADER + "429999,新区,4299\n"})

    report = load_dir(tmp_path)

    assert report.inserted == 1
    assert Division.objects.get(code="429999000000").parent_id == "429900000000"


def test_utf8_with_bom_and_crlf_is_accepted(db, tmp_path):
    write_files(tmp_path, {"provinces.csv": "\ufeffcode,name\r\n42,湖北省\r\n\r\n43,\"湖南省\"\r\n".encode()})

    load_dir(tmp_path)

    assert table() == [("420000000000", "湖北省", 1, None), ("430000000000", "湖南省", 1, None)]


def test_extra_columns_in_any_order_are_ignored(db, tmp_path):
    write_files(tmp_path, {"provinces.csv": PROVINCES,
                           "cities.csv": "provinceCode,note,name,code\n42,x, 宜昌市 , 4205 \n"})

    load_dir(tmp_path)

    assert Division.objects.get(code="420500000000").name == "宜昌市"


def test_header_only_file_loads_nothing(db, tmp_path):
    write_files(tmp_path, {"provinces.csv": "code,name\n"})

    report = load_dir(tmp_path)

    assert (report.read, report.inserted) == (0, 0)
    assert Division.objects.count() == 0


# --- malformed files: every problem named by file, line and reason, and nothing written --------------


def case(files, file, line, msg, params=None, *, id):
    return pytest.param(files, (file, line, msg, params), id=id)


MALFORMED = [
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,42\n429,短码市,42\n"}, "cities.csv", 3, MSG_BAD_CODE,
         {"code": "429", "n": 4}, id="code-too-short"),
    case({"cities.csv": CITY_HEADER + "42050,长码市,42\n"}, "cities.csv", 2, MSG_BAD_CODE,
         {"code": "42050", "n": 4}, id="code-too-long"),
    case({"cities.csv": CITY_HEADER + "42A5,字母市,42\n"}, "cities.csv", 2, MSG_BAD_CODE,
         {"code": "42A5", "n": 4}, id="code-not-digits"),
    case({"cities.csv": CITY_HEADER + "４２０５,全角市,42\n"}, "cities.csv", 2, MSG_BAD_CODE,
         {"code": "４２０５", "n": 4}, id="code-full-width-digits"),
    case({"villages.csv": VILLAGE_HEADER + "42050200120,短村,420502001\n"}, "villages.csv", 2, MSG_BAD_CODE,
         {"code": "42050200120", "n": 12}, id="village-code-11-digits"),
    case({"cities.csv": CITY_HEADER + "4205, ,42\n"}, "cities.csv", 2, MSG_EMPTY_NAME, None, id="empty-name"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,42\n4301,长沙市,43\n"}, "cities.csv", 3, MSG_MISSING_PARENT,
         {"parent": "43"}, id="missing-parent-province"),
    case({"areas.csv": AREA_HEADER + "421002,沙市区,4210\n"}, "areas.csv", 2, MSG_MISSING_PARENT,
         {"parent": "4210"}, id="missing-parent-city-ending-in-zero"),
    case({"streets.csv": STREET_HEADER + "420502001,街道,420502\n"}, "streets.csv", 2, MSG_MISSING_PARENT,
         {"parent": "420502"}, id="missing-parent-county"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,43\n"}, "cities.csv", 2, MSG_BAD_PARENT,
         {"parent": "43", "code": "4205", "n": 2}, id="parent-not-prefix"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,4\n"}, "cities.csv", 2, MSG_BAD_PARENT,
         {"parent": "4", "code": "4205", "n": 2}, id="parent-short"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,42\n", "areas.csv": AREA_HEADER + "420502,西陵区,4201\n"},
         "areas.csv", 2, MSG_BAD_PARENT, {"parent": "4201", "code": "420502", "n": 4}, id="area-parent-other-city"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,42\n4201,武汉市,42\n4205,宜昌市二,42\n"}, "cities.csv", 4,
         MSG_DUPLICATE, {"code": "4205", "first": 2}, id="duplicate-code"),
    case({"cities.csv": (CITY_HEADER + "4205,宜昌市,42\n").encode("gbk")}, "cities.csv", 1, MSG_GBK, None, id="gbk"),
    case({"cities.csv": (CITY_HEADER + "4205,㐀昌市,42\n").encode("gb18030")}, "cities.csv", 1, MSG_GBK, None,
         id="gb18030"),
    case({"cities.csv": CITY_HEADER.encode() + b"4205,\xff\xff,42\n"}, "cities.csv", 1, MSG_NOT_UTF8, None,
         id="not-utf8"),
    case({"cities.csv": "code,name\n4205,宜昌市\n"}, "cities.csv", 1, MSG_MISSING_COLUMNS,
         {"columns": "provinceCode"}, id="missing-parent-column"),
    case({"areas.csv": "code\n420502\n"}, "areas.csv", 1, MSG_MISSING_COLUMNS, {"columns": "name、cityCode"},
         id="missing-two-columns"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市\n"}, "cities.csv", 2, MSG_FIELD_COUNT,
         {"expected": 3, "found": 2}, id="too-few-fields"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,42,多余\n"}, "cities.csv", 2, MSG_FIELD_COUNT,
         {"expected": 3, "found": 4}, id="too-many-fields"),
    case({"cities.csv": b""}, "cities.csv", 1, MSG_EMPTY, None, id="empty-file"),
    case({"cities.csv": "\n\n"}, "cities.csv", 1, MSG_EMPTY, None, id="blank-lines-only"),
    case({"cities.csv": CITY_HEADER + "4205,宜昌市,42\n\n4201 ,武汉市,42\n42x1,坏码市,42\n"}, "cities.csv", 5,
         MSG_BAD_CODE, {"code": "42x1", "n": 4}, id="line-numbers-count-blank-lines"),
]


@pytest.mark.parametrize(("files", "expected"), MALFORMED)
def test_malformed_file_is_rejected_whole_with_file_line_and_reason(db, tmp_path, files, expected):
    file, line, msg, params = expected
    reason = str(msg % params) if params else str(msg)
    write_files(tmp_path, {"provinces.csv": PROVINCES, **files})
    audit_before = AuditEvent.objects.count()

    with pytest.raises(DivisionFileError) as info:
        load_dir(tmp_path)

    error = info.value
    assert error.code == "division_file_invalid"
    assert error.detail == [{"file": file, "line": line, "reason": reason}]
    first = RowError(file, line, reason)
    assert error.message == str(MSG_SUMMARY % {"count": 1, "first": str(first)})
    assert f"{file} 第 {line} 行：{reason}" in error.message
    # All or nothing: the valid provinces.csv (and valid lines beside the bad one) were not written either.
    assert Division.objects.count() == 0
    assert AuditEvent.objects.count() == audit_before


def test_malformed_file_leaves_existing_tree_untouched(tree, tmp_path):
    before = table()
    write_files(tmp_path, {"provinces.csv": "code,name\n42,湖北（改名）\n43,湖南省\n",
                           "cities.csv": CITY_HEADER + "4301,长沙市,43\n4399,坏市,44\n"})

    with pytest.raises(DivisionFileError):
        load_dir(tmp_path)

    assert table() == before


def test_every_problem_is_listed_in_file_order_then_missing_parents(db, tmp_path):
    write_files(tmp_path, {
        "provinces.csv": PROVINCES,
        "cities.csv": CITY_HEADER + "4205,宜昌市,42\n4301,长沙市,43\n4x,坏,42\n",
        "areas.csv": AREA_HEADER + "420502,西陵区,4205\n420502,西陵区,4205\n420602,襄城区,4206\n",
        "streets.csv": STREET_HEADER.encode("utf-8") + "420502001,街道,420502\n".encode("gbk"),
    })

    with pytest.raises(DivisionFileError) as info:
        load_dir(tmp_path)

    expected = [
        ("cities.csv", 4, str(MSG_BAD_CODE % {"code": "4x", "n": 4})),
        ("areas.csv", 3, str(MSG_DUPLICATE % {"code": "420502", "first": 2})),
        ("streets.csv", 1, str(MSG_GBK)),
        ("cities.csv", 3, str(MSG_MISSING_PARENT % {"parent": "43"})),
        ("areas.csv", 4, str(MSG_MISSING_PARENT % {"parent": "4206"})),
    ]
    assert info.value.detail == [{"file": f, "line": ln, "reason": r} for f, ln, r in expected]
    assert info.value.message == str(MSG_SUMMARY % {"count": 5, "first": str(RowError(*expected[0]))})
    assert Division.objects.count() == 0


def test_error_list_is_capped_but_the_count_is_not(db, tmp_path):
    bad = "".join(f"9{i:03d},坏,42\n" for i in range(MAX_REPORTED_ERRORS + 50))
    write_files(tmp_path, {"provinces.csv": PROVINCES, "cities.csv": CITY_HEADER + bad})

    with pytest.raises(DivisionFileError) as info:
        load_dir(tmp_path)

    assert len(info.value.detail) == MAX_REPORTED_ERRORS
    assert info.value.detail[-1]["line"] == MAX_REPORTED_ERRORS + 1
    assert info.value.message.startswith(str(MSG_SUMMARY % {"count": MAX_REPORTED_ERRORS + 50, "first": ""}))


def test_directory_without_division_files_is_rejected(db, tmp_path):
    (tmp_path / "readme.txt").write_text("nothing here")

    with pytest.raises(DivisionFileError) as info:
        read_division_dir(tmp_path)

    assert info.value.message == str(MSG_NO_FILES % {"dir": tmp_path})


@pytest.mark.parametrize("root", ["420", "42a5", "4205271", "全部"])
def test_bad_root_is_rejected_before_anything_is_written(db, tmp_path, root):
    write_files(tmp_path, {"provinces.csv": PROVINCES})

    with pytest.raises(DivisionFileError) as info:
        load_dir(tmp_path, root=root)

    assert info.value.message == str(MSG_BAD_ROOT % {"root": root})
    assert Division.objects.count() == 0


# --- the vendor fast path (COPY / executemany) and the portable twin (bulk_create) -------------------


def _write_in_rolled_back_transaction(writer, rounds) -> list[tuple]:
    with transaction.atomic():
        for new, changed in rounds:
            writer(new, changed)
        result = table()
        transaction.set_rollback(True)
    return result


def test_fast_path_and_portable_twin_write_identical_tables(db, real_rows):
    subset = sorted((r for r in real_rows if r[0].startswith("4205") or r[0] == "420000000000"), key=lambda r: (r[2], r[0]))
    first, later = [r for r in subset if r[2] < Level.VILLAGE], [r for r in subset if r[2] == Level.VILLAGE]
    renamed = [(c, f"{n}（改）", lv, p) for c, n, lv, p in first[::7]]
    renamed_back = first[::7]
    rounds = [(first, []), (later, renamed), ([], renamed_back), ([("420502001999", "新村", 5, "420502001000")], [])]

    fast = _write_in_rolled_back_transaction(write_divisions, rounds)
    assert Division.objects.count() == 0
    portable = _write_in_rolled_back_transaction(write_divisions_portable, rounds)

    assert fast == portable
    assert fast == sorted([*subset, ("420502001999", "新村", 5, "420502001000")])


def test_fast_path_handles_nulls_quotes_and_commas_in_names(db):
    rows = [("420000000000", '湖北,"省"\t\\', 1, None), ("420500000000", "宜昌市\n新", 2, "420000000000")]
    changed = [("420000000000", "湖北省 ", 1, None)]

    fast = _write_in_rolled_back_transaction(write_divisions, [(rows, []), ([], changed)])
    portable = _write_in_rolled_back_transaction(write_divisions_portable, [(rows, []), ([], changed)])

    assert fast == portable == [("420000000000", "湖北省 ", 1, None), ("420500000000", "宜昌市\n新", 2, "420000000000")]


def test_a_user_may_not_add_or_rename_divisions_outside_their_entry_scope(tree, make_user):
    """The operator (actor=None) loads anything; a 系统管理员 only inside their entry scope, all or nothing."""
    from anju.divisions.services import MSG_OUT_OF_SCOPE

    sysadmin = make_user("sysadmin", "429921")
    before = Division.objects.count()
    rows = [
        ("429921000000", "白云县", 3, "429900000000"),
        ("429921999000", "新设镇", 4, "429921000000"),   # inside: allowed
        ("429900000000", "改名市", 2, "420000000000"),   # the city itself: outside the county's scope
        ("429922999000", "邻县新镇", 4, "429922000000"),  # a neighbouring county: outside
    ]
    with pytest.raises(DivisionFileError) as caught:
        divisions_load(actor=sysadmin, rows=rows)
    assert caught.value.message == str(MSG_OUT_OF_SCOPE % {"count": 2, "codes": "4299、429922999", "scope": "429921"})
    assert [d["code"] for d in caught.value.detail] == ["429900000000", "429922999000"]
    assert Division.objects.count() == before
    assert Division.objects.get(code="429900000000").name == "清江市"
    report = divisions_load(actor=sysadmin, rows=[rows[0], rows[1]])
    assert (report.inserted, report.unchanged) == (1, 1)


def test_names_longer_than_the_column_are_rejected_with_the_line(tmp_path):
    from anju.divisions.services import MSG_NAME_TOO_LONG, NAME_MAX_LENGTH

    (tmp_path / "provinces.csv").write_text(f"code,name\n42,{'长' * (NAME_MAX_LENGTH + 1)}\n", encoding="utf-8")
    with pytest.raises(DivisionFileError) as caught:
        read_division_dir(tmp_path)
    assert caught.value.detail == [{"file": "provinces.csv", "line": 2, "reason": str(MSG_NAME_TOO_LONG % {"n": NAME_MAX_LENGTH})}]
