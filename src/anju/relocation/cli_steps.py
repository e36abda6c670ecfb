"""`anju relocation` commands: steps."""

from __future__ import annotations

import click  # noqa: F401


def register(group) -> None:
    pass
