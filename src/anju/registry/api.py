"""Registry API: search, households, persons, reservoirs."""

from ninja import Router

router = Router(tags=["registry"])
