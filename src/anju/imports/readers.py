"""Read a spreadsheet or CSV file as a table of a known template: find the header, map the columns, stream the rows.

`read_table(source, spec=...)` opens the file, picks the sheet and header row and maps each column to a field of
the spec; `Table.rows()` then streams `RowData` (values aligned with `Table.fields`). File-level problems raise
`ImportFileError` (a `ValidationFailed`) with one of the codes below; cell-level checks are the caller's, with
the parsers of `anju.imports.values`.

Rules, in the order they apply:

* File type by extension, checked against the content: `.csv` (also `.txt`) is text; `.xlsx`/`.xlsm`/`.ods` must be
  a zip and `.xls` an OLE2 file (or a zip: a renamed xlsx). A file without a name is sniffed. Size above
  `MAX_FILE_BYTES` → `file_too_large`. A zip is checked before it is opened (`check_zip`): more than
  `MAX_ZIP_ENTRIES` entries or more than `MAX_ZIP_UNCOMPRESSED_BYTES` declared uncompressed bytes → `zip_bomb`;
  an entry that inflates to more than it declares (CRC/size mismatch) → `file_type`.
* CSV encoding: UTF-16 with a BOM; otherwise the whole file must decode as UTF-8 (BOM optional), else as GB18030
  (what Excel "CSV" writes on a Chinese Windows, a superset of GBK); otherwise `file_encoding`. The check streams
  the bytes once (about 1 GB/s) and keeps nothing. Delimiter: comma, or tab when the first line has more tabs.
* Sheet: the first worksheet whose header maps every required field; if none does, the one mapping most fields
  decides the error (`missing_columns`, or `no_header` when no column maps at all).
* Header row: among the first `HEADER_SCAN_ROWS` rows, the row mapping the most distinct fields (ties: the
  earlier row). A two-row header (a merged parent such as “银行信息” over “开户银行|银行账号”, or “姓名” merged down
  over two rows) is tried as well: each column takes the lower row's text, or the upper row's where the lower
  cell is empty; it wins only when it maps more fields than either row alone. The header row reported is the lower.
* Mapping: by the field's label, its built-in aliases, then users' aliases (`HeaderAlias` rows of the template),
  all compared after `spec.normalise_header` (with and without parenthesised notes). Two columns mapping one
  field → `duplicate_column`; columns mapping nothing are listed in `Table.unknown_headers` and ignored.
* Rows after the header: a row whose cells are all empty is skipped and counted as "blank"; a row whose first
  non-empty cell (normalised, at most `TOTAL_CELL_MAX` characters) contains 合计, 小计 or 总计 is skipped and
  counted as "total" — wherever it stands, since per-village subtotals appear mid-sheet. Nothing else is skipped.
* Vertically merged cells below the header (a household number or address merged over its members' rows)
  give their value to every row of the merge; `RowData.raw` keeps the cells as stored.
* Values: CSV cells are stripped strings; spreadsheet cells keep calamine's types (str stripped, float, int, bool,
  date, datetime, time). Empty cells and absent columns give None. Numbers are never turned into text, so the
  caller can tell an ID typed as a number (its last digits already lost) from one typed as text.
"""

from __future__ import annotations

import codecs
import csv
import io
import os
import re
import zipfile
import zlib
from collections.abc import Callable, Iterator
from itertools import islice
from operator import itemgetter
from pathlib import Path
from typing import BinaryIO

from django.utils.translation import gettext_lazy

from anju.core.exceptions import ValidationFailed, join_list
from anju.imports.spec import TableSpec, builtin_lookup, header_keys, normalise_header

Progress = Callable[[int, str], None]

MAX_FILE_BYTES = 1024 * 1024 * 1024  # 1 GiB: a 1,000,000-row roster CSV is about 200 MB
MAX_ZIP_UNCOMPRESSED_BYTES = 1024 * 1024 * 1024  # a full 1,048,576-row xlsx sheet of 20 columns is ~800 MB of XML
MAX_ZIP_ENTRIES = 2000
HEADER_SCAN_ROWS = 30
TOTAL_WORDS = ("合计", "小计", "总计")
TOTAL_CELL_MAX = 12
PROGRESS_EVERY = 50_000
CSV_FIELD_LIMIT = 1024 * 1024
# A row needs its cells stripped only if it holds whitespace at all (checked once on the joined row).
_NEEDS_STRIP = re.compile(r"[\s\u3000\xa0\ufeff]").search

EXCEL_EXTENSIONS = {".xlsx", ".xlsm", ".xls", ".ods", ".xlsb"}
CSV_EXTENSIONS = {".csv", ".txt"}
ZIP_MAGIC = b"PK\x03\x04"
OLE_MAGIC = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"

MSG_FILE_TYPE = gettext_lazy("不支持的文件类型“%(name)s”：请上传 .xlsx、.xls、.xlsm、.ods 或 .csv 文件")
MSG_FILE_CONTENT = gettext_lazy("文件“%(name)s”的内容与扩展名不符、已损坏或已加密，无法读取")
MSG_FILE_ENCODING = gettext_lazy("无法识别文件“%(name)s”的编码：请用 Excel 另存为“CSV UTF-8”或 GBK 编码的 CSV 后重新上传")
MSG_FILE_EMPTY = gettext_lazy("文件“%(name)s”中没有内容")
MSG_FILE_TOO_LARGE = gettext_lazy("文件过大（%(size)s），上限为 %(limit)s")
MSG_ZIP_BOMB = gettext_lazy("文件解压后过大或部件过多（解压后 %(size)s、%(count)s 个部件；上限 %(limit)s、%(max_count)s 个），已拒绝读取")
MSG_NO_HEADER = gettext_lazy("在前 %(n)s 行中找不到“%(title)s”的表头：没有一列的列名能对应模板的列（如 %(examples)s）")
MSG_MISSING_COLUMNS = gettext_lazy("工作表“%(sheet)s”缺少必需的列：%(columns)s（识别到的表头在第 %(row)s 行）")
MSG_DUPLICATE_COLUMN = gettext_lazy("工作表“%(sheet)s”中“%(first)s”和“%(second)s”两列都对应“%(label)s”，请删除或改名其中一列")
MSG_CSV_BROKEN = gettext_lazy("CSV 文件第 %(row)s 行格式有误：%(reason)s")
MSG_PROGRESS = gettext_lazy("已读取 %(n)s 行")


class ImportFileError(ValidationFailed):
    """The file as a whole cannot be read as the template (codes: see the module docstring)."""

    code = "import_file"


def _size_text(n: int) -> str:
    if n >= 1024 * 1024 * 1024:
        return f"{n / 1024 / 1024 / 1024:.1f} GB"
    if n >= 1024 * 1024:
        return f"{n / 1024 / 1024:.1f} MB"
    return f"{max(1, n // 1024)} KB"


class RowData:
    """One data row: where it is (sheet, 1-based row number as the spreadsheet shows it), mapped values, raw cells."""

    __slots__ = ("sheet", "number", "values", "raw")

    def __init__(self, sheet: str, number: int, values: tuple, raw: tuple):
        self.sheet = sheet
        self.number = number
        self.values = values
        self.raw = raw

    def __repr__(self) -> str:
        return f"RowData({self.sheet!r}, {self.number}, {self.values!r})"


# --- header detection ------------------------------------------------------------------------------------

def _cell_text(value) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value).strip()


def _map_header(texts: list[str], lookup: dict[str, str]) -> list[str | None]:
    out = []
    for t in texts:
        field = None
        for key in header_keys(t):
            field = lookup.get(key)
            if field:
                break
        out.append(field)
    return out


class _Candidate:
    __slots__ = ("index", "texts", "mapped", "score", "covers", "two_row")

    def __init__(self, index: int, texts: list[str], mapped: list[str | None], required: set[str], two_row: bool):
        self.index, self.texts, self.mapped, self.two_row = index, texts, mapped, two_row
        fields = {f for f in mapped if f}
        self.score = len(fields)
        self.covers = required <= fields

    def key(self):
        # Required coverage first, then most fields; ties: the earlier row, a one-row header over a two-row one.
        return (self.covers, self.score, -self.index, not self.two_row)


def _best_header(rows: list[list], lookup: dict[str, str], required: set[str]) -> _Candidate | None:
    best = None
    prev: list[str] | None = None
    for i, row in enumerate(rows):
        texts = [_cell_text(c) for c in row]
        candidates = [_Candidate(i, texts, _map_header(texts, lookup), required, False)]
        if prev is not None and any(prev):
            width = max(len(texts), len(prev))
            merged = [(texts[j] if j < len(texts) else "") or (prev[j] if j < len(prev) else "") for j in range(width)]
            if merged != texts:
                two = _Candidate(i, merged, _map_header(merged, lookup), required, True)
                if two.score > candidates[0].score:
                    candidates.append(two)
        for c in candidates:
            if c.score and (best is None or c.key() > best.key()):
                best = c
        prev = texts
    return best


def _lookup_for(spec: TableSpec, aliases: list[tuple[str, str]] | None = None) -> dict[str, str]:
    lookup = builtin_lookup(spec)
    names = set(spec.field_names)
    for key, field in (_user_aliases(spec.template) if aliases is None else aliases):
        if field in names:
            for k in header_keys(key):
                lookup.setdefault(k, field)
    return lookup


def user_aliases(template: str) -> list[tuple[str, str]]:
    """Users' header aliases of a template, to hand to `read_table(aliases=...)` where the database is out of reach."""
    return _user_aliases(template)


def _user_aliases(template: str) -> list[tuple[str, str]]:
    from anju.imports.models import HeaderAlias

    return list(HeaderAlias.objects.filter(template=template).values_list("alias", "field"))


# --- the table -------------------------------------------------------------------------------------------

class Table:
    """A mapped table. `rows()` streams its data rows; it may be called again to read them again."""

    def __init__(self, *, spec: TableSpec, sheet: str, header_row: int, headers: list[str], mapped: list[str | None],
                 opener: Callable[[], tuple[Iterator[list], Callable[[], int], Callable[[], None]]], kind: str, encoding: str = "",
                 progress: Progress | None = None):
        self.spec = spec
        self.sheet = sheet
        self.header_row = header_row  # 1-based, the (lower) header row
        self.headers = headers
        self.fields = spec.field_names
        self.kind = kind  # "csv" or "excel"
        self.encoding = encoding
        self.columns: dict[str, str] = {}
        self._index: dict[str, int] = {}
        for i, field in enumerate(mapped):
            if field:
                self.columns[field] = headers[i]
                self._index[field] = i
        self.unknown_headers = [h for h, f in zip(headers, mapped, strict=True) if h and not f]
        self.skipped = {"blank": 0, "total": 0}
        self._opener = opener
        self._progress = progress
        self._merges: dict[int, list[tuple[int, int, int]]] = {}

    def _set_merges(self, ranges, first_col: int) -> None:
        """Vertical merges below the header (absolute 0-based coordinates from calamine)."""
        for (r0, c0), (r1, c1) in ranges or ():
            if r1 > r0 and r0 >= self.header_row:
                self._merges.setdefault(r0, []).append((c0 - first_col, c1 - first_col, r1))

    def column_label(self, field: str) -> str:
        """The header text to name a field by in messages: as in the file, else the template label."""
        return self.columns.get(field) or self.spec.field(field).label

    def column_index(self, field: str) -> int | None:
        return self._index.get(field)

    def rows(self) -> Iterator[RowData]:
        """Data rows after the header, blank and total rows skipped (and counted in `skipped`).

        A CSV record the csv module cannot parse (e.g. a cell over `CSV_FIELD_LIMIT`) raises `ImportFileError`
        (code `file_type`, detail {"row": n}) when the iteration reaches it.
        """
        self.skipped.update(blank=0, total=0)
        records, percent, close = self._opener()
        try:
            if self.kind == "csv":
                yield from self._csv_rows(records, percent)
            else:
                yield from self._excel_rows(records, percent)
        finally:
            close()

    def _getter(self):
        # Absent fields read index -1: each record gets a None appended at the end.
        idx = [self._index.get(f, -1) for f in self.fields]
        if len(idx) == 1:
            only = idx[0]
            return lambda rec: (rec[only],)
        return itemgetter(*idx)

    def _csv_rows(self, records, percent) -> Iterator[RowData]:
        width = len(self.headers)
        getter = self._getter()
        sheet, skipped, progress = self.sheet, self.skipped, self._progress
        pad = [""] * width
        needs_strip = _NEEDS_STRIP
        number = self.header_row
        try:
            for rec in islice(records, self.header_row, None):
                number += 1
                joined = "".join(rec)
                if not joined or joined.isspace():
                    skipped["blank"] += 1
                    continue
                if "计" in joined and _is_total(rec):
                    skipped["total"] += 1
                    continue
                raw = tuple(rec)
                n = len(rec)
                if n < width:
                    rec.extend(pad[n:])
                rec.append(None)  # what absent fields read
                if needs_strip(joined):
                    values = tuple([(v.strip() or None) if v else None for v in getter(rec)])
                else:
                    values = getter(rec)
                    if "" in values:
                        values = tuple([v or None for v in values])
                yield RowData(sheet, number, values, raw)
                if progress is not None and number % PROGRESS_EVERY == 0:
                    progress(percent(), str(MSG_PROGRESS % {"n": number - self.header_row}))
        except csv.Error as exc:
            raise ImportFileError(MSG_CSV_BROKEN % {"row": number + 1, "reason": exc}, code="file_type",
                                  detail={"row": number + 1}) from exc

    def _excel_rows(self, records, percent) -> Iterator[RowData]:
        width = len(self.headers)
        getter = self._getter()
        sheet, skipped, progress = self.sheet, self.skipped, self._progress
        merges = self._merges  # start row (0-based) -> [(first col, last col, last row)], offsets within the row
        active: list[tuple[int, int, int, object]] = []
        number = self.header_row
        for rec in islice(records, self.header_row, None):
            number += 1
            cells = [(c.strip() or None) if isinstance(c, str) else c for c in rec]
            n = len(cells)
            if n < width:
                cells.extend([None] * (width - n))
            if merges:
                cells = self._fill_merged(number - 1, cells, merges, active)
            first = next((c for c in cells if c is not None), None)
            if first is None:
                skipped["blank"] += 1
                continue
            if isinstance(first, str) and "计" in first and _is_total_text(first):
                skipped["total"] += 1
                continue
            cells.append(None)
            yield RowData(sheet, number, getter(cells), tuple(rec))
            if progress is not None and number % PROGRESS_EVERY == 0:
                progress(percent(), str(MSG_PROGRESS % {"n": number - self.header_row}))

    @staticmethod
    def _fill_merged(row: int, cells: list, merges: dict, active: list) -> list:
        """Vertically merged data cells (a household number over its members' rows): every row gets the value."""
        if active:
            active[:] = [a for a in active if a[2] >= row]
        for c0, c1, r1 in merges.get(row, ()):
            if c0 < len(cells):
                active.append((c0, c1, r1, cells[c0]))
        for c0, c1, _r1, value in active:
            for c in range(c0, min(c1 + 1, len(cells))):
                if cells[c] is None:
                    cells[c] = value
        return cells


def _is_total_text(text: str) -> bool:
    if len(text) > TOTAL_CELL_MAX * 2:
        return False
    norm = normalise_header(text)
    return len(norm) <= TOTAL_CELL_MAX and any(w in norm for w in TOTAL_WORDS)


def _is_total(rec: list[str]) -> bool:
    for cell in rec:
        if cell and not cell.isspace():
            return _is_total_text(cell.strip())
    return False


# --- opening files ---------------------------------------------------------------------------------------

class _Source:
    """The bytes to read: a path, or a seekable binary file object (never closed here)."""

    def __init__(self, source, filename: str | None):
        self.path: Path | None = None
        self.fileobj: BinaryIO | None = None
        if isinstance(source, str | os.PathLike):
            self.path = Path(source)
            self.name = filename or self.path.name
        else:
            self.fileobj = source
            self.name = filename or os.path.basename(str(getattr(source, "name", "") or ""))
        self.ext = os.path.splitext(self.name)[1].lower()

    def open(self) -> BinaryIO:
        if self.path is not None:
            return open(self.path, "rb")
        self.fileobj.seek(0)
        return self.fileobj

    def close(self, f) -> None:
        if self.path is not None:
            f.close()

    def size(self) -> int:
        if self.path is not None:
            return self.path.stat().st_size
        pos = self.fileobj.seek(0, io.SEEK_END)
        self.fileobj.seek(0)
        return pos

    def head(self, n: int = 8) -> bytes:
        f = self.open()
        try:
            return f.read(n)
        finally:
            self.close(f)


def _kind(src: _Source, head: bytes) -> str:
    is_zip, is_ole = head.startswith(ZIP_MAGIC), head.startswith(OLE_MAGIC)
    if src.ext in EXCEL_EXTENSIONS:
        if is_zip or (is_ole and src.ext in (".xls", ".xlsb")):
            return "zip" if is_zip else "ole"
        raise ImportFileError(MSG_FILE_CONTENT % {"name": src.name}, code="file_type", detail={"file": src.name})
    if src.ext in CSV_EXTENSIONS:
        if is_zip or is_ole:
            raise ImportFileError(MSG_FILE_CONTENT % {"name": src.name}, code="file_type", detail={"file": src.name})
        return "csv"
    if not src.ext:
        return "zip" if is_zip else ("ole" if is_ole else "csv")
    raise ImportFileError(MSG_FILE_TYPE % {"name": src.name}, code="file_type", detail={"file": src.name})


def check_zip(src_or_file, name: str = "") -> None:
    """Refuse a zip whose entries would expand beyond the limits, before calamine parses any XML.

    The declared sizes (entry count, total uncompressed bytes) are checked first; then every entry is inflated
    once in 1 MB chunks and thrown away, which Python's zipfile bounds by the declared size and checks against
    the CRC, so an entry lying about its size is refused too (about 0.2 s per 100 MB of XML).
    """
    try:
        with zipfile.ZipFile(src_or_file) as zf:
            infos = zf.infolist()
            total = sum(i.file_size for i in infos)
            if len(infos) > MAX_ZIP_ENTRIES or total > MAX_ZIP_UNCOMPRESSED_BYTES:
                raise ImportFileError(MSG_ZIP_BOMB % {
                    "size": _size_text(total), "count": len(infos), "limit": _size_text(MAX_ZIP_UNCOMPRESSED_BYTES),
                    "max_count": MAX_ZIP_ENTRIES,
                }, code="zip_bomb", detail={"uncompressed": total, "entries": len(infos)})
            for info in infos:
                with zf.open(info) as entry:
                    while entry.read(1 << 20):
                        pass
    except ImportFileError:
        raise
    except (zipfile.BadZipFile, zlib.error, OSError, ValueError, RuntimeError, NotImplementedError, EOFError) as exc:
        raise ImportFileError(MSG_FILE_CONTENT % {"name": name}, code="file_type", detail={"file": name}) from exc


def _detect_encoding(f: BinaryIO, name: str) -> str:
    head = f.read(4)
    f.seek(0)
    if head.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        return "utf-16"
    for encoding in ("utf-8-sig", "gb18030"):
        decoder = codecs.getincrementaldecoder(encoding)("strict")
        f.seek(0)
        try:
            while chunk := f.read(1 << 20):
                decoder.decode(chunk)
            decoder.decode(b"", final=True)
        except UnicodeDecodeError:
            continue
        finally:
            f.seek(0)
        return encoding
    raise ImportFileError(MSG_FILE_ENCODING % {"name": name}, code="file_encoding", detail={"file": name})


def _csv_opener(src: _Source, encoding: str, delimiter: str, size: int):
    def opener():
        raw = src.open()
        text = io.TextIOWrapper(raw, encoding=encoding, newline="")

        def percent() -> int:
            try:
                return min(99, raw.tell() * 100 // max(1, size))
            except (OSError, ValueError):
                return 0

        def close() -> None:
            text.detach()
            src.close(raw)

        return csv.reader(text, delimiter=delimiter), percent, close

    return opener


def _read_csv(src: _Source, spec: TableSpec, lookup, required, size: int, progress) -> Table:
    csv.field_size_limit(CSV_FIELD_LIMIT)
    f = src.open()
    try:
        encoding = _detect_encoding(f, src.name)
        text = io.TextIOWrapper(f, encoding=encoding, newline="")
        try:
            first = text.readline()
            text.seek(0)
            delimiter = "\t" if first.count("\t") > first.count(",") else ","
            head: list[list[str]] = []
            try:
                for rec in csv.reader(text, delimiter=delimiter):
                    head.append(rec)
                    if len(head) >= HEADER_SCAN_ROWS:
                        break
            except csv.Error:
                pass  # a malformed record: rows() reports it with its row number
        finally:
            text.detach()
    finally:
        src.close(f)
    if not any(any(c.strip() for c in r) for r in head):
        raise ImportFileError(MSG_FILE_EMPTY % {"name": src.name}, code="file_empty", detail={"file": src.name})
    sheet = src.name or "CSV"
    best = _best_header(head, lookup, required)
    _check_header(spec, [(sheet, best)])
    return Table(spec=spec, sheet=sheet, header_row=best.index + 1, headers=best.texts, mapped=best.mapped,
                 opener=_csv_opener(src, encoding, delimiter, size), kind="csv", encoding=encoding, progress=progress)


def _read_excel(src: _Source, spec: TableSpec, lookup, required, progress) -> Table:
    from python_calamine import CalamineWorkbook, SheetTypeEnum

    f = src.open()
    try:
        if src.path is not None:
            workbook = CalamineWorkbook.from_path(str(src.path))
        else:
            workbook = CalamineWorkbook.from_filelike(f)
    except Exception as exc:  # calamine raises CalamineError, ZipError, XmlError, PasswordError, ...
        raise ImportFileError(MSG_FILE_CONTENT % {"name": src.name}, code="file_type", detail={"file": src.name}) from exc
    finally:
        src.close(f)
    found: list[tuple[str, _Candidate | None]] = []
    chosen = None
    any_cells = False
    try:
        for index, meta in enumerate(workbook.sheets_metadata):
            if meta.typ != SheetTypeEnum.WorkSheet:
                continue
            sheet = workbook.get_sheet_by_index(index)
            if sheet.start is None:
                continue
            any_cells = True
            head = list(islice(sheet.iter_rows(), HEADER_SCAN_ROWS))
            best = _best_header(head, lookup, required)
            found.append((meta.name, best))
            if best is not None and best.covers:
                chosen = (sheet, best)
                break
    except ImportFileError:
        raise
    except Exception as exc:
        raise ImportFileError(MSG_FILE_CONTENT % {"name": src.name}, code="file_type", detail={"file": src.name}) from exc
    if not any_cells:
        raise ImportFileError(MSG_FILE_EMPTY % {"name": src.name}, code="file_empty", detail={"file": src.name})
    if chosen is None:
        _check_header(spec, found)
    sheet, best = chosen
    _check_header(spec, [(sheet.name, best)])
    height = max(1, sheet.height)

    def opener():
        counter = {"n": 0}

        def records():
            for row in sheet.iter_rows():
                counter["n"] += 1
                yield row

        return records(), (lambda: min(99, counter["n"] * 100 // height)), (lambda: None)

    table = Table(spec=spec, sheet=sheet.name, header_row=best.index + 1, headers=best.texts, mapped=best.mapped,
                  opener=opener, kind="excel", progress=progress)
    ranges = getattr(sheet, "merged_cell_ranges", None)  # None where the format does not report merges
    if ranges:
        table._set_merges(ranges, sheet.start[1])
    return table


def _check_header(spec: TableSpec, found: list[tuple[str, _Candidate | None]]) -> None:
    """Raise the file-level error for the best candidate: no header, missing required columns, duplicates."""
    scored = [(s, c) for s, c in found if c is not None]
    if not scored:
        examples = join_list(f.label for f in spec.fields[:3])
        raise ImportFileError(MSG_NO_HEADER % {"n": HEADER_SCAN_ROWS, "title": spec.title, "examples": examples}, code="no_header",
                              detail={"sheets": [s for s, _c in found]})
    sheet, best = max(scored, key=lambda sc: sc[1].key())
    labels = {f.name: f.label for f in spec.fields}
    if not best.covers:
        present = {f for f in best.mapped if f}
        missing = [f.label for f in spec.fields if f.required and f.name not in present]
        raise ImportFileError(MSG_MISSING_COLUMNS % {"sheet": sheet, "columns": join_list(missing), "row": best.index + 1},
                              code="missing_columns", detail={"sheet": sheet, "row": best.index + 1, "columns": missing})
    seen: dict[str, str] = {}
    for text, field in zip(best.texts, best.mapped, strict=True):
        if not field:
            continue
        if field in seen:
            raise ImportFileError(MSG_DUPLICATE_COLUMN % {"sheet": sheet, "first": seen[field], "second": text, "label": labels[field]},
                                  code="duplicate_column", detail={"sheet": sheet, "field": field, "columns": [seen[field], text]})
        seen[field] = text


def read_table(source: str | Path | BinaryIO, *, spec: TableSpec, filename: str | None = None,
               progress: Progress | None = None, aliases: list[tuple[str, str]] | None = None) -> Table:
    """Open `source` (a path or a seekable binary file) as a table of `spec`; see the module docstring.

    `aliases` replaces the users' header aliases read from the database (a worker process passes them in).
    """
    src = _Source(source, filename)
    size = src.size()
    if size > MAX_FILE_BYTES:
        raise ImportFileError(MSG_FILE_TOO_LARGE % {"size": _size_text(size), "limit": _size_text(MAX_FILE_BYTES)},
                              code="file_too_large", detail={"size": size, "limit": MAX_FILE_BYTES})
    if size == 0:
        raise ImportFileError(MSG_FILE_EMPTY % {"name": src.name}, code="file_empty", detail={"file": src.name})
    kind = _kind(src, src.head())
    lookup = _lookup_for(spec, aliases)
    required = {f.name for f in spec.fields if f.required}
    if kind == "csv":
        return _read_csv(src, spec, lookup, required, size, progress)
    if kind == "zip":
        f = src.open()
        try:
            check_zip(f, src.name)
        finally:
            src.close(f)
    return _read_excel(src, spec, lookup, required, progress)

