"""The `anju subsidies` command group; each area adds its commands from its own module."""

from __future__ import annotations

import click


@click.group("subsidies", help="直补发放：政策版本、测算、批次、银行文件、追缴与台账")
def subsidies_group() -> None:
    pass


def _register() -> None:
    from anju.subsidies import cli_bankfiles, cli_batches, cli_ledger, cli_policy, cli_reference

    for module in (cli_policy, cli_reference, cli_batches, cli_bankfiles, cli_ledger):
        module.register(subsidies_group)


_register()
