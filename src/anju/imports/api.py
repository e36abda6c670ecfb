"""Import settings API: header aliases."""

from ninja import Router

router = Router(tags=["imports"])
