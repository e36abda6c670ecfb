"""Relocation API: identification."""

from ninja import Router

router = Router(tags=["relocation"])
