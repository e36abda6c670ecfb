import tests.test_authz_walker as w
from tests.projects import routes_evaluations as mine

w.ENTRIES[:] = [e for e in w.ENTRIES if e[1] in mine.WEB or e[1] in mine.API]
print("ENTRIES", len(w.ENTRIES))
from tests.test_authz_walker import (  # noqa
    world, test_anonymous_is_sent_to_login_or_gets_401, test_role_with_permission_gets_through, test_role_without_permission_gets_403,
    test_object_outside_scope_is_404, test_table_is_consistent_with_roles)
