"""Demo step of relocation follow-up: the demo roster's sites get coordinates, housing, facilities and community
organisations; every relocated household gets its relocation steps, and its members labour capacities, employment
spells, trainings and insurance; households get last year's income survey, 低保/特困, industry and services; a few
dozen households are under 防返贫 monitoring in all three categories with measures, some eliminated; identification
surveys of two designated townships wait at every stage; one spot check has been drawn and partly recorded.

Counties differ on purpose (employment, incomes), so the dashboard and the county comparison have a story. Rows are
written in bulk straight into the tables; the services' rules are proved by the tests."""

from __future__ import annotations

import datetime as dt
import random
from collections import defaultdict

from django.db import transaction
from django.utils.translation import gettext as _

# Where each county's sites sit (longitude, latitude of the county seat): a made-up city in western Hubei.
COUNTY_SEATS = {"429902": (111.29, 30.70), "429903": (111.52, 30.64), "429921": (110.68, 31.03), "429922": (110.98, 31.32),
                "429923": (111.62, 31.18), "429924": (111.05, 30.45), "429925": (110.42, 30.62), "429926": (111.82, 30.52),
                "429981": (111.55, 30.92)}
# Share of labour persons with a job, by county: two counties lag, so the dashboard has something to show.
JOB_RATE = {"429902": 0.86, "429903": 0.82, "429921": 0.74, "429922": 0.52, "429923": 0.78, "429924": 0.8, "429925": 0.5,
            "429926": 0.7, "429981": 0.84}
INCOME_BASE = {"429902": 16000, "429903": 15000, "429921": 12500, "429922": 9800, "429923": 12000, "429924": 13000, "429925": 9200,
               "429926": 11500, "429981": 14500}
KIND_WEIGHTS = [("county", 30), ("province", 18), ("out_province", 22), ("public_post", 8), ("workshop", 10), ("self_employed", 5),
                ("flexible", 7)]
EMPLOYERS = {"county": ["县工业园纺织厂", "县城物业公司", "县建筑公司", "县电商产业园"], "province": ["武汉某电子厂", "宜昌某食品公司", "襄阳某汽配厂"],
             "out_province": ["东莞某电子厂", "宁波某服装厂", "深圳某物流公司", "苏州某机械厂"], "public_post": ["社区保洁员", "护林员", "安置点保安"],
             "workshop": ["安置点扶贫车间（箱包）", "安置点扶贫车间（电子元件）", "安置点扶贫车间（手工艺）"],
             "self_employed": ["个体小吃店", "家庭农场", "网店"], "flexible": ["外卖配送", "家政服务", "零工"]}
RISK_TEXT = {"illness": "患慢性病", "disability": "残疾", "education": "子女就学负担重", "disaster": "遭受洪涝灾害", "accident": "意外受伤",
             "no_labour": "缺乏劳动力", "unstable_job": "务工不稳定"}
FACILITIES = [("school", "小学", 600, 0), ("kindergarten", "幼儿园", 180, 0), ("clinic", "卫生服务站", 20, 0),
              ("community_centre", "社区综合服务中心", 0, 0), ("workshop", "扶贫车间", 0, 80), ("elderly_care", "日间照料中心", 40, 0)]


def _age(birth: dt.date, on: dt.date) -> int:
    return on.year - birth.year - ((on.month, on.day) < (birth.month, birth.day))


def relocation_step(summary) -> None:
    from anju.relocation.models import Relocation
    from anju.relocation.services.metric_facts import metric_facts_sync

    if Relocation.objects.exists():
        summary.notes.append("  " + _("搬迁后续扶持演示数据已存在，未重复生成"))
        return
    with transaction.atomic():
        counts = _Builder(dt.date.today()).build()
    metric_facts_sync()  # the metric facts of every person the demo wrote, so the first page read does not build them
    summary.notes.append("  " + _("搬迁后续扶持：%(sites)s 个安置点，%(households)s 户搬迁进度与后续扶持记录，%(cases)s 户防返贫监测对象，"
                                  "%(surveys)s 份识别调查，%(checks)s 次抽查") % counts)


class _Builder:
    def __init__(self, today: dt.date):
        from anju.accounts.models import User

        self.today = today
        self.rng = random.Random(4301)  # noqa: S311 (demo data)
        self.users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}

    # ------------------------------------------------------------------------------------------------------------ data
    def _population(self):
        """(household id, village code, site id, year, [(person id, birth date)]) of every relocated household."""
        from anju.registry.models import Enrolment, Program

        households: dict[int, dict] = {}
        rows = (Enrolment.objects.filter(program=Program.RELOCATION, status="active")
                .values_list("household_id", "division_code", "site_id", "relocation_year", "person_id", "person__birth_date",
                             "enrolled_on", "housing_area").order_by("household_id", "person_id"))
        for hid, village, site_id, year, pid, birth, enrolled_on, area in rows:
            h = households.setdefault(hid, {"id": hid, "village": village, "site": site_id, "year": year or 2018, "members": [],
                                            "since": enrolled_on, "area": area})
            h["members"].append((pid, birth))
        return list(households.values())

    def build(self) -> dict:
        from anju.relocation.models import Site

        households = self._population()
        sites = list(Site.objects.filter(division_code__startswith="4299").order_by("code"))
        self._sites(sites, households)
        self._relocations(households)
        labour = self._persons(households)
        self._households(households, labour)
        cases = self._monitoring(households)
        surveys = self._identification()
        checks = self._spot_check()
        return {"sites": len(sites), "households": len(households), "cases": cases, "surveys": surveys, "checks": checks}

    def _sites(self, sites, households) -> None:
        from anju.projects.models import Project
        from anju.relocation.models import Facility, Organisation

        persons = defaultdict(int)
        for h in households:
            if h["site"]:
                persons[h["site"]] += len(h["members"])
        facilities, organisations = [], []
        for i, site in enumerate(sites):
            lon, lat = COUNTY_SEATS.get(site.division_code[:6], (111.2, 30.8))
            offset = 1 if site.code.endswith("01") else -1
            site.longitude = round(lon + offset * self.rng.uniform(0.03, 0.09), 6)
            site.latitude = round(lat + offset * self.rng.uniform(0.02, 0.06), 6)
            n = persons.get(site.pk, 0)
            site.capacity = max(50, round(n * self.rng.uniform(1.04, 1.3), -1))  # built for a little more than moved in
            site.planned_units = max(1, round(site.capacity / 3.4))
            site.built_units = site.planned_units if i % 5 else round(site.planned_units * 0.92)
            site.completed_on = dt.date(2017 + i % 4, 10, 1 + i % 27)
            site.address = f"{site.name}安置小区"
            site.manager = f"{site.name}社区居委会"
            site.save(update_fields=["longitude", "latitude", "capacity", "planned_units", "built_units", "completed_on", "address", "manager"])
            projects = Project.objects.filter(division_code__startswith=site.division_code[:6], program="relocation").order_by("code")
            project = projects.filter(category="industry").first() or projects.first()  # the workshop's construction project
            for j, (kind, label, capacity, jobs) in enumerate(FACILITIES):
                if site.area_type == "rural" and kind in ("kindergarten", "elderly_care"):
                    continue
                status = "in_use" if (i + j) % 7 else ("building" if j % 2 else "planned")
                facilities.append(Facility(site=site, kind=kind, name=f"{site.name}{label}", status=status, capacity=capacity,
                                           jobs=jobs + (self.rng.randint(0, 40) if jobs else 0),
                                           opened_on=site.completed_on + dt.timedelta(days=90) if status == "in_use" else None,
                                           project=project if kind == "workshop" else None))
            if site.area_type == "urban" and i % 3 == 0:
                facilities.append(Facility(site=site, kind="industrial_park", name=f"{site.name}配套产业园", status="in_use", jobs=260,
                                           opened_on=site.completed_on + dt.timedelta(days=365)))
            organisations += [Organisation(site=site, kind="party", name=f"{site.name}党支部", established_on=site.completed_on, leader="王书记",
                                           members=self.rng.randint(12, 40)),
                              Organisation(site=site, kind="residents_committee", name=f"{site.name}居民委员会", established_on=site.completed_on,
                                           leader="李主任", members=7),
                              Organisation(site=site, kind="volunteers", name=f"{site.name}志愿服务队", established_on=site.completed_on,
                                           members=self.rng.randint(15, 60))]
            if project and project.site_id is None:
                project.site = site
                project.save(update_fields=["site"])
        Facility.objects.bulk_create(facilities, batch_size=500)
        Organisation.objects.bulk_create(organisations, batch_size=500)

    def _relocations(self, households) -> None:
        from anju.relocation.models import Relocation, RelocationStep, Step

        relocations = []
        for n, h in enumerate(households):
            year = h["year"]
            confirmed = dt.date(year - 1, self.rng.randint(3, 11), self.rng.randint(1, 28))
            dates = [confirmed]
            for gap in (30, 120, 200, 240):
                dates.append(dates[-1] + dt.timedelta(days=self.rng.randint(gap // 2, gap)))
            reached = 5 if self.rng.random() < 0.82 else 4
            if year >= 2020 and n % 17 == 0:
                reached = 3  # a few recent households are still waiting to move in
            dates = [d if d <= self.today else self.today for d in dates[:reached]]
            persons = len(h["members"])
            per_person = float(h["area"] or 20)
            if n % 97 == 5:
                per_person = 26.5  # a handful above the 25 m² red line, for the check
            h["step"] = Step.values[reached - 1]
            relocations.append(Relocation(household_id=h["id"], division_code=h["village"], site_id=h["site"], year=year, persons=persons,
                                          house_number=f"{self.rng.randint(1, 30)}栋{self.rng.randint(1, 6)}单元{self.rng.randint(101, 1802)}"
                                          if reached >= 3 else "",
                                          house_area=round(per_person * persons, 2) if reached >= 3 else None, step=h["step"],
                                          **{f: dates[i] if i < reached else None for i, f in
                                             enumerate(["confirmed_on", "agreement_on", "allocated_on", "moved_in_on", "demolished_on"])}))
            h["dates"] = dates
        Relocation.objects.bulk_create(relocations, batch_size=1000)
        ids = dict(Relocation.objects.values_list("household_id", "id"))
        clerk = self.users.get("demo_city_clerk")
        RelocationStep.objects.bulk_create([RelocationStep(relocation_id=ids[h["id"]], step=Step.values[i], on=d, recorded_by=clerk)
                                            for h in households for i, d in enumerate(h["dates"])], batch_size=2000)

    def _persons(self, households) -> dict[int, list[int]]:
        """Capacities, employment, training, insurance, medical costs; returns household id → its labour person ids."""
        from anju.relocation.models import Employment, Insurance, LabourCapacity, MedicalCost, Training

        rng, today = self.rng, self.today
        kinds, weights = zip(*KIND_WEIGHTS, strict=True)
        capacities, jobs, trainings, insurance, medical = [], [], [], [], []
        labour: dict[int, list[int]] = {}
        for h in households:
            county = h["village"][:6]
            labour[h["id"]] = []
            for pid, birth in h["members"]:
                age = _age(birth, today)
                capacity, grade = "able", None
                if 16 <= age <= 22 and rng.random() < 0.55:
                    capacity = "student"
                elif rng.random() < 0.05:
                    capacity, grade = "none", rng.randint(1, 2)
                elif age >= 50 and rng.random() < 0.2:
                    capacity = "weak"
                elif age < 50 and rng.random() < 0.15:
                    capacity = "skilled"
                if capacity != "able" or 16 <= age <= 60:
                    capacities.append(LabourCapacity(person_id=pid, household_id=h["id"], division_code=h["village"], capacity=capacity,
                                                     disability_grade=grade, recorded_on=dt.date(today.year - 1, 12, 15)))
                if capacity in ("none", "student") or not 16 <= age <= 60:
                    if age >= 60 and rng.random() < 0.05:  # an older person on a public post
                        jobs.append(self._job(rng, pid, h, "public_post"))
                    continue
                labour[h["id"]].append(pid)
                if rng.random() < JOB_RATE.get(county, 0.7):
                    jobs.append(self._job(rng, pid, h, rng.choices(kinds, weights)[0]))
                elif rng.random() < 0.3:  # had a job that ended
                    start = today - dt.timedelta(days=rng.randint(300, 900))
                    jobs.append(self._job(rng, pid, h, rng.choices(kinds, weights)[0], start=start,
                                          end=start + dt.timedelta(days=rng.randint(60, 250))))
                if rng.random() < 0.22:
                    start = dt.date(today.year - rng.randint(0, 3), rng.randint(1, 10), rng.randint(1, 20))
                    course = rng.choice(["电工", "焊工", "家政服务", "中式烹调", "电子商务", "育婴员", "农业实用技术"])
                    trainings.append(Training(person_id=pid, household_id=h["id"], division_code=h["village"], course=f"{course}培训班",
                                              organiser="县人社局职业技能培训中心", started_on=start, ended_on=start + dt.timedelta(days=15),
                                              certificate=f"{course}职业技能等级证书" if rng.random() < 0.7 else ""))
            for pid, birth in h["members"]:
                insurance.append(Insurance(person_id=pid, household_id=h["id"], division_code=h["village"], year=today.year,
                                           medical=rng.random() < 0.985, pension=_age(birth, today) >= 16 and rng.random() < 0.88))
                if rng.random() < 0.04:
                    total = rng.randint(8_000, 90_000) * 100
                    medical.append(MedicalCost(person_id=pid, household_id=h["id"], division_code=h["village"], year=today.year - 1,
                                               total_fen=total, out_of_pocket_fen=int(total * rng.uniform(0.1, 0.35))))
        for model, rows in ((LabourCapacity, capacities), (Employment, jobs), (Training, trainings), (Insurance, insurance), (MedicalCost, medical)):
            model.objects.bulk_create(rows, batch_size=2000)
        return labour

    def _job(self, rng, pid, h, kind, *, start=None, end=None):
        from anju.relocation.models import Employment

        start = start or self.today - dt.timedelta(days=rng.randint(30, 1500))
        income = {"out_province": 5200, "province": 4200, "county": 3100, "workshop": 2400, "public_post": 900, "self_employed": 3800,
                  "flexible": 2600}[kind]
        return Employment(person_id=pid, household_id=h["id"], division_code=h["village"], kind=kind, employer=rng.choice(EMPLOYERS[kind]),
                          place={"out_province": "广东省", "province": "湖北省"}.get(kind, "本县"), started_on=start, ended_on=end,
                          monthly_income_fen=int(income * rng.uniform(0.8, 1.3)) * 100)

    def _households(self, households, labour) -> None:
        from anju.relocation.models import Income, Industry, Service, Welfare

        rng, today = self.rng, self.today
        year = today.year - 1
        incomes, welfare, industries, services = [], [], [], []
        for n, h in enumerate(households):
            persons = len(h["members"])
            base = INCOME_BASE.get(h["village"][:6], 12000) * rng.uniform(0.6, 1.45)
            if not labour[h["id"]]:
                base *= 0.55
            if n % 61 == 7:
                base = rng.uniform(5200, 6900)  # below the monitoring line
            total = base * persons
            wage = total * rng.uniform(0.55, 0.8)
            business = total * rng.uniform(0.05, 0.2)
            transfer = total - wage - business
            incomes.append(Income(household_id=h["id"], division_code=h["village"], year=year, persons=persons, wage_fen=int(wage) * 100,
                                  business_fen=int(business * 1.2) * 100, property_fen=int(total * 0.02) * 100, transfer_fen=int(transfer) * 100,
                                  costs_fen=int(business * 0.2 + total * 0.02) * 100, surveyed_on=dt.date(year, 12, rng.randint(1, 28))))
            if not labour[h["id"]] or rng.random() < 0.06:
                kind = "tekun" if persons == 1 and rng.random() < 0.5 else "dibao"
                start = dt.date(rng.randint(2018, today.year - 1), rng.randint(1, 12), 1)
                ended = rng.random() < 0.15
                welfare.append(Welfare(household_id=h["id"], division_code=h["village"], kind=kind, persons=persons,
                                       monthly_fen=(680 if kind == "tekun" else 520) * persons * 100, started_on=start,
                                       ended_on=start + dt.timedelta(days=rng.randint(200, 900)) if ended else None))
            if rng.random() < 0.3:
                industries.append(Industry(household_id=h["id"], division_code=h["village"], year=year,
                                           kind=rng.choice(["planting", "breeding", "processing", "tourism", "photovoltaic", "collective_economy"]),
                                           mode=rng.choice(["own", "dividend", "lease", "work", "cooperative"]),
                                           partner=rng.choice(["茶叶专业合作社", "县农投公司", "村集体经济合作社", "柑橘种植大户"]),
                                           benefit_fen=rng.randint(5, 60) * 10000))
            if rng.random() < 0.25:
                services.append(Service(household_id=h["id"], division_code=h["village"],
                                        kind=rng.choice(["employment_service", "medical_service", "education_service", "elderly_service",
                                                         "legal_aid", "household_registration"]),
                                        on=today - dt.timedelta(days=rng.randint(5, 300)), provider="安置点社区服务中心"))
        for model, rows in ((Income, incomes), (Welfare, welfare), (Industry, industries), (Service, services)):
            model.objects.bulk_create(rows, batch_size=2000)

    def _monitoring(self, households) -> int:
        """About five monitored households per county in all three categories, a few eliminated, a few just proposed;
        open risk signals from last year's high medical costs."""
        from anju.relocation.models import Measure, MedicalCost, MonitoringCase, RiskSignal

        rng, today = self.rng, self.today
        clerk = self.users.get("demo_city_clerk")
        by_county = defaultdict(list)
        for h in households:
            by_county[h["village"][:6]].append(h)
        categories = ["unstable", "marginal", "sudden"]
        risks = ["illness", "disability", "education", "disaster", "accident", "no_labour", "unstable_job"]
        measures = {"illness": ("medical", "落实医疗救助和大病保险倾斜支付"), "disability": ("dibao", "纳入低保并发放残疾人两项补贴"),
                    "education": ("education", "落实教育资助和雨露计划补助"), "disaster": ("temporary_relief", "发放临时救助金，修缮受损住房"),
                    "accident": ("temporary_relief", "发放临时救助金"), "no_labour": ("public_post", "安排公益性岗位"),
                    "unstable_job": ("employment", "推荐到扶贫车间稳定就业")}
        cases = 0
        for county, group in sorted(by_county.items()):
            picked = rng.sample(group, min(len(group), 5 if county not in ("429922", "429925") else 7))
            for i, h in enumerate(picked):
                category = categories[i % 3]
                risk = rng.sample(risks, 1 + (i % 2))
                identified = today - dt.timedelta(days=rng.randint(40, 700))
                state = "monitoring"
                if i == 0:
                    state = "eliminated"
                elif i == len(picked) - 1:
                    state = "proposed"
                included = identified + dt.timedelta(days=rng.randint(7, 25)) if state != "proposed" else None
                eliminated = None
                if state == "eliminated":
                    eliminated = min(today - dt.timedelta(days=3), included + dt.timedelta(days=rng.randint(190, 400)))
                    identified = min(identified, eliminated - dt.timedelta(days=220))
                    included = identified + dt.timedelta(days=10)
                colour = {"eliminated": "green", "proposed": "red"}.get(state, "yellow" if i % 2 else "red")
                case = MonitoringCase.objects.create(
                    household_id=h["id"], division_code=h["village"], category=category,
                    channel=["visit", "application", "department"][i % 3], risks=risk, per_capita_income_fen=rng.randint(5200, 8200) * 100,
                    identified_on=identified, included_on=included, state=state, colour=colour,
                    description=f"家庭成员{'、'.join(RISK_TEXT[r] for r in risk)}，存在返贫致贫风险",
                    proposed_by=clerk, approved_by=self.users.get("demo_city_admin") if included else None,
                    eliminated_on=eliminated, eliminated_by=self.users.get("demo_city_admin") if eliminated else None,
                    elimination_proposed_on=eliminated, elimination_proposed_by=clerk if eliminated else None,
                    elimination_criteria={"income": {"met": True, "note": ""}, "months": {"met": True, "note": ""},
                                          "measures": {"met": True, "note": ""}, "guarantees": {"met": True, "note": ""},
                                          "signals": {"met": True, "note": ""}} if eliminated else {})
                cases += 1
                for r in risk:
                    if state == "proposed":
                        break
                    kind, content = measures[r]
                    Measure.objects.create(case=case, kind=kind, content=content, responsible="驻村工作队", started_on=included + dt.timedelta(days=5),
                                           amount_fen=rng.randint(20, 120) * 10000,
                                           effect="effective" if state == "eliminated" else rng.choice(["pending", "partial", "effective"]),
                                           created_by=clerk)
        self._monitored_incomes()
        high = 10000 * 100
        signals = [RiskSignal(household_id=m.household_id, person_id=m.person_id, division_code=m.division_code, kind="medical",
                              found_on=today - dt.timedelta(days=rng.randint(1, 40)), source="import:medical",
                              detail={"year": m.year, "out_of_pocket_fen": m.out_of_pocket_fen})
                   for m in MedicalCost.objects.filter(out_of_pocket_fen__gt=high).order_by("id")[:24]]
        RiskSignal.objects.bulk_create(signals)
        return cases

    def _monitored_incomes(self) -> None:
        """Last year's income of a household under monitoring is near the line (some below it); an eliminated household's
        is stably above it. Then every case gets the colour the real rule gives it."""
        from anju.relocation.models import Income, MonitoringCase
        from anju.relocation.services.monitoring import cases_recolour

        year = self.today.year - 1
        cases = list(MonitoringCase.objects.all())
        incomes = {i.household_id: i for i in Income.objects.filter(year=year, household_id__in=[c.household_id for c in cases])}
        changed = []
        for case in cases:
            income = incomes.get(case.household_id)
            if income is None:
                continue
            target = self.rng.randint(9000, 12000) if case.state == "eliminated" else self.rng.randint(5600, 8200)
            total = target * 100 * income.persons
            income.wage_fen, income.business_fen, income.property_fen = int(total * 0.62), int(total * 0.12), int(total * 0.02)
            income.costs_fen = int(total * 0.05)
            income.transfer_fen = total - income.wage_fen - income.business_fen - income.property_fen + income.costs_fen
            changed.append(income)
        Income.objects.bulk_update(changed, ["wage_fen", "business_fen", "property_fen", "transfer_fen", "costs_fen"])
        cases_recolour(cases, self.today)

    def _identification(self) -> int:
        """Two designated townships in the mountain counties with household surveys at every stage of confirmation."""
        from anju.core.crypto import blind_index, encrypt
        from anju.core.masking import mask_resident_id
        from anju.divisions.models import Division, Level
        from anju.registry.resident_id import compose
        from anju.relocation.models import DesignatedArea, Survey

        rng, today = self.rng, self.today
        township_clerks = {u.entry_scope.code[:9]: u for u in self.users.values() if u.role == "township_clerk" and u.entry_scope_id}
        created = 0
        # 白云县's is the demo township clerk's own township (429921101), so that account has surveys to confirm.
        for county, conditions in (("429921101", ["deep_mountain", "disaster"]), ("429925", ["high_cold", "ecological"])):
            township = Division.objects.filter(code__startswith=county, level=Level.TOWNSHIP).order_by("code").first()
            if township is None:
                continue
            DesignatedArea.objects.get_or_create(division_code=township.code, defaults={
                "conditions": conditions, "designated_on": dt.date(today.year - 1, 3, 1), "document": f"{township.name}易地搬迁迁出区划定文件"})
            villages = list(Division.objects.filter(code__startswith=township.code[:9], level=Level.VILLAGE).order_by("code")[:4])
            clerk = township_clerks.get(township.code[:9]) or self.users.get("demo_city_clerk")
            states = ["draft", "submitted", "submitted", "township_confirmed", "township_confirmed", "confirmed", "rejected", "draft"]
            for i, state in enumerate(states * 2):
                village = villages[i % len(villages)] if villages else township
                number = compose(county[:6], dt.date(1960 + i * 2, 1 + i % 12, 1 + i % 27), 200 + i * 2 + 1)
                registered = i % 5 != 4
                eligible = registered
                Survey.objects.create(
                    division_code=village.code, head_name=rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(["德明", "春花", "国强", "秀英", "建华", "玉兰"]),
                    head_id_hash=blind_index(number), head_id_enc=encrypt(number), head_id_masked=mask_resident_id(number),
                    members=rng.randint(1, 6), address=f"{village.name}{rng.randint(1, 12)}组", conditions=conditions[: 1 + i % 2],
                    poverty_registered=registered, housing_unsafe=i % 3 == 0, per_capita_income_fen=rng.randint(3000, 6800) * 100,
                    in_designated_area=True, surveyed_on=today - dt.timedelta(days=rng.randint(10, 120)), surveyor="村扶贫专干",
                    eligible=eligible,
                    eligibility=[{"rule": "poverty_registered", "name": "建档立卡贫困户", "passed": registered},
                                 {"rule": "living_condition", "name": "生存条件恶劣，一方水土养不起一方人", "passed": True}],
                    state=state if eligible or state in ("draft", "rejected") else "rejected",
                    township_by=clerk if state in ("township_confirmed", "confirmed") else None,
                    township_on=today - dt.timedelta(days=8) if state in ("township_confirmed", "confirmed") else None,
                    county_by=self.users.get("demo_city_clerk") if state == "confirmed" else None,
                    county_on=today - dt.timedelta(days=2) if state == "confirmed" else None,
                    decision_note="不符合搬迁条件" if state == "rejected" else "", created_by=clerk)
                created += 1
        return created

    def _spot_check(self) -> int:
        """One random check of a county's relocated households, drawn by the service with a recorded seed (so the page's
        re-draw gives the same households), half of them recorded, a quarter of those with a discrepancy to follow up."""
        from anju.relocation.models import SpotCheckItem
        from anju.relocation.services.checks import check_draw, population_ids

        rng, today = self.rng, self.today
        actor = self.users.get("demo_city_clerk")
        if actor is None:
            return 0
        as_of = today - dt.timedelta(days=30)
        population = len(population_ids(as_of=as_of, prefix="429921", site_id=None))
        if not population:
            return 0
        check = check_draw(actor=actor, as_of=as_of, scope="429921", size=min(20, population), seed="20261015-白云县",
                           name="白云县搬迁户后续扶持随机抽查")
        items = list(check.items.order_by("order"))
        for item in items[: len(items) // 2]:
            item.checked_on = today - dt.timedelta(days=rng.randint(1, 20))
            item.checker = "县乡村振兴局核查组"
            item.result = SpotCheckItem.Result.DISCREPANCY if item.order % 4 == 0 else SpotCheckItem.Result.CONSISTENT
            if item.result == SpotCheckItem.Result.DISCREPANCY:
                item.findings = rng.choice(["就业信息与实际不符，已返乡未更新", "低保人数与实际家庭人口不一致", "未落实公益性岗位"])
                item.follow_up, item.follow_up_owner = SpotCheckItem.FollowUp.OPEN, "所在乡镇经办"
                item.follow_up_deadline = today + dt.timedelta(days=15)
        SpotCheckItem.objects.bulk_update(items, ["checked_on", "checker", "result", "findings", "follow_up", "follow_up_owner",
                                                  "follow_up_deadline"])
        return 1
