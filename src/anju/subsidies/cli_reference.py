"""`anju subsidies bank list` and `anju subsidies layout list|show`: the reference lists from the command line."""

from __future__ import annotations

import json

import click
from django.utils.translation import gettext as _

from anju.cli import django_command


def register(group) -> None:
    """Add this module's commands to the `anju subsidies` group."""
    group.add_command(bank_group)
    group.add_command(layout_group)


@click.group("bank")
def bank_group() -> None:
    """银行名录。"""


@bank_group.command("list")
@click.option("--all", "show_all", is_flag=True, help="包括已停用的银行")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def bank_list_cmd(show_all, username, as_json):
    """列出银行及其账号规则。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_reference import bank_list

    for b in bank_list(actor=cli_actor(username), active=None if show_all else True):
        if as_json:
            click.echo(json.dumps({"id": b.pk, "name": b.name, "aliases": b.aliases, "lengths": b.lengths, "luhn_prefixes": b.luhn_prefixes,
                                   "active": b.active}, ensure_ascii=False))
        else:
            lengths = ",".join(map(str, b.lengths)) or "8-32"
            state = "" if b.active else "\t(" + _("停用") + ")"
            click.echo(f"#{b.pk}\t{b.name}\t{lengths}\t{','.join(b.luhn_prefixes)}\t{'、'.join(b.aliases)}{state}")


@click.group("layout")
def layout_group() -> None:
    """银行文件格式。"""


def _layout_json(layout) -> dict:
    return {"id": layout.pk, "name": layout.name, "bank": layout.bank.name if layout.bank_id else None, "scope": layout.scope,
            "file_format": layout.file_format, "encoding": layout.encoding, "columns": layout.columns, "control_total": layout.control_total,
            "return_columns": layout.return_columns, "note": layout.note}


@layout_group.command("list")
@click.option("--as", "username", required=True)
@click.option("--json", "as_json", is_flag=True, help="每行一个 JSON 对象")
@django_command
def layout_list_cmd(username, as_json):
    """列出通用及本辖区的银行文件格式。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_reference import layout_list

    for layout in layout_list(actor=cli_actor(username)):
        if as_json:
            click.echo(json.dumps(_layout_json(layout), ensure_ascii=False))
        else:
            headers = "、".join(c.get("header", "") for c in layout.columns)
            click.echo(f"#{layout.pk}\t{layout.name}\t{layout.scope or '-'}\t{layout.file_format}/{layout.encoding}\t{headers}")


@layout_group.command("show")
@click.argument("layout_id", type=int)
@click.option("--as", "username", required=True)
@django_command
def layout_show_cmd(layout_id, username):
    """查看一个银行文件格式（JSON）。"""
    from anju.accounts.selectors import cli_actor
    from anju.subsidies.selectors_reference import access_layout

    click.echo(json.dumps(_layout_json(access_layout(cli_actor(username), layout_id)), ensure_ascii=False, indent=2))
