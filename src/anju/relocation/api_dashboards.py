"""Relocation API: dashboards."""

from ninja import Router

router = Router(tags=["relocation"])
