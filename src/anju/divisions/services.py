"""Loading divisions from NBS-style CSV files: validate everything, then write all or nothing."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from pathlib import Path

from django.db import connection, transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from anju.core.access import code_prefix_q
from anju.core.audit import audit_record
from anju.core.exceptions import ValidationFailed, describe_problem, join_list
from anju.divisions.codes import full_code, prefix_of
from anju.divisions.models import PREFIX_LENGTH, Division, Level

Progress = Callable[[int, str], None]


@dataclass(frozen=True)
class FileSpec:
    name: str
    level: Level
    parent_column: str | None
    columns: tuple[str, ...]


FILE_SPECS = (
    FileSpec("provinces.csv", Level.PROVINCE, None, ("code", "name")),
    FileSpec("cities.csv", Level.CITY, "provinceCode", ("code", "name", "provinceCode")),
    FileSpec("areas.csv", Level.COUNTY, "cityCode", ("code", "name", "cityCode")),
    FileSpec("streets.csv", Level.TOWNSHIP, "areaCode", ("code", "name", "areaCode")),
    FileSpec("villages.csv", Level.VILLAGE, "streetCode", ("code", "name", "streetCode")),
)

MSG_NO_FILES = gettext_lazy("目录 %(dir)s 中没有区划文件（应为 provinces.csv、cities.csv、areas.csv、streets.csv、villages.csv 之一或多个）")
MSG_GBK = gettext_lazy("文件是 GBK/GB18030 编码，请用 UTF-8 编码另存后重新导入")
MSG_NOT_UTF8 = gettext_lazy("文件不是 UTF-8 编码，无法读取")
MSG_EMPTY = gettext_lazy("文件为空")
MSG_MISSING_COLUMNS = gettext_lazy("表头缺少列：%(columns)s")
MSG_BAD_CODE = gettext_lazy("区划代码“%(code)s”应为 %(n)s 位数字")
MSG_EMPTY_NAME = gettext_lazy("名称为空")
MSG_BAD_PARENT = gettext_lazy("上级代码“%(parent)s”与区划代码“%(code)s”的前 %(n)s 位不一致")
MSG_DUPLICATE = gettext_lazy("区划代码 %(code)s 重复（第 %(first)s 行已出现）")
MSG_MISSING_PARENT = gettext_lazy("上级区划 %(parent)s 不存在（既不在本次文件中，也不在数据库中）")
MSG_FIELD_COUNT = gettext_lazy("列数不对：表头 %(expected)s 列，此行 %(found)s 列")
MSG_BAD_ROOT = gettext_lazy("--root 应为 2、4、6、9 或 12 位区划代码，收到“%(root)s”")
MSG_OUT_OF_SCOPE = gettext_lazy("有 %(count)s 个区划不在您的录入范围（%(scope)s）内，未写入任何数据：%(codes)s。请只导入本辖区（可填写“只导入此区划及其下级”）")
MSG_OUT_OF_SCOPE_ROW = gettext_lazy("不在您的录入范围内")
MSG_NAME_TOO_LONG = gettext_lazy("名称超过 %(n)s 个字符")
MSG_SUMMARY = gettext_lazy("区划文件有 %(count)s 处错误，未写入任何数据。第一处：%(first)s")
MAX_REPORTED_ERRORS = 200
NAME_MAX_LENGTH = Division._meta.get_field("name").max_length


@dataclass(frozen=True)
class RowError:
    file: str
    line: int
    reason: str

    def as_dict(self) -> dict:
        return {"file": self.file, "line": self.line, "reason": self.reason}

    def __str__(self) -> str:
        return describe_problem(self.as_dict())


@dataclass
class LoadReport:
    read: int = 0
    inserted: int = 0
    updated: int = 0
    unchanged: int = 0
    per_level: dict[int, int] = field(default_factory=dict)

    def as_dict(self) -> dict:
        return {
            "read": self.read, "inserted": self.inserted, "updated": self.updated,
            "unchanged": self.unchanged, "per_level": {str(k): v for k, v in self.per_level.items()},
        }


class DivisionFileError(ValidationFailed):
    code = "division_file_invalid"


def _decode(data: bytes) -> str:
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        try:
            data.decode("gb18030")
        except UnicodeDecodeError:
            raise ValueError(str(MSG_NOT_UTF8)) from exc
        raise ValueError(str(MSG_GBK)) from exc


Row = tuple[str, str, int, str | None]  # code, name, level, parent code (all full 12-digit)


def parse_division_file(spec: FileSpec, data: bytes, errors: list[RowError]) -> list[tuple[int, Row]]:
    """Parse one file into (line, row) pairs, appending every problem found to `errors`."""
    try:
        text = _decode(data)
    except ValueError as exc:
        errors.append(RowError(spec.name, 1, str(exc)))
        return []
    reader = csv.reader(io.StringIO(text, newline=""))
    header = next(reader, None)
    if not header:
        errors.append(RowError(spec.name, 1, str(MSG_EMPTY)))
        return []
    header = [h.strip() for h in header]
    missing = [c for c in spec.columns if c not in header]
    if missing:
        errors.append(RowError(spec.name, 1, str(MSG_MISSING_COLUMNS % {"columns": join_list(missing)})))
        return []
    i_code, i_name = header.index("code"), header.index("name")
    i_parent = header.index(spec.parent_column) if spec.parent_column else None
    n = PREFIX_LENGTH[spec.level]
    parent_n = PREFIX_LENGTH[Level(spec.level - 1)] if spec.parent_column else 0
    seen: dict[str, int] = {}
    rows: list[tuple[int, Row]] = []
    for line_no, record in enumerate(reader, start=2):
        if not record or (len(record) == 1 and not record[0].strip()):
            continue
        if len(record) != len(header):
            errors.append(RowError(spec.name, line_no, str(MSG_FIELD_COUNT % {"expected": len(header), "found": len(record)})))
            continue
        code = record[i_code].strip()
        name = record[i_name].strip()
        if len(code) != n or not code.isascii() or not code.isdigit():
            errors.append(RowError(spec.name, line_no, str(MSG_BAD_CODE % {"code": code, "n": n})))
            continue
        if not name:
            errors.append(RowError(spec.name, line_no, str(MSG_EMPTY_NAME)))
            continue
        if len(name) > NAME_MAX_LENGTH:
            errors.append(RowError(spec.name, line_no, str(MSG_NAME_TOO_LONG % {"n": NAME_MAX_LENGTH})))
            continue
        parent = None
        if i_parent is not None:
            parent = record[i_parent].strip()
            if parent != code[:parent_n]:
                errors.append(RowError(spec.name, line_no, str(MSG_BAD_PARENT % {"parent": parent, "code": code, "n": parent_n})))
                continue
            parent = parent.ljust(12, "0")
        if code in seen:
            errors.append(RowError(spec.name, line_no, str(MSG_DUPLICATE % {"code": code, "first": seen[code]})))
            continue
        seen[code] = line_no
        if parent is not None and code.ljust(12, "0") == parent:
            # NBS repeats a city without counties (东莞 4419) as county 441900 and a county without townships
            # (金门 350527) as township 350527000; the 12-digit code is the parent's, so the parent stands for it.
            continue
        rows.append((line_no, (code.ljust(12, "0"), name, int(spec.level), parent)))
    return rows


def read_division_dir(directory: Path | str, *, root: str | None = None, progress: Progress | None = None) -> list[Row]:
    """Read and validate every NBS file present in `directory`; raise DivisionFileError listing all problems."""
    directory = Path(directory)
    files = {spec.name: directory / spec.name for spec in FILE_SPECS if (directory / spec.name).is_file()}
    if not files:
        raise DivisionFileError(MSG_NO_FILES % {"dir": directory})
    return read_division_files({name: path.read_bytes() for name, path in files.items()}, root=root, progress=progress)


def read_division_files(contents: dict[str, bytes], *, root: str | None = None, progress: Progress | None = None) -> list[Row]:
    """Validate files given by name (provinces.csv ...) and return the rows under `root` plus its ancestors."""
    root_prefix = None
    if root:
        try:
            root_prefix = prefix_of(full_code(root))
        except ValueError:
            raise DivisionFileError(MSG_BAD_ROOT % {"root": root}) from None
    errors: list[RowError] = []
    parsed: list[tuple[FileSpec, list[tuple[int, Row]]]] = []
    specs = [s for s in FILE_SPECS if s.name in contents]
    if not specs:
        raise DivisionFileError(MSG_NO_FILES % {"dir": ", ".join(contents)})
    for i, spec in enumerate(specs):
        parsed.append((spec, parse_division_file(spec, contents[spec.name], errors)))
        if progress:
            progress(5 + 35 * (i + 1) // len(specs), _("已读取 %(file)s") % {"file": spec.name})
    known = {row[0] for _spec, rows in parsed for _line, row in rows}
    wanted_parents = {row[3] for _spec, rows in parsed for _line, row in rows if row[3] and row[3] not in known}
    wanted = sorted(wanted_parents)
    for i in range(0, len(wanted), 900):  # stay under SQLite's bound-parameter limit
        known |= set(Division.objects.filter(code__in=wanted[i : i + 900]).values_list("code", flat=True))
    for spec, rows in parsed:
        for line, row in rows:
            if row[3] and row[3] not in known:
                errors.append(RowError(spec.name, line, str(MSG_MISSING_PARENT % {"parent": prefix_of(row[3])})))
    if errors:
        first = str(errors[0])
        raise DivisionFileError(
            MSG_SUMMARY % {"count": len(errors), "first": first},
            detail=[e.as_dict() for e in errors[:MAX_REPORTED_ERRORS]],
        )
    rows = [row for _spec, rs in parsed for _line, row in rs]
    if root_prefix:
        rows = [r for r in rows if r[0].startswith(root_prefix) or root_prefix.startswith(r[0][: PREFIX_LENGTH[Level(r[2])]])]
    return rows


def divisions_load(*, actor, rows: Iterable[Row], source: str = "", progress: Progress | None = None) -> LoadReport:
    """Insert new divisions and update changed names/parents, in one transaction with one audit event.

    Trusts `rows` to be validated (read_division_* does that). Divisions absent from `rows` are kept.
    """
    rows = sorted(rows, key=lambda r: (r[2], r[0]))
    report = LoadReport(read=len(rows))
    for r in rows:
        report.per_level[r[2]] = report.per_level.get(r[2], 0) + 1
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cur:
                cur.execute("LOCK TABLE divisions_division IN SHARE ROW EXCLUSIVE MODE")
        existing = _existing(rows)
        new = [r for r in rows if r[0] not in existing]
        changed = [r for r in rows if r[0] in existing and existing[r[0]] != r[1:]]
        if actor is not None:
            _check_in_entry_scope(actor, new + changed)
        report.inserted, report.updated = len(new), len(changed)
        report.unchanged = len(rows) - len(new) - len(changed)
        if progress:
            progress(50, _("写入 %(n)s 条新区划，更新 %(m)s 条") % {"n": len(new), "m": len(changed)})
        write_divisions(new, changed)
        audit_record(
            actor=actor, action="divisions.loaded", object_type="division",
            division_code=_common_root(rows), after={**report.as_dict(), "source": source},
        )
    if progress:
        progress(100, _("完成"))
    return report


def _check_in_entry_scope(actor, rows: list[Row]) -> None:
    """A web/API user may add or rename divisions only inside their entry scope; ancestors may be listed unchanged."""
    prefix = actor.entry_prefix
    outside = sorted(r[0] for r in rows if not r[0].startswith(prefix))
    if outside:
        shown = join_list(prefix_of(code) for code in outside[:10])
        raise DivisionFileError(
            MSG_OUT_OF_SCOPE % {"count": len(outside), "codes": shown, "scope": prefix},
            detail=[{"code": code, "reason": str(MSG_OUT_OF_SCOPE_ROW)} for code in outside[:MAX_REPORTED_ERRORS]],
        )


def _existing(rows: list[Row]) -> dict[str, tuple[str, int, str | None]]:
    if not rows:
        return {}
    prefixes = {r[0][:2] for r in rows}
    existing: dict[str, tuple[str, int, str | None]] = {}
    for p in prefixes:
        rows_in_db = Division.objects.filter(code_prefix_q("code", p)).values_list("code", "name", "level", "parent_id")
        for code, name, level, parent in rows_in_db.iterator(chunk_size=20000):
            existing[code] = (name, level, parent)
    return existing


def _common_root(rows: list[Row]) -> str:
    if not rows:
        return ""
    top = min(rows, key=lambda r: r[2])
    return top[0]


def write_divisions(new: list[Row], changed: list[Row]) -> None:
    """Vendor fast path: COPY on PostgreSQL, executemany on SQLite (same contract as the portable twin)."""
    if connection.vendor == "postgresql":
        _write_postgresql(new, changed)
    elif connection.vendor == "sqlite":
        _write_sqlite(new, changed)
    else:
        write_divisions_portable(new, changed)


def write_divisions_portable(new: list[Row], changed: list[Row]) -> None:
    Division.objects.bulk_create([Division(code=c, name=n, level=lv, parent_id=p) for c, n, lv, p in new], batch_size=2000)
    Division.objects.bulk_update(
        [Division(code=c, name=n, level=lv, parent_id=p) for c, n, lv, p in changed], ["name", "level", "parent"], batch_size=2000
    )


def _write_sqlite(new: list[Row], changed: list[Row]) -> None:
    with connection.cursor() as cur:
        if new:
            cur.executemany("INSERT INTO divisions_division (code, name, level, parent_id) VALUES (%s, %s, %s, %s)", new)
        if changed:
            cur.executemany(
                "UPDATE divisions_division SET name = %s, level = %s, parent_id = %s WHERE code = %s",
                [(n, lv, p, c) for c, n, lv, p in changed],
            )


def _write_postgresql(new: list[Row], changed: list[Row]) -> None:
    with connection.cursor() as cur:
        raw = cur.cursor
        if new:
            with raw.copy("COPY divisions_division (code, name, level, parent_id) FROM STDIN") as copy:
                for row in new:
                    copy.write_row(row)
        if changed:
            # A caller's outer transaction may already hold the table from an earlier load (ON COMMIT DROP).
            raw.execute("DROP TABLE IF EXISTS anju_division_changes")
            raw.execute("CREATE TEMP TABLE anju_division_changes (code varchar(12), name varchar(100), level smallint, parent_id varchar(12)) ON COMMIT DROP")
            with raw.copy("COPY anju_division_changes (code, name, level, parent_id) FROM STDIN") as copy:
                for row in changed:
                    copy.write_row(row)
            raw.execute(
                "UPDATE divisions_division d SET name = c.name, level = c.level, parent_id = c.parent_id "
                "FROM anju_division_changes c WHERE d.code = c.code"
            )
