"""`anju relocation` commands: dashboards. `ledger` writes a 台账 (.xlsx), `report` the 情况报告 (.docx) — both run as a job
inline with a progress bar — and `map` the map of sites (.svg). Every file is audited."""

from __future__ import annotations

import json
import sys

import click

from anju.cli import ProgressBar, _echo_error, django_command

DATE = click.DateTime(formats=["%Y-%m-%d"])


def register(group) -> None:
    group.add_command(ledger_cmd)
    group.add_command(report_cmd)
    group.add_command(map_cmd)


def _today():
    from django.utils import timezone

    return timezone.localdate()


def _run_inline(actor, kind: str, params: dict, out: str, label: str, as_json: bool):
    import os
    import shutil
    from pathlib import Path

    from django.conf import settings

    from anju.core.jobs import job_create_inline, job_execute

    job = job_create_inline(actor=actor, kind=kind, params=params, division_code=params["scope"].ljust(12, "0"))
    bar = None if as_json else ProgressBar(label)
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
    return job, path


@click.command("ledger")
@click.option("--kind", type=click.Choice(["sites", "support", "monitoring"]), required=True,
              help="sites 安置点台账、support 后续扶持台账、monitoring 监测对象台账")
@click.option("--scope", default="", help="范围（区划代码前缀，如 4299、429921）；默认为本人查看范围")
@click.option("--as-of", "as_of", type=DATE, default=None, help="统计日期，如 2026-06-30；默认今天")
@click.option("--unmasked", is_flag=True, help="导出完整身份证号（需查看完整身份证号权限，单独留痕）")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出文件（.xlsx）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围导出（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def ledger_cmd(kind, scope, as_of, unmasked, out, username, as_json):
    """导出易地扶贫搬迁台账（Excel）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.jobs_dashboards import LEDGER
    from anju.relocation.reports_ledgers import ledger_check

    actor = cli_actor(username)
    params = ledger_check(actor=actor, kind=kind, as_of=as_of.date() if as_of else _today(), scope=scope, unmasked=unmasked)
    job, path = _run_inline(actor, LEDGER, params, out, _("生成台账"), as_json)
    if as_json:
        click.echo(json.dumps({"job": str(job.pk), "path": path, **job.result}, ensure_ascii=False))
    else:
        click.echo(_("已生成台账：%(path)s（%(n)s 字节）") % {"path": path, "n": job.result["bytes"]})


@click.command("report")
@click.option("--scope", default="", help="范围（市或县的区划代码前缀）；默认为本人查看范围")
@click.option("--as-of", "as_of", type=DATE, default=None, help="统计日期，如 2026-06-30；默认今天")
@click.option("--doc-number", default="", help="文号，如 清搬办〔2026〕12号")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出文件（.docx）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围生成（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def report_cmd(scope, as_of, doc_number, out, username, as_json):
    """生成易地扶贫搬迁后续扶持情况报告（Word）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.jobs_dashboards import REPORT
    from anju.relocation.reports_situation import report_check

    actor = cli_actor(username)
    params = report_check(actor=actor, as_of=as_of.date() if as_of else _today(), scope=scope, doc_number=doc_number)
    job, path = _run_inline(actor, REPORT, params, out, _("生成情况报告"), as_json)
    if as_json:
        click.echo(json.dumps({"job": str(job.pk), "path": path, **job.result}, ensure_ascii=False))
    else:
        click.echo(_("已生成情况报告：%(path)s（%(n)s 字节）") % {"path": path, "n": job.result["bytes"]})


@click.command("map")
@click.option("--scope", default="", help="范围（区划代码前缀）；默认为本人查看范围")
@click.option("--as-of", "as_of", type=DATE, default=None, help="统计日期（就业率、户数），默认今天")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出文件（.svg）")
@click.option("--as", "username", required=True, help="以此账号的角色与范围生成（留痕）")
@django_command
def map_cmd(scope, as_of, out, username):
    """绘制安置点分布图（SVG，无需联网）。"""
    import os

    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.maps import map_export

    svg, _name = map_export(actor=cli_actor(username), as_of=as_of.date() if as_of else _today(), scope=scope)
    path = os.path.abspath(out)
    with open(path, "w", encoding="utf-8") as fh:
        fh.write(svg)
    click.echo(_("已生成安置点分布图：%(path)s") % {"path": path})
