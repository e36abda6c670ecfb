"""Project job kinds: each area keeps its kinds beside its services; a worker must know them all."""

from __future__ import annotations


def _register() -> None:
    from anju.projects import jobs_bulletin, jobs_imports  # noqa: F401


_register()
