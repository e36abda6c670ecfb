"""Subsidies API: policy."""

from ninja import Router

router = Router(tags=["subsidies-policy"])
