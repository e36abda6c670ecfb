"""Relocation API: checks."""

from ninja import Router

router = Router(tags=["relocation"])
