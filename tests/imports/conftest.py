"""Fixtures for the import engine: spreadsheet and CSV writers in tmp_path."""

from __future__ import annotations

import pytest
import xlsxwriter

from tests.imports.specs import HEADER, TEST_SPEC


@pytest.fixture
def spec():
    return TEST_SPEC


@pytest.fixture
def header():
    return list(HEADER)


@pytest.fixture
def write_csv(tmp_path):
    """write_csv(rows, encoding="utf-8", name="roster.csv") -> path; rows are lists of cells (or raw lines as str)."""
    import csv
    import io

    def _write(rows, encoding="utf-8", name="roster.csv"):
        buf = io.StringIO(newline="")
        writer = csv.writer(buf, lineterminator="\r\n")
        for row in rows:
            if isinstance(row, str):
                buf.write(row + "\r\n")
            else:
                writer.writerow(row)
        path = tmp_path / name
        path.write_bytes(buf.getvalue().encode(encoding))
        return path

    return _write


@pytest.fixture
def write_xlsx(tmp_path):
    """write_xlsx({sheet: rows}, name=..., build=callable(workbook, {sheet: worksheet})) -> path.

    Rows are lists written from column A at row 1; None leaves a cell empty.
    """

    def _write(sheets, name="roster.xlsx", build=None):
        path = tmp_path / name
        wb = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
        date_fmt = wb.add_format({"num_format": "yyyy-mm-dd"})
        worksheets = {}
        for sheet, rows in sheets.items():
            ws = wb.add_worksheet(sheet)
            worksheets[sheet] = ws
            for r, row in enumerate(rows):
                for c, value in enumerate(row):
                    if value is None:
                        continue
                    if hasattr(value, "year"):
                        ws.write_datetime(r, c, value, date_fmt)
                    else:
                        ws.write(r, c, value)
        if build:
            build(wb, worksheets)
        wb.close()
        return path

    return _write
