"""Relocation API: metrics."""

from ninja import Router

router = Router(tags=["relocation"])
