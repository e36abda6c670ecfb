"""The demo database: a fictional city (清江市, code 4299) with 9 counties, their townships and villages,
and one account per role. Idempotent. Later modules append their own steps to DEMO_STEPS."""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field

from django.db import transaction

DEMO_PASSWORD = "Demo@2026anju"  # noqa: S105 (printed demo credential, demo database only)
CITY = ("429900000000", "清江市")
PROVINCE = ("420000000000", "湖北省")
COUNTIES = [
    ("429902", "江城区"), ("429903", "清溪区"), ("429921", "白云县"), ("429922", "青山县"), ("429923", "石门县"),
    ("429924", "桃源县"), ("429925", "龙泉县"), ("429926", "长岭县"), ("429981", "安宁市"),
]
_HEADS = "东西南北上下新老大小高长清白黄青红石金银龙凤桃李杨柳松柏梅竹兰茶枫桂河溪江湖山岭坪坝沟湾岩峰"
_TAILS = "家坪岭河湾坝口岗桥店铺沟垭冲坡园庄集寨台营场"


def _name(rng: random.Random, used: set[str], length: int = 2) -> str:
    while True:
        name = "".join(rng.choice(_HEADS) for _ in range(length - 1)) + rng.choice(_TAILS)
        if name not in used and name[0] != name[-1]:
            used.add(name)
            return name


def demo_division_rows() -> list[tuple[str, str, int, str | None]]:
    """Deterministic divisions with NBS-consistent codes (街道 001–099, 镇 100–199, 乡 200–399;
    居委会 001–199, 村委会 200–399)."""
    rng = random.Random(4299)  # noqa: S311  (demo names, not security)
    rows: list[tuple[str, str, int, str | None]] = [(PROVINCE[0], PROVINCE[1], 1, None), (CITY[0], CITY[1], 2, PROVINCE[0])]
    used: set[str] = set()
    for county, county_name in COUNTIES:
        county_code = county.ljust(12, "0")
        rows.append((county_code, county_name, 3, CITY[0]))
        urban = int(county[4:]) <= 20 or int(county[4:]) >= 81
        n_streets = rng.randint(2, 4) if urban else 1
        n_towns = rng.randint(4, 8)
        n_xiang = 0 if urban else rng.randint(2, 4)
        townships = [(f"{i:03d}", "街道") for i in range(1, n_streets + 1)]
        townships += [(f"{100 + i:03d}", "镇") for i in range(1, n_towns + 1)]
        townships += [(f"{200 + i:03d}", "乡") for i in range(1, n_xiang + 1)]
        for t_code, suffix in townships:
            township = f"{county}{t_code}".ljust(12, "0")
            rows.append((township, _name(rng, used) + suffix, 4, county_code))
            if suffix == "街道":
                villages = [(f"{i:03d}", "社区居委会") for i in range(1, rng.randint(3, 5) + 1)]
            else:
                villages = [(f"{i:03d}", "社区居委会") for i in range(1, 2)]
                villages += [(f"{200 + i:03d}", "村委会") for i in range(1, rng.randint(4, 7) + 1)]
            for v_code, v_suffix in villages:
                rows.append((f"{county}{t_code}{v_code}", _name(rng, used) + v_suffix, 5, township))
    return rows


@dataclass
class DemoSummary:
    divisions: dict = field(default_factory=dict)
    accounts: list[tuple[str, str, str, str, bool]] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def render(self) -> str:
        from django.utils.translation import gettext as _

        d = self.divisions
        lines = [
            _("演示数据已就绪"),
            "  " + _("区划：新增 %(inserted)s，更新 %(updated)s，未变 %(unchanged)s")
            % {"inserted": d.get("inserted", 0), "updated": d.get("updated", 0), "unchanged": d.get("unchanged", 0)},
            "",
            "  " + _("演示账号（密码均为 %(password)s）：") % {"password": DEMO_PASSWORD},
        ]
        width = max(len(a[0]) for a in self.accounts) if self.accounts else 0
        for username, role, scope_code, scope_name, totp in self.accounts:
            note = _("首次登录须绑定认证器") if totp else ""
            lines.append(f"  {username:<{width}}  {role}，{scope_name}（{scope_code}）  {note}".rstrip())
        lines += ["", "  " + _("建议先用 demo_county_clerk 登录；管理员角色首次登录会要求用认证器应用扫码绑定。"), *self.notes]
        return "\n".join(lines)


DemoStep = Callable[[DemoSummary], None]


def _divisions_step(summary: DemoSummary) -> None:
    from anju.divisions.services import divisions_load

    report = divisions_load(actor=None, rows=demo_division_rows(), source="demo")
    summary.divisions = report.as_dict()


DEMO_ACCOUNTS = [
    ("demo_city_admin", "city_admin", "4299"), ("demo_city_clerk", "city_clerk", "4299"),
    ("demo_county_reviewer", "county_reviewer", "429921"), ("demo_county_clerk", "county_clerk", "429921"),
    ("demo_township_clerk", "township_clerk", "429921101"), ("demo_finance", "finance", "4299"),
    ("demo_auditor", "auditor", "4299"), ("demo_leader", "leader", "4299"),
    ("demo_sysadmin", "sysadmin", "4299"), ("demo_secadmin", "secadmin", "4299"), ("demo_auditadmin", "auditadmin", "4299"),
]


def _accounts_step(summary: DemoSummary) -> None:
    from anju.accounts.models import SecurityPolicy, User
    from anju.accounts.roles import ROLES
    from anju.accounts.services import operator_set_password, user_create
    from anju.divisions.models import Division

    policy = SecurityPolicy.current()
    for username, role_code, scope in DEMO_ACCOUNTS:
        role = ROLES[role_code]
        division = Division.objects.get(code=scope.ljust(12, "0"))
        user = User.objects.filter(username=username).first()
        if user is None:
            user = user_create(actor=None, username=username, role=role, entry_scope=division, password=DEMO_PASSWORD,
                               full_name=f"演示{role.name}", must_change_password=False)
        elif not user.check_password(DEMO_PASSWORD):
            operator_set_password(user=user, password=DEMO_PASSWORD)
        summary.accounts.append((username, str(role.name), scope, division.name, policy.totp_required(user)))


def _population_step(summary: DemoSummary) -> None:
    from anju.registry.demo import population_step

    population_step(summary)


def _requests_step(summary: DemoSummary) -> None:
    from anju.registry.demo import requests_step

    requests_step(summary)


def _verification_step(summary: DemoSummary) -> None:
    from anju.registry.demo import verification_step

    verification_step(summary)


def _subsidies_step(summary: DemoSummary) -> None:
    from anju.subsidies.demo import subsidies_step

    subsidies_step(summary)


def _projects_step(summary: DemoSummary) -> None:
    from anju.projects.demo import projects_step

    projects_step(summary)


def _relocation_step(summary: DemoSummary) -> None:
    from anju.relocation.demo import relocation_step

    relocation_step(summary)


DEMO_STEPS: list[DemoStep] = [_divisions_step, _accounts_step, _population_step, _verification_step, _requests_step, _subsidies_step,
                              _projects_step, _relocation_step]


def build_demo() -> DemoSummary:
    summary = DemoSummary()
    with transaction.atomic():
        for step in DEMO_STEPS:
            step(summary)
    return summary
