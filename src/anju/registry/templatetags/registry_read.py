"""Template helpers of the registry's read pages: links to change requests, masked-value formatting."""

from __future__ import annotations

from urllib.parse import urlencode

from django import template
from django.urls import reverse

register = template.Library()


def request_url(request_id) -> str:
    return reverse("registry_requests:detail", args=[request_id]) if request_id else ""


@register.simple_tag
def request_link(request_id) -> str:
    return request_url(request_id)


@register.simple_tag
def new_request_link(household_id, person_id=None) -> str:
    """The form for a new change request about a household, or about one of its members."""
    query = urlencode({"household": household_id, **({"person": person_id} if person_id else {})})
    return f"{reverse('registry_requests:create')}?{query}"


@register.filter
def masked_phone(value) -> str:
    """A phone number with the middle digits hidden (POLICY.md §4)."""
    from anju.core.masking import mask_phone

    return mask_phone(value)
