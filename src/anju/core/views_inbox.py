"""The personal inbox pages: the signed-in user's messages, marked read one by one or all at once."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from anju.core.inbox import LEVELS, STATES, access_message, inbox_list, message_link_safe, message_mark_read, messages_mark_all_read
from anju.core.pagination import paginate


def _choice(request, name: str, allowed) -> str:
    value = request.GET.get(name, "")
    return value if value in allowed else ""


@login_required
def inbox_index(request):
    state, level = _choice(request, "state", STATES), _choice(request, "level", LEVELS)
    page = paginate(request, inbox_list(actor=request.user, state=state, level=level))
    for m in page:
        m.safe_link = message_link_safe(m.link)
    unread = inbox_list(actor=request.user, state="unread").count()
    return render(request, "core/inbox/list.html", {"page": page, "state": state, "level": level, "states": list(STATES.items()),
                                                     "levels": list(LEVELS.items()), "unread": unread})


@login_required
@require_POST
def inbox_read(request, message_id: int):
    """Mark one message read; with open=1, go on to where it points (a page of this site)."""
    message = message_mark_read(actor=request.user, message=access_message(request.user, message_id))
    link = message_link_safe(message.link)
    if request.POST.get("open") == "1" and link:
        return redirect(link)
    return redirect("inbox:list")


@login_required
@require_POST
def inbox_read_all(request):
    n = messages_mark_all_read(actor=request.user)
    messages.success(request, _("已将 %(n)s 条消息标为已读") % {"n": n})
    return redirect("inbox:list")
