"""The demo population: both programs imported through the real import path, realistic, and idempotent."""

from anju.demo import build_demo
from anju.imports.models import ImportBatch
from anju.registry.models import Enrolment, Household, Person, Reservoir
from anju.relocation.models import Site


def test_demo_population_is_imported_once_with_both_programs_and_support_modes(db):
    summary = build_demo()
    assert Enrolment.objects.filter(program="reservoir").count() == 300
    assert Enrolment.objects.filter(program="relocation").count() == 80
    assert Reservoir.objects.count() >= 9 and Site.objects.count() == 18
    assert set(Enrolment.objects.filter(program="reservoir").values_list("support_mode", flat=True)) == {"direct", "project"}
    assert set(Enrolment.objects.filter(program="reservoir").values_list("category", flat=True)) <= {"current", "original"}
    sizes = [h.memberships.count() for h in Household.objects.all()[:50]]
    assert max(sizes) > 1 and min(sizes) >= 1
    assert all(b.applied and b.rejected == 0 for b in ImportBatch.objects.all())
    assert any("新增 300" in note for note in summary.notes)
    before = Person.objects.count()
    build_demo()
    assert Person.objects.count() == before and ImportBatch.objects.count() == 2


def test_demo_leaves_requests_at_each_level(db, monkeypatch):
    from anju.registry import demo
    from anju.registry.models import ChangeRequest

    monkeypatch.setattr(demo, "RESERVOIR_PERSONS", 4000)
    build_demo()
    states = list(ChangeRequest.objects.values_list("state", "level_index"))
    assert states.count(("pending", 1)) == 3  # awaiting the county
    assert states.count(("pending", 2)) == 2  # awaiting the city
    assert sum(1 for s, _ in states if s == "posting") == 2
    assert sum(1 for s, _ in states if s == "draft") == 1
    build_demo()
    assert ChangeRequest.objects.count() == 8


def test_demo_locks_last_years_verification_in_every_county(db):
    import datetime as dt

    from anju.demo import COUNTIES
    from anju.registry.models import Verification

    build_demo()
    year = dt.date.today().year - 1
    locked = Verification.objects.filter(year=year, program="reservoir", state="locked")
    assert locked.count() == len(COUNTIES)
    assert sum(v.counts["total"] for v in locked) == Enrolment.objects.filter(program="reservoir").count()
    # the two years before too, in order: each year's diff is against the locked year before it
    assert Verification.objects.filter(year=year - 2, state="locked").count() == len(COUNTIES)
    assert all(v.previous.year == year - 1 for v in locked)
    build_demo()
    assert Verification.objects.count() == 3 * len(COUNTIES)
