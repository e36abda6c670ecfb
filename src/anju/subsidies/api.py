"""Subsidies API: entitlements and payment batches."""

from ninja import Router

router = Router(tags=["subsidies"])
