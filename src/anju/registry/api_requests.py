"""Registry requests API."""

from ninja import Router

router = Router(tags=["registry-requests"])
