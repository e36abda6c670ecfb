"""`anju relocation metrics`: the follow-up metrics on a day per site, township, county or city, as JSON or a printed table.

JSON: a list with one object per group: `code` (the site's code, "" for households at no site; a 12-digit division code
otherwise), `name`, `households`, `persons`, `labour_households`, `labour_households_employed`, `employment_rate` (a
fraction, unrounded; null when there is no labour household), `monitored_households`, and also `employed_persons`,
`employed_by_kind`, `monitored_by_category`, `income_year`, `per_capita_income_fen`, `welfare_households`,
`welfare_coverage`.
"""

from __future__ import annotations

import json

import click

from anju.cli import django_command

JSON_KEYS = ("code", "name", "households", "persons", "labour_households", "labour_households_employed", "employment_rate",
             "monitored_households", "employed_persons", "employed_by_kind", "monitored_by_category", "income_year", "income_households",
             "per_capita_income_fen", "welfare_households", "welfare_coverage")


def register(group) -> None:
    group.add_command(metrics_cmd)


def row_json(row: dict) -> dict:
    return {k: row[k] for k in JSON_KEYS}


@click.command("metrics")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="统计日期，如 2026-06-30")
@click.option("--scope", default="", help="范围（区划代码，如 4299、429921）；默认为本人查看范围")
@click.option("--by", type=click.Choice(["site", "township", "county", "city"]), default="county", show_default=True, help="分组方式")
@click.option("--income-year", type=int, default=None, help="收入年度（默认统计日上一年）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表（比率为小数）")
@django_command
def metrics_cmd(as_of, scope, by, income_year, username, as_json):
    """易地扶贫搬迁后续扶持指标：户数、人数、有劳动力户、至少1人就业、收入、低保、监测户。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation import reports_metrics as rm
    from anju.relocation.selectors_metrics import GROUPING_LABELS, metrics_scope, metrics_total, relocation_metrics

    actor = cli_actor(username)
    rows = relocation_metrics(actor=actor, as_of=as_of.date(), scope=scope or None, by=by, income_year=income_year)
    if as_json:
        click.echo(json.dumps([row_json(r) for r in rows], ensure_ascii=False))
        return
    _prefix, scope_name = metrics_scope(actor, scope or None)
    total = metrics_total(rows)
    click.echo(_("%(scope)s 截至 %(date)s 后续扶持指标（%(by)s，收入年度 %(year)s）") % {
        "scope": scope_name, "date": as_of.date().isoformat(), "by": GROUPING_LABELS[by], "year": total["income_year"]})
    cols = rm.columns()
    click.echo("\t".join([_("代码"), _("名称")] + [label for _k, label, _t in cols]))
    for r in [*rows, total]:
        click.echo("\t".join([r["code"], r["name"]] + [rm.cell_text(r, key, kind) for key, _l, kind in cols]))
