"""Roster files for import tests: synthetic rows of the demo tree written as CSV or xlsx."""

from __future__ import annotations

import csv
from pathlib import Path

import xlsxwriter

from anju.divisions.models import Division, Level
from anju.registry.models import Program
from anju.registry.roster import SPECS
from anju.registry.synthetic import Village, relocation_rows, reservoir_rows

from .factories import make_reservoir


def villages(county: str = "429921") -> list[Village]:
    names = dict(Division.objects.filter(code__startswith=county).values_list("code", "name"))
    codes = Division.objects.filter(code__startswith=county, level=Level.VILLAGE).order_by("code").values_list("code", flat=True)[:8]
    return [Village(names[code[:6].ljust(12, "0")], names[code[:9].ljust(12, "0")], names[code], code) for code in codes]


def reservoir_sample(n: int = 30, *, county: str = "429921", seed: int = 7) -> list[list[str]]:
    make_reservoir(code=f"R{county}", name="白云水库", county=county.ljust(12, "0"))
    return list(reservoir_rows(seed=seed, n_persons=n, villages=villages(county), reservoirs={county: ["白云水库"]}))


def relocation_sample(n: int = 20, *, county: str = "429921", seed: int = 8) -> list[list[str]]:
    from anju.relocation.models import Site

    Site.objects.get_or_create(code=f"S{county}", defaults={"name": "幸福小区", "division_code": county.ljust(12, "0"), "placement": "concentrated",
                                                           "area_type": "urban", "capacity": 500})
    return list(relocation_rows(seed=seed, n_persons=n, villages=villages(county), sites={county: ["幸福小区"]}))


def headers(program: str = Program.RESERVOIR) -> list[str]:
    return [f.label for f in SPECS[program].fields]


def write_csv(path: Path, rows: list[list], *, program: str = Program.RESERVOIR, encoding: str = "utf-8", header: list[str] | None = None,
              title: str | None = None) -> Path:
    with open(path, "w", newline="", encoding=encoding) as fh:
        out = csv.writer(fh)
        if title:
            out.writerow([title])
        out.writerow(header or headers(program))
        out.writerows(rows)
    return path


def write_xlsx(path: Path, rows: list[list], *, program: str = Program.RESERVOIR, header: list[str] | None = None, title: str | None = None,
               numeric_ids: bool = False) -> Path:
    workbook = xlsxwriter.Workbook(str(path))
    sheet = workbook.add_worksheet("花名册")
    r = 0
    if title:
        sheet.merge_range(0, 0, 0, 8, title)
        r = 1
    for c, h in enumerate(header or headers(program)):
        sheet.write_string(r, c, h)
    id_col = (header or headers(program)).index("身份证号")
    for row in rows:
        r += 1
        for c, value in enumerate(row):
            if numeric_ids and c == id_col and str(value).isdigit():
                sheet.write_number(r, c, float(value))
            else:
                sheet.write_string(r, c, str(value))
    workbook.close()
    return path
