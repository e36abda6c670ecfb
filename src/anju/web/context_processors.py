"""Template context for the shell: menu, the user's division breadcrumb, role name."""

from __future__ import annotations

from anju.web.nav import nav_for


def shell(request):
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not getattr(user, "role", ""):
        return {}
    from anju.core.inbox import unread_count
    from anju.divisions.selectors import division_ancestors

    crumbs = division_ancestors(user.view_scope) if user.view_scope_id else []
    return {
        "nav_sections": nav_for(user, request.path, {"inbox:list": unread_count(user)}),
        "scope_crumbs": crumbs,
        "role_name": user.role_obj.name,
    }
