"""Registry verification API."""

from ninja import Router

router = Router(tags=["registry-verification"])
