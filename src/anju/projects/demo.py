"""Demo step of support projects: the city's 十四五 plan (closed) and 十五五 plan (published) with county targets,
four years of projects in every county at every stage with their allocations, payments, monthly progress, inspections,
rectifications, acceptances, audits, evaluations and archive files, next year's guideline with applications under
review, and the early warnings that follow from all of it. Some counties pay slowly, so the bulletin has a story.

Rows are written in bulk straight into the tables (the services' rules are proved by the tests; the demo only needs
data a user recognises); the warnings are then raised by the real rule engine."""

from __future__ import annotations

import datetime as dt
import hashlib
import random
import uuid
from pathlib import Path

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

NAMES = {
    "infrastructure": ["产业路硬化工程", "村组道路提档升级", "安全饮水巩固提升工程", "灌溉渠道改造", "便民桥新建工程", "堰塘整治"],
    "industry": ["特色种植基地建设", "茶叶加工厂房建设", "光伏发电项目", "乡村旅游配套设施", "冷链仓储设施"],
    "ecology": ["人居环境整治", "库岸绿化工程", "污水处理设施", "水土保持治理"],
    "public_service": ["村级文化活动中心", "卫生室标准化建设", "移民安置点综合服务中心", "农贸市场改造"],
    "training": ["移民实用技术培训", "移民劳动力转移就业培训"],
    "other": ["移民村集体经济发展项目"],
}
PROGRAMS = ["reservoir"] * 6 + ["three_gorges"] * 2 + ["provincial_issue"] + ["relocation"] * 2
# How fast each county pays against its physical progress (capped at what was allocated): some ahead of the schedule
# target, two far behind, so the bulletin has a ranking to report.
PACE = {"429902": 1.35, "429903": 1.15, "429921": 1.0, "429922": 0.55, "429923": 0.9, "429924": 1.3, "429925": 0.45,
        "429926": 0.8, "429981": 1.25}
PER_YEAR = 10  # projects per county and year


def _month(d: dt.date, n: int) -> dt.date:
    y, m = divmod(d.month - 1 + n, 12)
    return dt.date(d.year + y, m + 1, 1)


def _pdf_bytes(title: str) -> bytes:
    import io

    from reportlab.pdfgen import canvas

    from anju.registry.posting import cjk_font

    font = cjk_font()
    buf = io.BytesIO()
    c = canvas.Canvas(buf)
    c.setFont(font, 16)
    c.drawString(72, 760, title)
    c.setFont(font, 10)
    c.drawString(72, 730, "清江市移民后期扶持项目档案（演示文件）")
    c.save()
    return buf.getvalue()


class _Builder:
    def __init__(self, today: dt.date):
        from anju.accounts.models import User

        self.today = today
        self.rng = random.Random(4299)  # noqa: S311 (made-up data)
        self.users = {u.username: u for u in User.objects.filter(username__startswith="demo_")}
        self.projects, self.changes, self.allocations, self.payments, self.progress = [], [], [], [], []
        self.inspections, self.rectifications, self.acceptances, self.audits, self.evaluations, self.documents = [], [], [], [], [], []
        self.seq = 0
        self.voucher = 0

    # --- one project ---------------------------------------------------------------------------------------------

    def project(self, county: str, village: tuple[str, str], year: int, plan):
        from anju.projects.models import Program, Project, Stage

        rng = self.rng
        category = rng.choice(["infrastructure"] * 4 + ["industry"] * 3 + ["ecology", "public_service", "public_service", "training", "other"])
        fen = rng.randrange(30, 300) * 1_000_000 + rng.choice([0, 500_000])  # 30–300 万元
        if category == "training":
            fen = rng.randrange(5, 30) * 1_000_000
        self.seq += 1
        code, name = f"XM{county}{year}{self.seq:04d}", village[1].replace("村委会", "村").replace("社区居委会", "社区") + rng.choice(NAMES[category])
        program = rng.choice(PROGRAMS)
        planned_start = dt.date(year, rng.randint(3, 5), rng.randint(1, 28))
        planned_completion = _month(planned_start, rng.randint(5, 10)) + dt.timedelta(days=rng.randint(0, 27))
        p = Project(code=code, name=name, division_code=village[0], program=program, category=category, plan=plan, year=year,
                    content=_("建设内容：%(name)s，惠及移民群众。") % {"name": name}, planned_investment=fen,
                    beneficiaries=rng.randint(80, 1500), responsible_unit=f"{Program(program).label}项目实施单位"[:100],
                    responsible_person=rng.choice("张王李赵刘陈杨黄周吴") + rng.choice(["建国", "志强", "红梅", "海燕", "军", "伟", "芳"]),
                    responsible_phone=f"139{rng.randint(10_000_000, 99_999_999)}",
                    owner=self.users.get("demo_county_clerk") if county == "429921" else None,
                    design_institute="清江市水利水电勘测设计院" if fen >= 100_000_000 else "", design_qualified=fen >= 100_000_000,
                    planned_start=planned_start, planned_completion=planned_completion, stage=Stage.RESERVE)
        self.projects.append(p)
        return p

    def life(self, p, county: str):
        """Walk a funded project from allocation through today: money, progress, stages, checks and archive."""
        from anju.projects.models import Acceptance, Allocation, Inspection, ProgressReport, ProjectAudit, Rectification, Stage

        rng, today, year = self.rng, self.today, p.year
        stages = [(Stage.APPLIED, dt.date(year - 1, 11, rng.randint(1, 28))), (Stage.REVIEWING, dt.date(year - 1, 12, rng.randint(1, 20)))]
        alloc_date = dt.date(year, rng.randint(1, 4), rng.randint(1, 28))
        if alloc_date > today:
            alloc_date = today - dt.timedelta(days=30)
        stages.append((Stage.APPROVED, alloc_date))
        central = p.planned_investment * rng.choice([70, 80, 90]) // 100 // 100 * 100
        local = p.planned_investment - central
        doc = f"清移发〔{year}〕{rng.randint(3, 60)}号"
        self.allocations.append(Allocation(project=p, division_code=p.division_code, fund_source="three_gorges" if p.program == "three_gorges" else "central",
                                           year=year, doc_number=doc, doc_date=alloc_date, amount=central))
        if local:
            self.allocations.append(Allocation(project=p, division_code=p.division_code, fund_source="local", year=year,
                                               doc_number=f"{county[4:]}财农〔{year}〕{rng.randint(5, 90)}号",
                                               doc_date=alloc_date + dt.timedelta(days=rng.randint(5, 40)), amount=local))
        # Start: most projects start one to three months after the money; a few of this year's never do (warnings).
        delay = rng.randint(20, 100) if rng.random() > 0.12 or year < today.year else 10_000
        start = alloc_date + dt.timedelta(days=delay)
        if start > today:
            start = None
        duration = (p.planned_completion - p.planned_start).days + rng.randint(-20, 200)
        finish = start + dt.timedelta(days=duration) if start else None
        if finish and finish > today - dt.timedelta(days=5):
            finish = None
        p.actual_start, p.actual_completion = start, finish
        if start:
            stages.append((Stage.IMPLEMENTING, start))
        if finish:
            stages.append((Stage.COMPLETED, finish))
        # Monthly progress (up to last month) and payments keeping pace with it, at the county's pace.
        pace = PACE.get(county, 0.9)
        allocated = central + local
        paid = 0
        if start:
            month, last_month = start.replace(day=1), _month(today.replace(day=1), -1)
            end_month = finish.replace(day=1) if finish else last_month
            months = max(1, (end_month.year - month.year) * 12 + end_month.month - month.month + 1)
            skip_last = not finish and rng.random() < 0.1  # a few forget last month's report (a warning)
            span = months if finish else months + rng.randint(1, 5)  # unfinished work is part way through
            for i in range(months):
                m = _month(month, i)
                if m > last_month or (skip_last and m == last_month):
                    break
                share = min(1.0, (i + 1) / span)
                percent = 100 if finish and i == months - 1 else round(share * 100 * (0.95 if not finish else 1), 1)
                self.progress.append(ProgressReport(project=p, division_code=p.division_code, month=m, physical_percent=percent,
                                                    investment_completed=int(p.planned_investment * percent / 100),
                                                    problems="" if rng.random() > 0.15 else rng.choice(
                                                        ["雨季影响施工进度", "征地协调未完成", "材料价格上涨", "施工队伍不足"])))
                target = int(allocated * min(1.0, percent / 100 * (pace if year == today.year else 1.0)))
                due = min(today, _month(m, 1) - dt.timedelta(days=1))
                if target > paid and (rng.random() < 0.6 or i == months - 1):
                    self._pay(p, target - paid, due, central, local, paid)
                    paid = target
            if finish and year < today.year and paid < allocated:
                self._pay(p, allocated - paid, min(today, finish + dt.timedelta(days=rng.randint(10, 60))), central, local, paid)
                paid = allocated
        # Quality: inspections of about one in four projects under way, some findings still open (some overdue).
        if start and rng.random() < 0.3:
            on = min(today, start + dt.timedelta(days=rng.randint(20, 150)))
            insp = Inspection(project=p, division_code=p.division_code, kind=rng.choice(["quality", "safety", "progress", "funds"]),
                              on=on, inspectors="市移民局 " + rng.choice(["李工", "王科长", "陈工"]), summary=_("现场检查工程质量与安全生产"))
            self.inspections.append(insp)
            if rng.random() < 0.6:
                deadline = on + dt.timedelta(days=rng.choice([15, 30, 45]))
                closed = deadline < today and rng.random() < 0.6
                self.rectifications.append(Rectification(
                    project=p, division_code=p.division_code, source=Rectification.Source.INSPECTION, inspection=insp,
                    finding=rng.choice(["施工现场安全警示标识不全", "混凝土试块留置不足", "资金支付凭证不完整", "进度滞后于计划"]),
                    owner=p.responsible_person, deadline=deadline, state="closed" if closed else "open",
                    closed_on=min(today, deadline - dt.timedelta(days=2)) if closed else None,
                    closing_note=_("已按要求整改到位") if closed else ""))
        # After completion: acceptance, audit, evaluation, archive, as far as time allows.
        if finish:
            acc_on = finish + dt.timedelta(days=rng.randint(30, 150))
            if acc_on < today and rng.random() < 0.9:
                self.acceptances.append(Acceptance(project=p, division_code=p.division_code, on=acc_on,
                                                   conclusion=rng.choice(["passed"] * 5 + ["conditional"]),
                                                   participants=_("县移民局、乡镇政府、设计、监理、施工单位及移民代表"),
                                                   opinion=_("工程按设计完成，质量合格，同意通过验收")))
                stages.append((Stage.ACCEPTED, acc_on))
                audit_on = acc_on + dt.timedelta(days=rng.randint(30, 120))
                if audit_on < today and year <= today.year - 2:
                    self.audits.append(ProjectAudit(project=p, division_code=p.division_code, on=audit_on, auditor="清江市审计局",
                                                    amount_audited=allocated - rng.randint(0, 50) * 10_000, summary=_("资金使用规范")))
                    stages.append((Stage.AUDITED, audit_on))
                    eval_on = audit_on + dt.timedelta(days=rng.randint(20, 90))
                    if eval_on < today:
                        self.evaluations.append((p, eval_on))
                        stages.append((Stage.EVALUATED, eval_on))
                        arch_on = eval_on + dt.timedelta(days=rng.randint(10, 60))
                        if arch_on < today and year <= today.year - 3:
                            stages.append((Stage.ARCHIVED, arch_on))
        prev = Stage.RESERVE
        for stage, on in stages:
            self.changes.append((p, prev, stage, on))
            prev = stage
        p.stage, p.stage_on = prev, stages[-1][1]

    def _pay(self, p, amount: int, on: dt.date, central: int, local: int, paid_before: int) -> None:
        """Pay `amount` on `on`, from the central (or three-gorges) source first and the local match after it."""
        from anju.projects.models import Payment

        source = "three_gorges" if p.program == "three_gorges" else "central"
        first = max(0, min(amount, central - paid_before))
        for src, fen in ((source, first), ("local", amount - first)):
            if fen <= 0:
                continue
            self.voucher += 1
            self.payments.append(Payment(project=p, division_code=p.division_code, fund_source=src, paid_on=on, amount=fen,
                                         voucher=f"{on.year}-{self.voucher:06d}", payee=_("施工单位")))


def projects_step(summary) -> None:
    from anju.demo import COUNTIES
    from anju.divisions.models import Division, Level
    from anju.projects.models import (
        Application,
        ApplicationReview,
        Document,
        DocumentType,
        Evaluation,
        EvaluationTemplate,
        Guideline,
        Plan,
        PlanTarget,
        Project,
        Stage,
        StageChange,
    )

    if Project.objects.exists():
        return
    today = dt.date.today()
    year = today.year
    b = _Builder(today)
    city = "429900000000"
    clerk, admin = b.users.get("demo_city_clerk"), b.users.get("demo_city_admin")
    with transaction.atomic():
        plan14 = Plan.objects.create(name="清江市移民后期扶持“十四五”规划", start_year=2021, end_year=2025, division_code=city,
                                     state=Plan.State.CLOSED if year > 2025 else Plan.State.PUBLISHED, created_by=clerk)
        plan15 = Plan.objects.create(name="清江市移民后期扶持“十五五”规划", start_year=2026, end_year=2030, division_code=city,
                                     state=Plan.State.PUBLISHED, created_by=clerk)
        villages = {}
        for county, _name in COUNTIES:
            villages[county] = list(Division.objects.filter(level=Level.VILLAGE, code__startswith=county).order_by("code")
                                    .values_list("code", "name"))
        funded = []
        for county, _name in COUNTIES:
            for y in range(year - 3, year + 1):
                plan = plan14 if y <= 2025 else plan15
                for _i in range(PER_YEAR):
                    funded.append((b.project(county, b.rng.choice(villages[county]), y, plan), county))
            for _i in range(4):  # next year's reserve, some of them applying under the new guideline
                b.project(county, b.rng.choice(villages[county]), year + 1, plan15)
        for p, county in funded:
            b.life(p, county)
        Project.objects.bulk_create(b.projects)
        for model_rows in (b.allocations, b.payments, b.progress, b.inspections, b.rectifications, b.acceptances, b.audits):
            for row in model_rows:
                row.project_id = row.project.pk
        from anju.projects.models import Acceptance, Allocation, Inspection, Payment, ProgressReport, ProjectAudit, Rectification

        Allocation.objects.bulk_create(b.allocations, batch_size=2000)
        Payment.objects.bulk_create(b.payments, batch_size=2000)
        ProgressReport.objects.bulk_create(b.progress, batch_size=2000)
        Inspection.objects.bulk_create(b.inspections)
        for r in b.rectifications:
            r.inspection_id = r.inspection.pk
        Rectification.objects.bulk_create(b.rectifications)
        Acceptance.objects.bulk_create(b.acceptances)
        ProjectAudit.objects.bulk_create(b.audits)
        StageChange.objects.bulk_create([StageChange(project_id=p.pk, from_stage=f, to_stage=t, on=on, by=clerk) for p, f, t, on in b.changes],
                                        batch_size=2000)
        template = EvaluationTemplate.objects.filter(active=True).order_by("id").first()
        evaluations = []
        for p, on in b.evaluations:
            scores = {}
            for group in template.indicators:
                for item in group["items"]:
                    scores[item["code"]] = str(round(item["weight"] * b.rng.uniform(0.75, 1.0), 1))
            total = sum(float(v) for v in scores.values())
            grade = "excellent" if total >= 90 else "good" if total >= 80 else "fair" if total >= 60 else "poor"
            at = timezone.make_aware(dt.datetime.combine(on, dt.time(10)))
            evaluations.append(Evaluation(project_id=p.pk, template=template, division_code=p.division_code, year=on.year,
                                          state=Evaluation.State.REVIEWED, self_scores=scores, self_total=round(total, 2),
                                          review_scores=scores, review_total=round(total, 2), grade=grade,
                                          self_comment=_("项目按期完成，效益明显"), review_comment=_("同意自评结论"),
                                          submitted_at=at, reviewed_at=at, reviewed_by=admin))
        Evaluation.objects.bulk_create(evaluations)
        # Plan targets: what each county planned per category (a little above what it did, so execution is below 100%).
        targets = {}
        for p in b.projects:
            if p.plan_id:
                key = (p.plan_id, p.division_code[:6].ljust(12, "0"), p.category)
                n, fen = targets.get(key, (0, 0))
                targets[key] = (n + 1, fen + p.planned_investment)
        PlanTarget.objects.bulk_create([PlanTarget(plan_id=k[0], division_code=k[1], category=k[2], projects=n + (1 if n > 3 else 0),
                                                   investment=fen * 11 // 10 // 1_000_000 * 1_000_000) for k, (n, fen) in targets.items()])
        # Archives: every required document of the archived projects, and the applications' documents of this year's.
        pdf_cache: dict[str, bytes] = {}
        types = list(DocumentType.objects.filter(active=True))
        docs = []
        media = Path(settings.MEDIA_ROOT)
        for p in b.projects:
            if p.stage == Stage.ARCHIVED:
                wanted = [t for t in types if t.required]
            elif p.year == year and p.stage != Stage.RESERVE:
                wanted = [t for t in types if t.stage == Stage.APPLIED and t.required]
            else:
                continue
            folder = media / "projects" / str(p.pk)
            folder.mkdir(parents=True, exist_ok=True)
            for t in wanted:
                data = pdf_cache.setdefault(t.code, _pdf_bytes(t.name))
                stored = folder / f"{uuid.uuid4().hex}.pdf"
                stored.write_bytes(data)
                docs.append(Document(project_id=p.pk, doc_type=t, title=f"{p.name}{t.name}", path=str(stored.relative_to(media)),
                                     original_name=f"{t.name}.pdf", content_type="application/pdf", size=len(data),
                                     sha256=hashlib.sha256(data).hexdigest(), uploaded_by=clerk))
        Document.objects.bulk_create(docs, batch_size=2000)
        # Next year's guideline, published, with applications from the reserve: submitted, under review and scored.
        guideline = Guideline.objects.create(
            year=year + 1, title=f"{year + 1}年度清江市水库移民后期扶持项目申报指南", doc_number=f"清移发〔{year}〕88号", division_code=city,
            categories=[], programs=["reservoir", "three_gorges", "provincial_issue", "relocation"], min_investment=5_000_000,
            max_investment=500_000_000, required_documents=["feasibility", "implementation_plan", "publicity", "villager_minutes"],
            conditions=_("项目须经村民会议讨论通过并公示不少于7天"), deadline=dt.date(year, 12, 31), state=Guideline.State.PUBLISHED,
            published_by=admin, published_at=timezone.now(), created_by=clerk)
        reviewers = [u for u in (clerk, admin) if u]
        county_clerk = b.users.get("demo_county_clerk")
        for n, p in enumerate(x for x in b.projects if x.year == year + 1 and x.division_code.startswith("429921")):
            state = [Application.State.REVIEWING, Application.State.REVIEWING, Application.State.SUBMITTED, Application.State.DRAFT][n % 4]
            app = Application.objects.create(project_id=p.pk, guideline=guideline, division_code=p.division_code, requested=p.planned_investment * 8 // 10,
                                             requested_by_source={"central": p.planned_investment * 8 // 10},
                                             justification=_("改善移民生产生活条件"), state=state, created_by=county_clerk,
                                             submitted_by=county_clerk if state != Application.State.DRAFT else None,
                                             submitted_at=timezone.now() if state != Application.State.DRAFT else None)
            if state != Application.State.DRAFT:
                stage = Stage.REVIEWING if state == Application.State.REVIEWING else Stage.APPLIED
                Project.objects.filter(pk=p.pk).update(stage=stage, stage_on=today)
                StageChange.objects.create(project_id=p.pk, from_stage=Stage.RESERVE, to_stage=Stage.APPLIED, on=today, by=county_clerk)
                if stage == Stage.REVIEWING:
                    StageChange.objects.create(project_id=p.pk, from_stage=Stage.APPLIED, to_stage=Stage.REVIEWING, on=today, by=clerk)
                    for r in reviewers:
                        ApplicationReview.objects.create(application=app, reviewer=r, score=b.rng.randint(70, 95), comment=_("材料齐全，建议支持"))
    try:
        from anju.projects.services.warnings import warnings_evaluate
    except ImportError:  # the warning engine is part of this module; without it the demo still stands
        raised = 0
    else:
        raised = warnings_evaluate(actor=None, today=today).get("raised", 0)
    summary.notes.append("  " + _("扶持项目：%(n)s 个项目（%(first)s—%(last)s 年），资金下达 %(a)s 笔、支付 %(p)s 笔、月度进度 %(r)s 条；"
                                  "%(next)s 年申报指南已发布；预警 %(w)s 条") % {
        "n": len(b.projects), "first": year - 3, "last": year + 1, "a": len(b.allocations), "p": len(b.payments), "r": len(b.progress),
        "next": year + 1, "w": raised})
