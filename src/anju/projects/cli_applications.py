"""`anju projects plan|guideline|application …`: five-year plans and their execution report, the yearly guidelines, and
applications (check against the guideline, submit, review, score, decide) from the command line."""

from __future__ import annotations

import json
import os

import click

from anju.cli import django_command


def register(group: click.Group) -> None:
    group.add_command(plan_group)
    group.add_command(guideline_group)
    group.add_command(application_group)


def _echo(data, as_json: bool, text: str) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, default=str) if as_json else text)


# --- plans ----------------------------------------------------------------------------------------------------

@click.group("plan")
def plan_group() -> None:
    """五年规划：列表、执行情况报表。"""


def _plan_json(p) -> dict:
    from anju.projects.money import yuan_text

    return {"id": p.pk, "name": p.name, "start_year": p.start_year, "end_year": p.end_year, "division_code": p.division_code,
            "division_name": getattr(p, "division_name", ""), "state": p.state, "target_projects": getattr(p, "target_projects", 0),
            "target_investment": yuan_text(getattr(p, "target_investment", 0) or 0), "projects": getattr(p, "project_count", 0)}


@plan_group.command("list")
@click.option("--state", type=click.Choice(["draft", "published", "closed"]), default=None)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def plan_list_cmd(state, username, as_json):
    """列出本辖区（及上级已印发）的五年规划。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.money import wan_text
    from anju.projects.selectors_plans import plan_annotate, plan_list

    for p in plan_annotate(plan_list(actor=cli_actor(username), state=state or "")):
        _echo(_plan_json(p), as_json, _("#%(id)s %(name)s（%(start)s—%(end)s，%(place)s）%(state)s：目标 %(n)s 个项目、%(money)s 万元，已纳入 %(m)s 个") % {
            "id": p.pk, "name": p.name, "start": p.start_year, "end": p.end_year, "place": p.division_name, "state": p.get_state_display(),
            "n": p.target_projects, "money": wan_text(p.target_investment), "m": p.project_count})


@plan_group.command("report")
@click.option("--plan", "plan_id", type=int, required=True, help="规划编号")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="统计截至日期（默认今天）")
@click.option("--as", "username", required=True, help="以此账号的范围统计")
@click.option("--out", "out", type=click.Path(dir_okay=False), default=None, help="输出的 Excel 文件（.xlsx）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def plan_report_cmd(plan_id, as_of, username, out, as_json):
    """规划执行情况：按县和类别的目标与完成（已立项项目数、已下达资金），可导出 Excel。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.money import wan_text
    from anju.projects.reports_applications import plan_execution_xlsx
    from anju.projects.selectors_plans import access_plan, plan_execution

    actor = cli_actor(username)
    plan = access_plan(actor, plan_id)
    report = plan_execution(actor=actor, plan=plan, as_of=as_of.date() if as_of else None)
    path = None
    if out:
        path = os.path.abspath(out)
        with open(path, "wb") as f:
            f.write(plan_execution_xlsx(report))
    if as_json:
        click.echo(json.dumps({"plan": plan.pk, "as_of": report.as_of.isoformat(), "rows": [r.as_dict() for r in report.rows],
                               "total": report.total.as_dict(), "path": path}, ensure_ascii=False))
        return
    for block in report.counties:
        for r in block.rows:
            click.echo(f"{block.county_name}\t{r.category_name}\t{r.projects}/{r.target_projects}\t{wan_text(r.investment)}/{wan_text(r.target_investment)}")
    t = report.total
    click.echo(_("合计：已立项 %(n)s / 目标 %(tn)s 个；已下达 %(m)s / 目标 %(tm)s 万元") % {
        "n": t.projects, "tn": t.target_projects, "m": wan_text(t.investment), "tm": wan_text(t.target_investment)})
    if path:
        click.echo(_("已导出：%(path)s") % {"path": path})


# --- guidelines -----------------------------------------------------------------------------------------------

@click.group("guideline")
def guideline_group() -> None:
    """年度申报指南：列表、查看、发布。"""


def _guideline_json(g) -> dict:
    from anju.projects.money import yuan_text

    return {"id": g.pk, "year": g.year, "title": g.title, "doc_number": g.doc_number, "division_code": g.division_code, "state": g.state,
            "categories": g.categories, "programs": g.programs,
            "min_investment": None if g.min_investment is None else yuan_text(g.min_investment),
            "max_investment": None if g.max_investment is None else yuan_text(g.max_investment),
            "required_documents": g.required_documents, "min_beneficiaries": g.min_beneficiaries, "conditions": g.conditions,
            "deadline": g.deadline.isoformat() if g.deadline else None, "applications": getattr(g, "application_count", None)}


def _guideline_text(g) -> str:
    from django.utils.translation import gettext as _

    from anju.projects.services.applications import bounds_text

    return _("#%(id)s %(year)s年 %(title)s（%(state)s）投资 %(bounds)s，截止 %(deadline)s") % {
        "id": g.pk, "year": g.year, "title": g.title, "state": g.get_state_display(), "bounds": bounds_text(g),
        "deadline": g.deadline.isoformat() if g.deadline else "—"}


@guideline_group.command("list")
@click.option("--year", type=int, default=None)
@click.option("--state", type=click.Choice(["draft", "published", "closed"]), default=None)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def guideline_list_cmd(year, state, username, as_json):
    """列出申报指南。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_applications import guideline_annotate, guideline_list

    for g in guideline_annotate(guideline_list(actor=cli_actor(username), year=year, state=state or "")):
        _echo(_guideline_json(g), as_json, _guideline_text(g))


@guideline_group.command("show")
@click.argument("guideline_id", type=int)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def guideline_show_cmd(guideline_id, username, as_json):
    """查看一份申报指南。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_applications import access_guideline, guideline_annotate

    g = guideline_annotate([access_guideline(cli_actor(username), guideline_id)])[0]
    _echo(_guideline_json(g), as_json, _guideline_text(g))


@guideline_group.command("publish")
@click.argument("guideline_id", type=int)
@click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def guideline_publish_cmd(guideline_id, username, as_json):
    """发布指南草稿（发布后不能修改）。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_applications import access_guideline
    from anju.projects.services.applications_guidelines import guideline_publish

    actor = cli_actor(username)
    g = guideline_publish(actor=actor, guideline=access_guideline(actor, guideline_id))
    _echo(_guideline_json(g), as_json, _guideline_text(g))


# --- applications ---------------------------------------------------------------------------------------------

@click.group("application")
def application_group() -> None:
    """项目申报：列表、对照指南检查、提交、开始评审、评分、批准、退回、未入选。"""


def _application_json(a) -> dict:
    from anju.projects.money import yuan_text

    return {"id": a.pk, "project": a.project.code, "project_name": a.project.name, "guideline": a.guideline_id, "year": a.guideline.year,
            "division_code": a.division_code, "state": a.state, "requested": yuan_text(a.requested),
            "requested_by_source": {k: yuan_text(v) for k, v in (a.requested_by_source or {}).items()},
            "score": None if a.score is None else f"{a.score:.2f}", "rank": a.rank, "reason": a.reason,
            "submitted_by": a.submitted_by.username if a.submitted_by_id else None,
            "decided_by": a.decided_by.username if a.decided_by_id else None}


def _application_text(a) -> str:
    from django.utils.translation import gettext as _

    from anju.projects.money import fen_text

    return _("#%(id)s %(code)s %(name)s（%(year)s年）%(state)s：申请 %(amount)s 元，得分 %(score)s，排名 %(rank)s") % {
        "id": a.pk, "code": a.project.code, "name": a.project.name, "year": a.guideline.year, "state": a.get_state_display(),
        "amount": fen_text(a.requested), "score": a.score if a.score is not None else "—", "rank": a.rank or "—"}


def _show(actor, application_id: int, as_json: bool) -> None:
    from anju.projects.selectors_applications import access_application

    a = access_application(actor, application_id)
    _echo(_application_json(a), as_json, _application_text(a))


@application_group.command("list")
@click.option("--year", type=int, default=None)
@click.option("--state", type=click.Choice(["draft", "submitted", "reviewing", "approved", "returned", "rejected"]), default=None)
@click.option("--county", default=None, help="区划代码前缀")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def application_list_cmd(year, state, county, username, as_json):
    """列出本辖区的项目申报。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_applications import application_list

    for a in application_list(actor=cli_actor(username), year=year, state=state or "", division=county or ""):
        _echo(_application_json(a), as_json, _application_text(a))


@application_group.command("check")
@click.argument("application_id", type=int)
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 数组")
@django_command
def application_check_cmd(application_id, username, as_json):
    """对照申报指南逐项检查（按项目当前情况）；有不符合项时退出码为 1。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_applications import access_application
    from anju.projects.services.applications import application_checks

    checks = application_checks(access_application(cli_actor(username), application_id))
    if as_json:
        click.echo(json.dumps(checks, ensure_ascii=False))
    else:
        for c in checks:
            click.echo(f"{'✓' if c['ok'] else '✗'} {c['label']}：{c['message']}")
        failing = sum(1 for c in checks if not c["ok"])
        click.echo(_("全部符合，可以提交") if not failing else _("%(n)s 项不符合") % {"n": failing})
    if any(not c["ok"] for c in checks):
        raise SystemExit(1)


def _transition(name: str, help_text: str, call, *, reason: bool = False, score: bool = False):
    """A command `application <name> ID --as U [--json]` that runs `call(actor, application, **options)`."""

    @click.argument("application_id", type=int)
    @click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
    @click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
    @django_command
    def command(application_id, username, as_json, **options):
        from anju.accounts.selectors import cli_actor
        from anju.projects.selectors_applications import access_application

        actor = cli_actor(username)
        call(actor, access_application(actor, application_id), **options)
        _show(actor, application_id, as_json)

    command.__doc__ = help_text
    if reason:
        command = click.option("--reason", required=True, help="理由")(command)
    if score:
        command = click.option("--comment", default="", help="评审意见")(command)
        command = click.option("--score", "score", required=True, help="评分 0–100，最多两位小数")(command)
    application_group.command(name)(command)


def _submit(actor, a):
    from anju.projects.services.applications import application_submit

    application_submit(actor=actor, application=a)


def _start_review(actor, a):
    from anju.projects.services.applications import application_review_start

    application_review_start(actor=actor, application=a)


def _score(actor, a, score, comment):
    from anju.projects.services.applications import application_score

    application_score(actor=actor, application=a, score=score, comment=comment)


def _approve(actor, a):
    from anju.projects.services.applications import application_approve

    application_approve(actor=actor, application=a)


def _return(actor, a, reason):
    from anju.projects.services.applications import application_return

    application_return(actor=actor, application=a, reason=reason)


def _reject(actor, a, reason):
    from anju.projects.services.applications import application_reject

    application_reject(actor=actor, application=a, reason=reason)


_transition("submit", "提交申报（对照指南全部符合时；项目 储备 → 申报）。", _submit)
_transition("start-review", "开始评审（项目 申报 → 评审）。", _start_review)
_transition("score", "评分（每位评审人一份，决定前可修改；提交人回避）。", _score, score=True)
_transition("approve", "批准立项（至少 2 位评审人评分；项目 评审 → 立项/下达）。", _approve)
_transition("return", "退回县级修改（项目回到储备库）。", _return, reason=True)
_transition("reject", "确定为未入选（项目回到储备库）。", _reject, reason=True)
