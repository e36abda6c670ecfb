"""`anju relocation support household|employment add|employment end|gaps`: the follow-up support records from the command
line (thin: parse, call one service or selector, print)."""

from __future__ import annotations

import datetime as dt
import json

import click

from anju.cli import django_command


def register(group) -> None:
    group.add_command(support_group)


def _dump(value) -> str:
    def default(o):
        if isinstance(o, dt.date):
            return o.isoformat()
        raise TypeError(type(o).__name__)

    return json.dumps(value, ensure_ascii=False, default=default)


def _employment(e) -> dict:
    from anju.projects.money import yuan_text

    return {"id": e.pk, "household_id": e.household_id, "person_id": e.person_id, "person_name": e.person.name, "kind": e.kind,
            "employer": e.employer, "place": e.place, "started_on": e.started_on, "ended_on": e.ended_on,
            "monthly_income": yuan_text(e.monthly_income_fen)}


@click.group("support")
def support_group() -> None:
    """后续扶持：户概况、就业登记、“至少1人就业”缺口清单。"""


@support_group.command("household")
@click.argument("household_id", type=int)
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="统计日期（默认今天）")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def household_cmd(household_id, as_of, username, as_json):
    """一户的后续扶持概况：成员年龄、劳动力状态、劳动能力与当前就业（身份证号脱敏）。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors_support as sel
    from anju.relocation.api_support import household_summary
    from anju.relocation.selectors_common import access_relocated_household

    actor = cli_actor(username)
    household = access_relocated_household(actor, household_id)
    fu = sel.household_follow_up(actor=actor, household=household, as_of=as_of.date() if as_of else None)
    out = household_summary(fu)
    if as_json:
        out["members"] = [{**m, "employments": [_employment(e) for e in m["employments"]]} for m in out["members"]]
        out["monitoring"] = [{"id": c.pk, "category": c.category, "state": c.state, "colour": c.colour, "identified_on": c.identified_on}
                             for c in fu.cases]
        click.echo(_dump(out))
        return
    click.echo(_("%(number)s %(head)s（%(village)s）：成员 %(n)s 人，劳动力 %(labour)s 人，就业 %(employed)s 人%(gap)s") % {
        "number": household.number, "head": out["head_name"] or "", "village": fu.village, "n": len(fu.members), "labour": fu.labour_count,
        "employed": fu.employed_count, "gap": _("（缺口：有劳动力无人就业）") if fu.gap else ""})
    for m in fu.members:
        jobs = "；".join(f"{e.get_kind_display()} {e.employer}" for e in m.employments) or "—"
        click.echo(f"  {m.person.name}\t{m.relation}\t{m.person.id_masked}\t{m.age}\t{m.status_label}\t{jobs}")


@support_group.group("employment")
def employment_group() -> None:
    """就业登记。"""


@employment_group.command("add")
@click.option("--household", "household_id", type=int, required=True, help="户 id")
@click.option("--person", "person_id", type=int, required=True, help="家庭成员（人员 id）")
@click.option("--kind", required=True, help="就业类型：county、province、out_province、public_post、workshop、self_employed、flexible")
@click.option("--start", "started_on", required=True, help="开始日期 YYYY-MM-DD")
@click.option("--end", "ended_on", default=None, help="结束日期 YYYY-MM-DD（仍在就业不填）")
@click.option("--employer", default="", help="就业单位")
@click.option("--place", default="", help="就业地点")
@click.option("--income", "monthly_income", default="0", help="月收入（元）")
@click.option("--as", "username", required=True, help="以此账号登记（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def employment_add_cmd(household_id, person_id, kind, started_on, ended_on, employer, place, monthly_income, username, as_json):
    """登记一段就业。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation.services.support_persons import employment_create

    actor = cli_actor(username)
    e = employment_create(actor=actor, household=household_id, person=person_id, kind=kind, started_on=started_on, ended_on=ended_on,
                          employer=employer, place=place, monthly_income=monthly_income)
    if as_json:
        click.echo(_dump(_employment(e)))
    else:
        click.echo(_("已登记就业 #%(id)s：%(name)s %(kind)s，自 %(start)s") % {"id": e.pk, "name": e.person.name, "kind": e.get_kind_display(),
                                                                      "start": e.started_on.isoformat()})


@employment_group.command("end")
@click.argument("employment_id", type=int)
@click.option("--on", "ended_on", required=True, help="结束日期 YYYY-MM-DD（不早于开始日期）")
@click.option("--as", "username", required=True, help="以此账号登记（留痕）")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 对象")
@django_command
def employment_end_cmd(employment_id, ended_on, username, as_json):
    """结束一段就业。"""
    from django.utils.translation import gettext as _

    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors_support as sel
    from anju.relocation.services.support_persons import employment_end

    actor = cli_actor(username)
    e = employment_end(actor=actor, employment=sel.access_record(actor, "employment", employment_id, kind="entry"), ended_on=ended_on)
    if as_json:
        click.echo(_dump(_employment(e)))
    else:
        click.echo(_("已结束就业 #%(id)s（%(date)s）") % {"id": e.pk, "date": e.ended_on.isoformat()})


@support_group.command("gaps")
@click.option("--scope", default="", help="区划代码前缀（县 6 位、乡镇 9 位……；默认本账号范围）")
@click.option("--as-of", "as_of", type=click.DateTime(formats=["%Y-%m-%d"]), default=None, help="统计日期（默认今天）")
@click.option("--as", "username", required=True, help="以此账号的范围查看")
@click.option("--json", "as_json", is_flag=True, help="输出一个 JSON 数组")
@django_command
def gaps_cmd(scope, as_of, username, as_json):
    """“至少1人就业”缺口：有劳动力但统计日无人就业的搬迁户。"""
    from anju.accounts.selectors import cli_actor
    from anju.relocation import selectors_support as sel

    actor = cli_actor(username)
    day = as_of.date() if as_of else sel.today()
    rows = []
    qs = sel.household_list(actor=actor, as_of=day, division=scope, gap=True)
    for start in range(0, qs.count(), 500):
        chunk = list(qs[start:start + 500])
        sel.decorate_households(chunk, day)
        rows += [{"id": h.pk, "number": h.number, "division_code": h.division_code, "village": h.village,
                  "head_name": h.head.name if h.head_id else None, "persons": h.persons, "labour": h.labour,
                  "site": h.site.name if h.site else None} for h in chunk]
    if as_json:
        click.echo(_dump(rows))
        return
    for r in rows:
        click.echo(f"{r['id']}\t{r['number']}\t{r['village']}\t{r['head_name'] or '—'}\t{r['persons']}\t{r['labour']}\t{r['site'] or '—'}")
