"""`anju projects` commands of the funds area."""

from __future__ import annotations

import click


def register(group: click.Group) -> None:
    pass
