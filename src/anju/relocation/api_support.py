"""Relocation API: support."""

from ninja import Router

router = Router(tags=["relocation"])
