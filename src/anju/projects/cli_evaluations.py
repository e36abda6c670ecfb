"""`anju projects evaluation …`: performance evaluations (绩效评价) from the command line: list, start, show, score,
submit, review, send back, and the Word reports."""

from __future__ import annotations

import json
import os
from decimal import Decimal

import click

from anju.cli import django_command

AS_OPTION = click.option("--as", "username", required=True, help="以此账号的角色与范围执行（留痕）")
JSON_OPTION = click.option("--json", "as_json", is_flag=True, help="输出 JSON")
SCORE_OPTION = click.option("--score", "scores", multiple=True, metavar="CODE=VALUE", help="二级指标得分，可重复，如 --score output_quantity=14.5")
SCORES_JSON_OPTION = click.option("--scores-json", type=click.File("r", encoding="utf-8"), default=None,
                                  help="JSON 文件：{\"二级指标编码\": 得分, …}")


def register(group: click.Group) -> None:
    group.add_command(evaluation_group)


@click.group("evaluation")
def evaluation_group() -> None:
    """绩效评价：列表、开始、查看、自评打分、提交、复核、退回、评价报告。"""


def _text(value) -> str | None:
    return None if value is None else f"{value}"


def as_dict(e, *, detail: bool = False) -> dict:
    from anju.projects.models import Evaluation

    out = {"id": e.pk, "project": e.project.code, "project_name": e.project.name, "division_code": e.division_code, "year": e.year,
           "state": e.state, "template": e.template_id, "self_total": _text(e.self_total) if e.state != Evaluation.State.DRAFT else None,
           "review_total": _text(e.review_total), "grade": e.grade or None,
           "submitted_by": e.submitted_by.username if e.submitted_by_id else None,
           "reviewed_by": e.reviewed_by.username if e.reviewed_by_id else None}
    if detail:
        from anju.projects.selectors_evaluations import evaluation_budget

        money = evaluation_budget(e)
        out.update({"self_scores": e.self_scores, "self_comment": e.self_comment, "review_scores": e.review_scores,
                    "review_comment": e.review_comment, "project_stage": e.project.stage,
                    "suggestion": {k: f"{v}" for k, v in money.suggestion.items()},
                    "payment_rate": f"{money.rate.quantize(Decimal('0.0001'))}" if money.rate is not None else None})
    return out


def _print(e, as_json: bool) -> None:
    from django.utils.translation import gettext as _

    from anju.projects.selectors_evaluations import evaluation_budget, evaluation_rows

    if as_json:
        click.echo(json.dumps(as_dict(e, detail=True), ensure_ascii=False))
        return
    click.echo(_("绩效评价 #%(id)s：%(code)s %(name)s，%(year)s 年度，%(state)s") % {
        "id": e.pk, "code": e.project.code, "name": e.project.name, "year": e.year, "state": e.get_state_display()})
    for r in evaluation_rows(e, evaluation_budget(e)):
        hint = _("（建议 %(s)s）") % {"s": r.suggestion} if r.suggestion is not None and e.state == "draft" else ""
        mine = r.self_score if r.self_score is not None else "—"
        theirs = r.review_score if r.review_score is not None else "—"
        click.echo(f"  {r.code:<28} {r.name}（{r.weight.normalize():f}）  {_('自评')} {mine}  {_('复核')} {theirs}{hint}")
    if e.state != "draft":
        click.echo(_("自评总分 %(s)s") % {"s": e.self_total})
    if e.review_total is not None:
        click.echo(_("复核总分 %(r)s，等级 %(g)s") % {"r": e.review_total, "g": e.get_grade_display()})


def _scores(pairs, scores_file) -> dict:
    """Scores from repeated --score CODE=VALUE and/or a JSON file (numbers read as decimals, never floats)."""
    from django.utils.translation import gettext as _

    from anju.core.exceptions import ValidationFailed

    scores: dict = {}
    if scores_file is not None:
        try:
            data = json.load(scores_file, parse_float=Decimal)
        except (ValueError, UnicodeDecodeError):
            raise ValidationFailed(_("得分文件不是有效的 JSON"), code="scores_json") from None
        if not isinstance(data, dict):
            raise ValidationFailed(_("得分文件应为 JSON 对象：{\"二级指标编码\": 得分}"), code="scores_json")
        scores.update({str(k): v for k, v in data.items()})
    for pair in pairs:
        code, sep, value = pair.partition("=")
        if not sep or not code.strip():
            raise click.BadParameter(_("应写作 编码=得分，如 output_quantity=14.5：%(v)s") % {"v": pair}, param_hint="--score")
        scores[code.strip()] = value.strip()
    return scores


def _entry(actor, evaluation_id: int, perm):
    from anju.projects.selectors_evaluations import access_evaluation

    return access_evaluation(actor, evaluation_id, kind="entry", perm=perm)


@evaluation_group.command("list")
@click.option("--year", type=int, default=None, help="评价年度")
@click.option("--scope", default="", help="区划代码前缀（县 6 位等）")
@click.option("--state", type=click.Choice(["draft", "submitted", "reviewed"]), default=None)
@click.option("--grade", type=click.Choice(["excellent", "good", "fair", "poor"]), default=None)
@AS_OPTION
@JSON_OPTION
@django_command
def list_cmd(year, scope, state, grade, username, as_json):
    """列出本辖区的绩效评价（每行一项；--json 时每行一个 JSON 对象）。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_evaluations import evaluation_list

    for e in evaluation_list(actor=cli_actor(username), year=year, division=scope, state=state or "", grade=grade or ""):
        if as_json:
            click.echo(json.dumps(as_dict(e), ensure_ascii=False))
        else:
            total = e.review_total if e.review_total is not None else (e.self_total if e.state != "draft" else None)
            click.echo(f"#{e.pk}\t{e.year}\t{e.project.code}\t{e.project.name}\t{e.get_state_display()}\t{total if total is not None else '—'}"
                       f"\t{e.get_grade_display() or '—'}")


@evaluation_group.command("start")
@click.option("--project", "project_code", required=True, help="项目编码")
@click.option("--year", type=int, required=True, help="评价年度")
@click.option("--template", "template_id", type=int, default=None, help="指标模板 ID；不填为启用的最新模板")
@AS_OPTION
@JSON_OPTION
@django_command
def start_cmd(project_code, year, template_id, username, as_json):
    """开始项目的年度绩效评价（项目须已验收）。"""
    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors import access_project_by_code
    from anju.projects.selectors_evaluations import access_evaluation, access_template
    from anju.projects.services.evaluations import evaluation_start

    actor = cli_actor(username)
    project = access_project_by_code(actor, project_code, kind="entry", perm=Perm.PROJECT_EDIT)
    template = access_template(actor, template_id) if template_id else None
    e = evaluation_start(actor=actor, project=project, year=year, template=template)
    _print(access_evaluation(actor, e.pk), as_json)


@evaluation_group.command("show")
@click.argument("evaluation_id", type=int)
@AS_OPTION
@JSON_OPTION
@django_command
def show_cmd(evaluation_id, username, as_json):
    """查看一项绩效评价的逐项得分。"""
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_evaluations import access_evaluation

    _print(access_evaluation(cli_actor(username), evaluation_id), as_json)


@evaluation_group.command("score")
@click.argument("evaluation_id", type=int)
@SCORE_OPTION
@SCORES_JSON_OPTION
@click.option("--accept-suggestion", is_flag=True, help="预算执行率采用建议得分（资金支付率 × 分值）")
@click.option("--comment", default=None, help="自评说明")
@AS_OPTION
@JSON_OPTION
@django_command
def score_cmd(evaluation_id, scores, scores_json, accept_suggestion, comment, username, as_json):
    """填写或修改自评得分（只改给出的指标）。"""
    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_evaluations import access_evaluation, evaluation_budget
    from anju.projects.services.evaluations import evaluation_self_scores

    actor = cli_actor(username)
    e = _entry(actor, evaluation_id, Perm.PROJECT_EDIT)
    given = _scores(scores, scores_json)
    if accept_suggestion:
        given.update(evaluation_budget(e).suggestion)
    evaluation_self_scores(actor=actor, evaluation=e, scores=given, comment=comment)
    _print(access_evaluation(actor, evaluation_id), as_json)


@evaluation_group.command("submit")
@click.argument("evaluation_id", type=int)
@AS_OPTION
@JSON_OPTION
@django_command
def submit_cmd(evaluation_id, username, as_json):
    """提交自评（须逐项评分）。"""
    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_evaluations import access_evaluation
    from anju.projects.services.evaluations import evaluation_submit

    actor = cli_actor(username)
    evaluation_submit(actor=actor, evaluation=_entry(actor, evaluation_id, Perm.PROJECT_EDIT))
    _print(access_evaluation(actor, evaluation_id), as_json)


@evaluation_group.command("review")
@click.argument("evaluation_id", type=int)
@SCORE_OPTION
@SCORES_JSON_OPTION
@click.option("--comment", default="", help="复核意见")
@AS_OPTION
@JSON_OPTION
@django_command
def review_cmd(evaluation_id, scores, scores_json, comment, username, as_json):
    """市级复核：未给出的指标按自评得分；得出复核总分与等级。"""
    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_evaluations import access_evaluation
    from anju.projects.services.evaluations import evaluation_review

    actor = cli_actor(username)
    evaluation_review(actor=actor, evaluation=_entry(actor, evaluation_id, Perm.PROJECT_REVIEW), scores=_scores(scores, scores_json),
                      comment=comment)
    _print(access_evaluation(actor, evaluation_id), as_json)


@evaluation_group.command("send-back")
@click.argument("evaluation_id", type=int)
@click.option("--reason", required=True, help="退回理由")
@AS_OPTION
@JSON_OPTION
@django_command
def send_back_cmd(evaluation_id, reason, username, as_json):
    """退回县级修改自评。"""
    from anju.accounts.roles import Perm
    from anju.accounts.selectors import cli_actor
    from anju.projects.selectors_evaluations import access_evaluation
    from anju.projects.services.evaluations import evaluation_send_back

    actor = cli_actor(username)
    evaluation_send_back(actor=actor, evaluation=_entry(actor, evaluation_id, Perm.PROJECT_REVIEW), reason=reason)
    _print(access_evaluation(actor, evaluation_id), as_json)


@evaluation_group.command("report")
@click.option("--project", "project_code", default=None, help="项目编码：该项目的绩效评价报告")
@click.option("--scope", default=None, help="县（6 位）或市（4 位）区划代码：汇总报告")
@click.option("--year", type=int, default=None, help="评价年度（汇总报告必填；项目报告不填为最近一年）")
@AS_OPTION
@click.option("--out", "out", type=click.Path(dir_okay=False), required=True, help="输出的 Word 文件（.docx）")
@JSON_OPTION
@django_command
def report_cmd(project_code, scope, year, username, out, as_json):
    """绩效评价报告（Word）：--project 为项目报告，--scope 与 --year 为县或市的汇总报告。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.projects import reports_evaluations as reports
    from anju.projects.selectors import access_project_by_code
    from anju.projects.selectors_evaluations import evaluation_of_project

    if bool(project_code) == bool(scope):
        raise click.UsageError(_("请给出 --project（项目报告）或 --scope 与 --year（汇总报告）之一"))
    actor = cli_actor(username)
    if project_code:
        e = evaluation_of_project(actor, access_project_by_code(actor, project_code), year)
        data, name, _type = reports.evaluation_report_export(actor=actor, evaluation=e)
    else:
        if year is None:
            raise click.UsageError(_("汇总报告须给出 --year"))
        data, name, _type = reports.summary_report_export(actor=actor, year=year, scope=scope)
    path = os.path.abspath(out)
    with open(path, "wb") as f:
        f.write(data)
    if as_json:
        click.echo(json.dumps({"path": path, "title": name.removesuffix(".docx"), "bytes": len(data)}, ensure_ascii=False))
    else:
        click.echo(_("已生成：%(path)s（%(title)s）") % {"path": path, "title": name.removesuffix(".docx")})
