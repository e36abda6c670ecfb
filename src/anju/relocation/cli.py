"""The `anju relocation` command group; each area adds its commands from its own module."""

from __future__ import annotations

import click


@click.group("relocation", help="易地扶贫搬迁后续扶持：识别、安置点、搬迁进度、后续扶持、防返贫监测、抽查与看板")
def relocation_group() -> None:
    pass


def _register() -> None:
    from anju.relocation import (
        cli_checks,
        cli_dashboards,
        cli_identification,
        cli_imports,
        cli_metrics,
        cli_monitoring,
        cli_sites,
        cli_steps,
        cli_support,
    )

    for module in (cli_sites, cli_identification, cli_steps, cli_support, cli_imports, cli_metrics, cli_monitoring, cli_checks, cli_dashboards):
        module.register(relocation_group)


_register()
