"""`anju projects archive status|package|upload` and `anju projects inspections list`: the project archive and the
rectification items from the command line."""

from __future__ import annotations

import datetime as dt
import json
import os
from pathlib import Path

import click

from anju.cli import django_command


def register(group: click.Group) -> None:
    group.add_command(archive_group)
    group.add_command(inspections_group)


def _pct(value) -> str:
    from anju.projects.selectors_inspections import percent_text

    return percent_text(value)


@click.group("archive")
def archive_group() -> None:
    """项目档案：完整率、档案包下载、上传材料。"""


@archive_group.command("status")
@click.argument("code", required=False)
@click.option("--scope", default=None, help="区划代码前缀：列出各县的档案完整率（不指定项目编码时）")
@click.option("--year", type=int, default=None, help="计划年度（与 --scope 一起使用）")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出 JSON")
@django_command
def status_cmd(code, scope, year, username, as_json):
    """一个项目的档案完整率与缺项（CODE），或各县的档案完整率（--scope）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import ValidationFailed
    from anju.projects import selectors_inspections as sel
    from anju.projects.models import Stage
    from anju.projects.selectors import access_project_by_code

    actor = cli_actor(username)
    if not code and scope is None:
        raise ValidationFailed(_("请指定项目编码，或用 --scope 指定区划"), code="code_or_scope")
    if code:
        st = sel.archive_status(actor=actor, project=access_project_by_code(actor, code))
        out = {"code": st.project.code, "stage": st.project.stage, "present_to_date": st.present_to_date,
               "required_to_date": st.required_to_date, "rate_to_date": str(st.rate_to_date), "present_overall": st.present_overall,
               "required_overall": st.required_overall, "rate_overall": str(st.rate_overall),
               "missing_to_date": [t.code for t in st.missing_to_date], "missing_overall": [t.code for t in st.missing_overall],
               "documents": len(st.documents)}
        if as_json:
            click.echo(json.dumps(out, ensure_ascii=False))
            return
        click.echo(_("%(code)s %(name)s（%(stage)s）：截至当前阶段 %(p1)s/%(r1)s（%(pct1)s），全部阶段 %(p2)s/%(r2)s（%(pct2)s），文件 %(n)s 个") % {
            "code": st.project.code, "name": st.project.name, "stage": Stage(st.project.stage).label, "p1": st.present_to_date,
            "r1": st.required_to_date, "pct1": _pct(st.rate_to_date), "p2": st.present_overall, "r2": st.required_overall,
            "pct2": _pct(st.rate_overall), "n": len(st.documents)})
        for t in st.missing_overall:
            flag = _("缺少") if t in st.missing_to_date else _("待上传")
            click.echo(f"  {flag}\t{Stage(t.stage).label}\t{t.code}\t{t.name}")
        return
    rows = sel.archive_completeness_by_county(actor=actor, division=scope or "", year=year)
    if as_json:
        click.echo(json.dumps([{"county_code": r.county_code, "county_name": r.county_name, "projects": r.projects,
                                "complete_to_date": r.complete_to_date, "complete_overall": r.complete_overall,
                                "average_to_date": None if r.average_to_date is None else str(r.average_to_date),
                                "average_overall": None if r.average_overall is None else str(r.average_overall)} for r in rows],
                              ensure_ascii=False))
        return
    for r in rows:
        name = r.county_name or _("合计")
        click.echo(f"{r.county_code[:6] or '-'}\t{name}\t{r.projects}\t{_pct(r.average_to_date)}\t{r.complete_to_date}\t"
                   f"{_pct(r.average_overall)}\t{r.complete_overall}")


@archive_group.command("package")
@click.argument("code")
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出的 zip 文件")
@click.option("--as", "username", required=True, help="以此账号的范围下载（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def package_cmd(code, out, username, as_json):
    """下载项目档案包：按阶段分文件夹的全部材料与档案目录.xlsx。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors import access_project_by_code
    from anju.projects.services.archives import archive_package_write

    actor = cli_actor(username)
    project = access_project_by_code(actor, code)
    path = os.path.abspath(out)
    partial = path + ".part"
    try:
        with open(partial, "wb") as f:
            summary = archive_package_write(actor=actor, project=project, out=f)
        os.replace(partial, path)
    finally:
        Path(partial).unlink(missing_ok=True)
    if as_json:
        click.echo(json.dumps({"code": project.code, "path": path, **summary}, ensure_ascii=False))
    else:
        click.echo(_("已导出档案包 %(path)s：文件 %(n)s 个，缺少必备材料 %(m)s 项") % {"path": path, "n": summary["files"],
                                                                                  "m": len(summary["missing"])})


@archive_group.command("upload")
@click.argument("code")
@click.argument("file", type=click.Path(exists=True, dir_okay=False))
@click.option("--type", "doc_type", default="", help="档案清单编码，如 feasibility；不填为其他材料")
@click.option("--title", default="", help="标题")
@click.option("--as", "username", required=True, help="以此账号上传（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def upload_cmd(code, file, doc_type, title, username, as_json):
    """把文件上传到项目档案（按内容检查类型，不超过 20 MB）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.core.exceptions import ValidationFailed
    from anju.core.uploads import MSG_UPLOAD_SIZE
    from anju.projects.selectors import access_project_by_code
    from anju.projects.services.archives import MAX_ARCHIVE_BYTES, document_upload

    actor = cli_actor(username)
    project = access_project_by_code(actor, code, kind="entry")
    name = os.path.basename(file)
    with open(file, "rb") as f:
        data = f.read(MAX_ARCHIVE_BYTES + 1)
    if len(data) > MAX_ARCHIVE_BYTES:
        raise ValidationFailed(MSG_UPLOAD_SIZE % {"name": name, "limit": MAX_ARCHIVE_BYTES // (1024 * 1024)}, code="upload_size")
    doc = document_upload(actor=actor, project=project, name=name, data=data, doc_type=doc_type, title=title)
    if as_json:
        click.echo(json.dumps({"document": doc.pk, "code": project.code, "doc_type": doc.doc_type.code if doc.doc_type_id else None,
                               "name": doc.original_name, "size": doc.size, "sha256": doc.sha256}, ensure_ascii=False))
    else:
        click.echo(_("已上传 %(name)s（%(size)s 字节，sha256 %(sha)s）") % {"name": doc.original_name, "size": doc.size, "sha": doc.sha256})


@click.group("inspections")
def inspections_group() -> None:
    """检查与整改事项。"""


@inspections_group.command("list")
@click.option("--overdue", is_flag=True, help="只列逾期未完成的整改事项")
@click.option("--state", type=click.Choice(["open", "closed"]), default=None, help="整改状态")
@click.option("--scope", default="", help="区划代码前缀")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def list_cmd(overdue, state, scope, username, as_json):
    """列出本辖区的整改事项（--overdue：逾期未完成的，逾期最久的在前）。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects import selectors_inspections as sel

    actor = cli_actor(username)
    today = dt.date.today()
    qs = sel.rectification_list(actor=actor, state=state or "", overdue=overdue, division=scope, today=today)
    for r in qs.iterator(chunk_size=500):
        days = sel.days_overdue(r, today)
        if as_json:
            click.echo(json.dumps({"id": r.pk, "project": r.project.code, "division_code": r.division_code, "source": r.source,
                                   "finding": r.finding, "owner": r.owner, "deadline": r.deadline.isoformat(), "state": r.state,
                                   "days_overdue": days, "closed_on": r.closed_on.isoformat() if r.closed_on else None}, ensure_ascii=False))
        else:
            click.echo(f"#{r.pk}\t{r.project.code}\t{r.get_source_display()}\t{r.deadline:%Y-%m-%d}\t{days}\t{r.get_state_display()}\t"
                       f"{r.owner}\t{r.finding[:40]}")
