"""Relocation API: steps."""

from ninja import Router

router = Router(tags=["relocation"])
