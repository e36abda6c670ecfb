"""Shared fixtures of the funds and progress tests: actors of 白云县 (429921), the city and the foreign county, and dates
relative to today (the deadline lock is about "now")."""

from __future__ import annotations

import datetime as dt

from anju.projects.services.progress import add_months

from .factories import COUNTY, OTHER_COUNTY

TODAY = dt.date.today()
THIS_MONTH = TODAY.replace(day=1)
LAST_YEAR = TODAY.year - 1  # projects are of last year's plan: their stage changes lie well in the past


def months_ago(n: int) -> dt.date:
    return add_months(THIS_MONTH, -n)


def actors(make_user) -> dict:
    """The actors of the funds tests (the `other_city` fixture must be loaded for the foreign clerk)."""
    return {
        "clerk": make_user("county_clerk", COUNTY[:6], username="f_clerk"),
        "city": make_user("city_clerk", "4299", username="f_city"),
        "finance": make_user("finance", COUNTY[:6], username="f_finance"),
        "leader": make_user("leader", COUNTY[:6], username="f_leader"),
        "reviewer": make_user("county_reviewer", COUNTY[:6], username="f_reviewer"),
        "foreign": make_user("county_clerk", OTHER_COUNTY[:6], username="f_foreign"),
    }
