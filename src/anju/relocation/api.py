"""Relocation API: resettlement sites."""

from ninja import Router

router = Router(tags=["relocation"])
