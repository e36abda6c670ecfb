"""`anju projects rates` (the rate table, as JSON or a printed table) and `anju projects bulletin` (the 通报 file, rendered
inline as a job with a progress bar).

JSON: a list with one object per group (county by default): `county_code` (or `fund_source` / `program` with --by),
`name`, `projects`, `started`, `completed`, `allocated` and `paid` (元 as strings, "1234.50"), `start_rate`,
`completion_rate` and `payment_rate` (fractions as strings of the exact Decimal rounded to 4 places, "0.3500"; null when the
denominator is 0), `rank` and `level` ("red", "yellow" or "").
"""

from __future__ import annotations

import json
import os
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command

KEY_NAMES = {"county": "county_code", "fund_source": "fund_source", "program": "program"}


def register(group: click.Group) -> None:
    group.add_command(rates_cmd)
    group.add_command(bulletin_cmd)


def _rate(value) -> str | None:
    return None if value is None else str(value)


def row_json(row, by: str) -> dict:
    from anju.projects.money import yuan_text

    return {KEY_NAMES[by]: row.code, "name": row.name, "projects": row.projects, "started": row.started, "completed": row.completed,
            "allocated": yuan_text(row.allocated), "paid": yuan_text(row.paid), "start_rate": _rate(row.start_rate),
            "completion_rate": _rate(row.completion_rate), "payment_rate": _rate(row.payment_rate), "rank": row.rank, "level": row.level}


@click.command("rates")
@click.option("--year", type=int, required=True, help="统计年度")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="统计截止日期，如 2026-09-30")
@click.option("--scope", default="", help="范围（区划代码前缀，如 4299、429921）；默认为本人查看范围")
@click.option("--by", type=click.Choice(["county", "fund_source", "program"]), default="county", show_default=True, help="分组方式")
@click.option("--carried-over", is_flag=True, help="统计以前年度结转项目")
@click.option("--as", "username", required=True, help="以此账号的角色与范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON 列表（金额为元的字符串，比率为小数）")
@django_command
def rates_cmd(year, as_of, scope, by, carried_over, username, as_json):
    """项目开工率、完工率和资金支付率（按县、资金来源或项目类型）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.money import fen_text
    from anju.projects.selectors_rates import percent_text, project_rates

    table = project_rates(actor=cli_actor(username), year=year, as_of=as_of.date(), scope=scope, by=by, carried_over=carried_over)
    rows = table.ranked()
    if as_json:
        click.echo(json.dumps([row_json(r, by) for r in rows], ensure_ascii=False))
        return
    click.echo(_("%(scope)s %(year)s年度%(set)s，截至 %(date)s（%(by)s）") % {
        "scope": table.scope_name, "year": year, "set": table.set_label, "date": table.as_of.isoformat(), "by": table.by_label})
    headers = [_("排名"), _("名称"), _("项目数"), _("已开工"), _("开工率"), _("已完工"), _("完工率"), _("下达（元）"), _("已支付（元）"), _("支付率"),
               _("上年同期"), _("预警")]
    click.echo("\t".join(headers))
    for r in [*rows, table.total]:
        click.echo("\t".join([str(r.rank or "") if r is not table.total else "", r.name, str(r.projects), str(r.started),
                              percent_text(r.start_rate), str(r.completed), percent_text(r.completion_rate), fen_text(r.allocated),
                              fen_text(r.paid), percent_text(r.payment_rate), percent_text(r.last.payment_rate), r.level_label]))
    if table.target is not None:
        click.echo(_("序时进度目标：%(month)s月底资金支付率 %(target)s") % {"month": table.checkpoint.month, "target": percent_text(table.target)})


@click.command("bulletin")
@click.option("--year", type=int, required=True, help="统计年度")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), required=True, help="统计截止日期，如 2026-09-30")
@click.option("--scope", default="", help="范围（区划代码前缀）；默认为本人查看范围")
@click.option("--doc-number", default="", help="文号，如 清移办〔2026〕12号")
@click.option("--as", "username", required=True, help="以此账号的角色与范围生成（留痕）")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出文件：.xlsx、.docx 或 .pdf（按扩展名定格式）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def bulletin_cmd(year, as_of, scope, doc_number, username, out, as_json):
    """生成项目建设进度和资金支付情况通报（Excel、Word 或 PDF）。"""
    import shutil
    from pathlib import Path

    from django.conf import settings
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import ValidationFailed
    from anju.core.jobs import job_create_inline, job_execute
    from anju.projects.jobs_bulletin import KIND
    from anju.projects.reports_bulletin import MSG_FORMAT, bulletin_check

    actor = cli_actor(username)
    fmt = os.path.splitext(out)[1].lower().lstrip(".")
    if fmt not in ("xlsx", "docx", "pdf"):
        raise ValidationFailed(MSG_FORMAT, code="format_invalid", detail={"field": "out"})
    params = bulletin_check(actor=actor, year=year, as_of=as_of.date(), scope=scope, fmt=fmt, doc_number=doc_number)
    job = job_create_inline(actor=actor, kind=KIND, params=params, division_code=params["scope"].ljust(12, "0"))
    bar = None if as_json else ProgressBar(_("生成通报"))
    try:
        job = job_execute(job.pk, progress=bar)
    finally:
        if bar:
            bar.close()
    if job.state != "succeeded":
        _echo_error(job.error, (job.result or {}).get("detail"))
        sys.exit(2)
    path = os.path.abspath(out)
    shutil.copyfile(Path(settings.ANJU_GENERATED_DIR) / job.result_file, path)
    if as_json:
        click.echo(json.dumps({"job": str(job.pk), "path": path, **job.result}, ensure_ascii=False))
    else:
        click.echo(_("已生成通报：%(path)s（%(n)s 字节）") % {"path": path, "n": job.result["bytes"]})
