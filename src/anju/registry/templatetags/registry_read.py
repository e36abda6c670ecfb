"""Template helpers of the registry's read pages: links to change requests, masked-value formatting."""

from __future__ import annotations

from django import template
from django.urls import NoReverseMatch, reverse

register = template.Library()


def request_url(request_id) -> str:
    """The change request's page: its URL name when the requests pages exist, else the path they will have."""
    if not request_id:
        return ""
    try:
        return reverse("registry_requests:detail", args=[request_id])
    except NoReverseMatch:
        return f"/registry/requests/{request_id}/"


@register.simple_tag
def request_link(request_id) -> str:
    return request_url(request_id)


@register.simple_tag
def new_request_link(household_id) -> str:
    """The form for a new change request about a household."""
    for name in ("registry_requests:create", "registry_requests:new"):
        try:
            return f"{reverse(name)}?household={household_id}"
        except NoReverseMatch:
            continue
    return f"/registry/requests/new/?household={household_id}"


@register.filter
def masked_phone(value) -> str:
    """A phone number with the middle digits hidden (POLICY.md §4)."""
    from anju.core.masking import mask_phone

    return mask_phone(value)
