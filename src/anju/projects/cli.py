"""The `anju projects` command group; each area adds its commands from its own module."""

from __future__ import annotations

import click


@click.group("projects", help="扶持项目：规划、申报、资金、进度、预警、检查、档案、绩效评价与通报")
def projects_group() -> None:
    pass


def _register() -> None:
    from anju.projects import (
        cli_applications,
        cli_evaluations,
        cli_funds,
        cli_imports,
        cli_inspections,
        cli_projects,
        cli_rates,
        cli_warnings,
    )

    for module in (cli_projects, cli_applications, cli_funds, cli_imports, cli_rates, cli_warnings, cli_inspections, cli_evaluations):
        module.register(projects_group)


_register()
