"""A deterministic, realistic made-up population in the roster template (demo database, benchmarks, tests).

Households of 1–7 members with plausible relations and ages, valid resident IDs of the village's county, move
dates around the reservoirs' construction, mostly direct payment with bank cards, and relocation households at
sites. Nothing here is real data.
"""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Iterator
from dataclasses import dataclass

from stdnum import luhn

from anju.registry.resident_id import compose

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范"
            "金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史陶黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
GIVEN = "伟芳娜秀英敏静丽强磊军洋勇艳杰娟涛明超秀兰霞平刚桂英华玉兰萍红建国建华志强文国庆海燕春梅冬梅小红小平德华永红金凤家明家宝"
ETHNICITIES = ["汉族"] * 18 + ["土家族", "苗族"]


def _card(base: str) -> str:
    """A 19-digit UnionPay card number with a valid Luhn check digit."""
    return base + luhn.calc_check_digit(base)


BANKS = ["农村商业银行", "中国邮政储蓄银行", "中国农业银行", "农村信用合作联社"]


@dataclass(frozen=True)
class Village:
    county: str  # county name
    township: str
    name: str
    code: str  # 12 digits


def _name(rng: random.Random, surname: str) -> str:
    given = rng.choice(GIVEN) + (rng.choice(GIVEN) if rng.random() < 0.7 else "")
    return surname + given[:2]


class _Ids:
    """Unique resident IDs per county: sequence numbers per (county, birth date) from `start`, odd for men. The two
    programs' rosters start in different halves of the sequence space, so nobody is made twice by accident."""

    def __init__(self, start: int = 0):
        self.start = start
        self.used: dict[tuple[str, dt.date], int] = {}

    def make(self, region: str, birth: dt.date, male: bool) -> str:
        n = self.used.get((region, birth), self.start)
        while True:
            seq = n * 2 + (1 if male else 0)
            n += 1
            if seq < 1000:
                break
            birth += dt.timedelta(days=1)
            n = self.used.get((region, birth), self.start)
        self.used[(region, birth)] = n
        return compose(region, birth, seq)


def _birth(rng: random.Random, year: int) -> dt.date:
    return dt.date(year, 1, 1) + dt.timedelta(days=rng.randrange(365))


def households(rng: random.Random, n_persons: int, villages: list[Village], today: dt.date,
               prefix: str = "", id_start: int = 0) -> Iterator[tuple[Village, str, list[dict]]]:
    """(village, household number, members) until n_persons members were produced."""
    ids = _Ids(id_start)
    made = 0
    counter: dict[str, int] = {}
    while made < n_persons:
        village = rng.choice(villages)
        county6 = village.code[:6]
        counter[county6] = counter.get(county6, 0) + 1
        number = f"{prefix}{village.code[6:9]}{counter[county6]:06d}"
        size = min(n_persons - made, rng.choices([1, 2, 3, 4, 5, 6, 7], weights=[8, 18, 24, 24, 15, 8, 3])[0])
        surname = rng.choice(SURNAMES)
        head_year = rng.randint(today.year - 85, today.year - 25)
        head_male = rng.random() < 0.85
        members = [{"name": _name(rng, surname), "relation": "户主", "male": head_male, "birth": _birth(rng, head_year)}]
        for i in range(1, size):
            if i == 1 and rng.random() < 0.8:
                members.append({"name": _name(rng, rng.choice(SURNAMES)), "relation": "配偶", "male": not head_male,
                                "birth": _birth(rng, min(today.year - 20, head_year + rng.randint(-4, 4)))})
            elif i >= 4 and head_year + 50 < today.year:
                male = rng.random() < 0.5
                members.append({"name": _name(rng, surname), "relation": "孙子" if male else "孙女", "male": male,
                                "birth": _birth(rng, min(today.year - 1, head_year + rng.randint(45, 60)))})
            else:
                male = rng.random() < 0.52
                members.append({"name": _name(rng, surname), "relation": "子" if male else "女", "male": male,
                                "birth": _birth(rng, min(today.year - 1, head_year + rng.randint(20, 35)))})
        for m in members:
            m["id_number"] = ids.make(county6, m["birth"], m["male"])
            m["ethnicity"] = rng.choice(ETHNICITIES)
        made += size
        yield village, number, members


def reservoir_rows(*, seed: int, n_persons: int, villages: list[Village], reservoirs: dict[str, list[str]],
                   today: dt.date | None = None) -> Iterator[list[str]]:
    """Rows of the reservoir template (column order of roster.RESERVOIR_SPEC). `reservoirs`: county 6 digits → names."""
    rng = random.Random(seed)  # noqa: S311 (made-up data)
    today = today or dt.date.today()
    for village, number, members in households(rng, n_persons, villages, today):
        names = reservoirs[village.code[:6]]
        reservoir = rng.choice(names)
        head_birth = members[0]["birth"]
        earliest = max(head_birth.year + 16, 1958)
        move = dt.date(rng.randint(min(earliest, 2019), 2019), rng.randint(1, 12), rng.randint(1, 28))
        direct = rng.random() < 0.85
        address = f"{village.township}{village.name}{rng.randint(1, 12)}组{rng.randint(1, 99)}号"
        phone = f"1{rng.choice('35789')}{rng.randrange(10**9):09d}"
        for i, m in enumerate(members):
            member_move = max(move, m["birth"])
            bank = _card(f"6217{rng.randrange(10**14):014d}") if direct else ""
            yield [village.county, village.township, village.name, number, m["name"], m["id_number"], "男" if m["male"] else "女",
                   m["birth"].isoformat(), m["ethnicity"], m["relation"], phone if i == 0 else "", address, reservoir,
                   member_move.isoformat(), f"{reservoir}淹没区", "", "直补" if direct else "项目扶持",
                   rng.choice(BANKS) if direct else "", bank]


def relocation_rows(*, seed: int, n_persons: int, villages: list[Village], sites: dict[str, list[str]],
                    today: dt.date | None = None) -> Iterator[list[str]]:
    """Rows of the relocation template. `sites`: county 6 digits → site names (concentrated placement)."""
    rng = random.Random(seed)  # noqa: S311
    today = today or dt.date.today()
    for village, number, members in households(rng, n_persons, villages, today, prefix="B", id_start=250):
        concentrated = rng.random() < 0.76 and sites.get(village.code[:6])
        site = rng.choice(sites[village.code[:6]]) if concentrated else ""
        year = rng.randint(2016, 2020)
        area = f"{rng.uniform(15, 25):.2f}"
        address = f"{village.township}{village.name}{rng.randint(1, 30)}栋{rng.randint(101, 699)}室"
        for m in members:
            yield [village.county, village.township, village.name, number, m["name"], m["id_number"], "男" if m["male"] else "女",
                   m["birth"].isoformat(), m["ethnicity"], m["relation"], "", address, "是" if rng.random() < 0.9 else "否", str(year),
                   "集中安置" if concentrated else "分散安置", "城镇" if concentrated else "农村", area, site]
