"""Registry imports API."""

from ninja import Router

router = Router(tags=["registry-imports"])
