"""The `anju registry` command group; each area adds its commands from its own module."""

from __future__ import annotations

import click


@click.group("registry", help="人口名册：导入、导出、核定、比对")
def registry_group() -> None:
    pass


def _register() -> None:
    from anju.registry import cli_crosschecks, cli_imports, cli_requests, cli_verification

    for module in (cli_imports, cli_requests, cli_verification, cli_crosschecks):
        module.register(registry_group)


_register()
