"""Demo data: a deterministic, realistic Chinese company that sells on credit.

``generate(customers, months, seed, as_of)`` is pure: the same arguments give the same rows, every
time, on every machine (one ``random.Random`` per customer seeded from ``seed``; no global random,
no wall clock). It builds dealers, enterprises, government units and exporters across the provinces,
their contacts, ``months`` months of invoices before ``as_of``, and the payments, credit notes (红字),
disputes, promises and collection activities that the BRIEF's kinds of debtor leave behind:

============  ==============================================================================
good          pays on or just before the due date
slow          slow but sure: 10–40 days late, always in full
deliberate    恶意欠款: pays the early invoices, then promises and part-payments, then silence
technical     技术性欠款: a good payer until a shock; part-payments and a kept instalment plan
competitive   竞争性欠款: pays late and only after pressure, in lumps covering several invoices
grievance     原由性欠款: disputes (quality, short delivery, rebate owed …) and withholds them
============  ==============================================================================

Amounts are integer fen inside and decimal text (``"1234.50"``) in the rows, the form the importer
reads. Payments are allocated here exactly as the ledger allocates them (``domain.allocation``: the
named invoice first, otherwise oldest due first) so the generator knows every invoice's open amount;
credit notes only touch invoices paid by named payments, so loading in the order customers →
contacts → invoices → payments → credit notes leaves no unapplied money and the database's open
balance equals ``DemoCompany.open_minor``.

``load(app, company)`` writes a company through the import, ledger and collection services.
"""

from __future__ import annotations

import calendar
import random
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.allocation import allocate
from ..domain.errors import RuleViolation
from ..domain.ledger import OpenItem
from ..domain.money import format_minor
from ..domain.terms import due_date, parse_terms
from .ports import NoProgress, ProgressSink

TZ = ZoneInfo("Asia/Shanghai")
YUAN = 100  # fen per yuan


class DebtorKind(StrEnum):
    GOOD = "good"
    SLOW = "slow"
    DELIBERATE = "deliberate"  # 恶意欠款
    TECHNICAL = "technical"  # 技术性欠款
    COMPETITIVE = "competitive"  # 竞争性欠款
    GRIEVANCE = "grievance"  # 原由性欠款


# Shares in percent; every kind appears once a company has six customers or more.
KIND_SHARES = ((DebtorKind.GOOD, 40), (DebtorKind.SLOW, 25), (DebtorKind.TECHNICAL, 10),
               (DebtorKind.COMPETITIVE, 10), (DebtorKind.GRIEVANCE, 8), (DebtorKind.DELIBERATE, 7))

# (name prefix, province, region). Prefixes are written the way company names use them.
PLACES = (
    ("成都", "四川", "西南"), ("成都市武侯区", "四川", "西南"), ("绵阳", "四川", "西南"), ("重庆", "重庆", "西南"),
    ("重庆市渝北区", "重庆", "西南"), ("昆明", "云南", "西南"), ("贵阳", "贵州", "西南"),
    ("广州", "广东", "华南"), ("佛山市南海区", "广东", "华南"), ("佛山市顺德区", "广东", "华南"),
    ("东莞", "广东", "华南"), ("深圳市宝安区", "广东", "华南"), ("中山", "广东", "华南"), ("南宁", "广西", "华南"),
    ("厦门", "福建", "华南"), ("泉州", "福建", "华南"),
    ("上海", "上海", "华东"), ("杭州", "浙江", "华东"), ("宁波", "浙江", "华东"), ("义乌", "浙江", "华东"),
    ("温州市瓯海区", "浙江", "华东"), ("苏州", "江苏", "华东"), ("无锡", "江苏", "华东"), ("南京", "江苏", "华东"),
    ("常州市武进区", "江苏", "华东"), ("合肥", "安徽", "华东"), ("济南", "山东", "华东"), ("临沂", "山东", "华东"),
    ("青岛", "山东", "华东"), ("北京", "北京", "华北"), ("天津", "天津", "华北"), ("石家庄", "河北", "华北"),
    ("保定", "河北", "华北"), ("太原", "山西", "华北"), ("郑州", "河南", "华中"), ("武汉", "湖北", "华中"),
    ("长沙", "湖南", "华中"), ("南昌", "江西", "华中"), ("西安", "陕西", "西北"), ("兰州", "甘肃", "西北"),
    ("沈阳", "辽宁", "东北"), ("哈尔滨", "黑龙江", "东北"),
)
WORDS = (
    "蓉信", "明辉", "鑫达", "恒通", "宏远", "华盛", "金源", "瑞丰", "永安", "联创", "盛世", "嘉禾", "天润", "博远",
    "新宇", "汇丰", "正泰", "隆昌", "兴业", "富源", "佳美", "鼎盛", "万通", "德顺", "广源", "中恒", "东方红",
    "顺发", "昌盛", "晨光", "海纳", "锦程", "润达", "宝丰", "荣华", "益民", "诚信", "亿家", "通达", "启航",
    "安泰", "福临", "百川", "金桥", "龙腾", "聚贤", "美家", "鸿运",
)
SUFFIXES = {
    "dealer": ("商贸有限公司", "五金经营部", "建材商行", "贸易有限公司", "电器销售中心", "百货批发部",
               "日用品经营部", "五金机电有限公司", "水暖器材店", "商贸行"),
    "enterprise": ("机械制造有限公司", "电子科技有限公司", "实业有限公司", "食品有限公司", "家具有限公司",
                   "包装材料有限公司", "汽车配件有限公司", "建设工程有限公司"),
    "export": ("进出口有限公司", "国际贸易有限公司", "外贸有限公司"),
}
GOVERNMENT_UNITS = ("市第一人民医院", "区教育局", "市政工程管理处", "县交通运输局", "市职业技术学院",
                    "区机关事务管理局", "市水务局", "街道办事处", "区人民医院", "市公安局后勤处")
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈"
GIVEN = ("伟", "芳", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超",
         "秀兰", "霞", "平", "刚", "桂英", "建华", "志强", "海燕", "晓东", "春梅", "国庆", "丽娟", "文斌", "红梅",
         "建国", "玉兰", "小军", "亚男", "思远", "子豪", "欣怡", "浩然", "雨萱")
BEST_TIMES = ("15:30-17:00", "09:30-11:30", "14:00-16:00", "周一上午", "每月初", "下午三点半左右", "10:00-11:00")
SEGMENT = {"dealer": "经销", "enterprise": "直营", "government": "政府", "export": "出口"}

EXCUSE_NOTES = {
    "payer_away": "负责付款的财务不在，说回来再安排",
    "no_money": "账上暂时没钱，等下游回款",
    "not_due": "对方认为还没到期",
    "goods_unsold": "上批货还没卖完，卖完再付",
    "buyers_unpaid": "他们的客户还没付款给他们",
    "quality": "客户投诉上批货有质量问题，要求先处理",
    "documents_missing": "缺增值税专用发票，发票到了才能付",
    "statement_mismatch": "对账单金额对不上，要求重新对账",
    "boss_travelling": "老板出差，回来签字才能付",
    "in_approval": "付款申请在走审批流程",
}
DISPUTE_NOTES = {
    "quality": "部分货物质量不合格，客户要求退换",
    "short_delivery": "到货数量比送货单少",
    "damaged": "运输途中包装破损",
    "documents_missing": "缺质检报告和专用发票",
    "rebate_owed": "上季度返利未兑现，客户要求先抵扣",
    "promotion_owed": "促销支持费用未兑现",
    "pricing": "开票单价与合同价不符",
}


@dataclass(frozen=True, slots=True)
class DemoDispute:
    customer_code: str
    invoice_no: str
    amount_minor: int
    category: str
    opened_on: date
    note: str


@dataclass(frozen=True, slots=True)
class DemoPromise:
    customer_code: str
    amount_minor: int
    promised_on: date
    made_on: date
    invoices: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class DemoActivity:
    customer_code: str
    at: datetime  # aware, company time zone
    channel: str
    outcome: str
    excuse: str | None
    note: str | None
    actor: str


@dataclass(frozen=True, slots=True)
class DemoCompany:
    seed: int
    as_of: date
    months: int
    customers: tuple[dict[str, object], ...]
    contacts: tuple[dict[str, object], ...]
    invoices: tuple[dict[str, object], ...]
    payments: tuple[dict[str, object], ...]
    credit_notes: tuple[dict[str, object], ...]
    disputes: tuple[DemoDispute, ...]
    promises: tuple[DemoPromise, ...]
    activities: tuple[DemoActivity, ...]
    kinds: tuple[tuple[str, DebtorKind], ...]  # (customer_code, kind)
    open_by_invoice: tuple[tuple[str, int], ...]  # (invoice_no, open fen) after everything

    @property
    def window_start(self) -> date:
        """Invoices are dated after this day and on or before ``as_of``."""
        return add_months(self.as_of, -self.months)

    def sections(self) -> tuple[tuple[str, tuple[dict[str, object], ...]], ...]:
        """Import kinds with their rows, in the order they must be loaded."""
        return (("customers", self.customers), ("contacts", self.contacts), ("invoices", self.invoices),
                ("payments", self.payments), ("credit-notes", self.credit_notes))

    @property
    def open_minor(self) -> int:
        return sum(m for _, m in self.open_by_invoice)

    def overdue_minor(self) -> int:
        due = {str(r["invoice_no"]): date.fromisoformat(str(r["due_date"])) for r in self.invoices}
        return sum(m for no, m in self.open_by_invoice if due[no] < self.as_of)


def add_months(d: date, n: int) -> date:
    y, m = divmod(d.month - 1 + n, 12)
    year, month = d.year + y, m + 1
    return date(year, month, min(d.day, calendar.monthrange(year, month)[1]))


def deal_kinds(n: int, rng: random.Random) -> list[DebtorKind]:
    """Kinds in the KIND_SHARES proportions, each at least once when n >= 6, in shuffled order."""
    counts = {k: max(1 if n >= len(KIND_SHARES) else 0, n * share // 100) for k, share in KIND_SHARES}
    while sum(counts.values()) > n:
        counts[DebtorKind.GOOD if counts[DebtorKind.GOOD] > 1 else DebtorKind.SLOW] -= 1
    counts[DebtorKind.GOOD] += n - sum(counts.values())
    kinds = [k for k, c in counts.items() for _ in range(c)]
    rng.shuffle(kinds)
    return kinds


def person_name(rng: random.Random) -> str:
    return rng.choice(SURNAMES) + rng.choice(GIVEN)


def staff(rng: random.Random, n: int) -> list[str]:
    names: list[str] = []
    while len(names) < n:
        name = person_name(rng)
        if name not in names:
            names.append(name)
    return names


def _pick(rng: random.Random, weighted: Iterable[tuple[Any, int]]) -> Any:
    items = list(weighted)
    return rng.choices([v for v, _ in items], weights=[w for _, w in items])[0]


def customer_row(i: int, rng: random.Random, collectors: list[str], sales: list[str],
                 taken: set[str]) -> dict[str, object]:
    """One customer master row; ``taken`` keeps names unique across the company."""
    ctype = _pick(rng, (("dealer", 70), ("enterprise", 18), ("government", 7), ("export", 5)))
    prefix, _province, region = rng.choice(PLACES)
    for attempt in range(20):
        if ctype == "government":
            name = prefix + rng.choice(GOVERNMENT_UNITS)
        else:
            name = prefix + rng.choice(WORDS) + rng.choice(SUFFIXES[ctype])
        if attempt >= 10:
            name += f"（第{attempt - 9}分部）"
        if name not in taken:
            break
    else:  # pragma: no cover - 20 collisions in a row needs far more customers than the name space
        name = f"{name}（{i}）"
    taken.add(name)
    terms = {
        "dealer": (("cash", 12), ("net 30", 18), ("net 60", 8), ("eom 30", 30), ("eom 60", 10), ("day 25", 22)),
        "enterprise": (("net 30", 20), ("net 60", 25), ("eom 30", 25), ("eom 60", 20), ("day 25", 10)),
        "government": (("eom 60", 50), ("net 90", 50)),
        "export": (("net 60", 60), ("net 90", 30), ("cash", 10)),
    }[ctype]
    term = _pick(rng, terms)
    limit_yuan = {"dealer": (5, 80), "enterprise": (20, 200), "government": (50, 300), "export": (30, 150)}[ctype]
    limit = 0 if term == "cash" else rng.randint(*limit_yuan) * 10_000 * YUAN
    return {
        "customer_code": f"KH{i:06d}",
        "name": name,
        "type": ctype,
        "terms": term,
        "credit_limit": format_minor(limit),
        "segment": SEGMENT[ctype],
        "collector": rng.choice(collectors),
        "sales_owner": rng.choice(sales),
        "region": region,
        "deliver_two_settle_one": "true" if ctype == "dealer" and term != "cash" and rng.random() < 0.2 else "false",
        "requires_statement": "true" if ctype in ("enterprise", "government") or rng.random() < 0.3 else "false",
    }


def contact_rows(customer: dict[str, object], rng: random.Random, phone_seq: Callable[[], int]) -> list[dict]:
    roles = {"dealer": ["owner", "finance"], "enterprise": ["finance", "signatory", "purchasing"],
             "government": ["finance", "signatory"], "export": ["finance", "purchasing"]}[str(customer["type"])]
    if rng.random() < 0.4:
        roles = roles[:1]
    if rng.random() < 0.1:
        roles.append("legal_rep")
    code = str(customer["customer_code"]).lower()
    rows, names = [], set()
    for role in roles:
        name = person_name(rng)
        while name in names:
            name = person_name(rng)
        names.add(name)
        n = phone_seq()
        rows.append({
            "customer_code": customer["customer_code"],
            "name": name,
            "role": role,
            "phone": f"1{38 + n // 10_000 % 10}0000{n % 10_000:04d}",  # 1380000xxxx, 1390000xxxx … clearly fake
            "email": f"{role.replace('_', '')}.{code}@example.com",
            "best_time": rng.choice(BEST_TIMES),
            "do_not_contact": "true" if rng.random() < 0.03 else "false",
        })
    return rows


def _workday(d: date) -> date:
    """Business documents are dated Monday–Saturday in this demo (no holiday data needed)."""
    return d + timedelta(days=1) if d.weekday() == 6 else d


@dataclass(eq=False)
class _Invoice:
    idx: int
    code: str
    on: date
    due: date
    amount: int
    credit: int = 0
    paid: int = 0
    disputed: int = 0
    number: str = ""

    @property
    def open(self) -> int:
        return self.amount - self.credit - self.paid

    def item(self) -> OpenItem:
        # The sort key stands in for the number (assigned later, in date order within a customer).
        return OpenItem(self.idx, f"{self.on.isoformat()}#{self.idx:09d}", self.due, self.open)


@dataclass(eq=False)
class _Payment:
    code: str
    on: date
    amount: int
    method: str
    named: _Invoice | None
    bill_maturity: date | None
    idx: int  # creation order within the customer: the tie-break for numbering
    number: str = ""


@dataclass(eq=False)
class _CreditNote:
    code: str
    invoice: _Invoice
    on: date
    amount: int
    idx: int
    number: str = ""


@dataclass
class _Customer:
    """One customer's story, simulated in date order so allocation matches the ledger's."""

    row: dict[str, object]
    kind: DebtorKind
    rng: random.Random
    as_of: date
    invoices: list[_Invoice] = field(default_factory=list)
    payments: list[_Payment] = field(default_factory=list)
    credit_notes: list[_CreditNote] = field(default_factory=list)
    disputes: list[tuple[_Invoice, int, str, date]] = field(default_factory=list)
    promises: list[tuple[date, date, int, tuple[_Invoice, ...]]] = field(default_factory=list)
    activities: list[DemoActivity] = field(default_factory=list)

    @property
    def code(self) -> str:
        return str(self.row["customer_code"])

    @property
    def collector(self) -> str:
        return str(self.row["collector"])

    # -- ledger moves ---------------------------------------------------------------------------
    def pay(self, on: date, amount: int, named: _Invoice | None = None, method: str | None = None) -> int:
        """Record a payment on ``on`` (skipped after as_of) and allocate it like the ledger does."""
        on = _workday(on)
        items = [i.item() for i in self.invoices if i.open > 0 and i.on <= on]
        amount = min(amount, sum(i.open_minor for i in items))
        if on > self.as_of or amount <= 0:
            return 0
        alloc = allocate(amount, items, named.idx if named is not None else None)
        by_idx = {i.idx: i for i in self.invoices}
        for idx, minor in alloc.lines:
            by_idx[idx].paid += minor
        method = method or self._method(amount)
        maturity = on + timedelta(days=self.rng.choice((90, 120, 180))) if method == "acceptance_bill" else None
        self.payments.append(_Payment(self.code, on, amount, method, named, maturity, len(self.payments)))
        return amount

    def _method(self, amount: int) -> str:
        r = self.rng.random()
        if amount >= 50_000 * YUAN and self.row["type"] in ("dealer", "enterprise") and r < 0.18:
            return "acceptance_bill"  # 承兑汇票
        if amount <= 20_000 * YUAN and self.row["type"] == "dealer" and r > 0.95:
            return "cash"
        return "cheque" if r > 0.97 else "transfer"

    def overdue_open(self, on: date) -> int:
        return sum(i.open for i in self.invoices if i.due < on and i.open > 0)

    def contact(self, on: date, channel: str, outcome: str, excuse: str | None = None,
                note: str | None = None) -> None:
        on = _workday(on)
        if on > self.as_of:
            return
        hour, minute = self.rng.choice(((15, 30), (15, 30), (10, 0), (14, 20), (16, 10), (9, 40)))
        at = datetime.combine(on, time(hour, minute + self.rng.randint(0, 19)), TZ)
        if note is None and excuse is not None:
            note = EXCUSE_NOTES.get(excuse)
        self.activities.append(DemoActivity(self.code, at, channel, outcome, excuse, note, self.collector))

    def promise(self, made_on: date, promised_on: date, amount: int, invoices: Iterable[_Invoice] = ()) -> None:
        made_on = _workday(made_on)
        if made_on > self.as_of or amount <= 0:
            return
        self.promises.append((made_on, _workday(promised_on), amount, tuple(invoices)))


def _invoices(c: _Customer, start: date, terms_text: str, rng: random.Random) -> None:
    terms = parse_terms(terms_text)
    ctype = str(c.row["type"])
    per_month = {"dealer": (1, 4), "enterprise": (1, 3), "government": (0, 1), "export": (1, 2)}[ctype]
    lo, hi = {"dealer": (5_000, 300_000), "enterprise": (20_000, 800_000), "government": (50_000, 1_500_000),
              "export": (30_000, 600_000)}[ctype]
    first = start if rng.random() < 0.8 else start + timedelta(days=rng.randint(0, max(0, (c.as_of - start).days - 45)))
    month = date(first.year, first.month, 1)
    while month <= c.as_of:
        last = min(c.as_of, add_months(month, 1) - timedelta(days=1))
        for _ in range(rng.randint(*per_month)):
            on = _workday(month + timedelta(days=rng.randint(0, (last - month).days)))
            if not first < on <= c.as_of:
                continue
            # Log-uniform between lo and hi: many small invoices, a few large ones.
            yuan = int(lo * (hi / lo) ** rng.random())
            fen = rng.choice((0, 0, 0, 50, rng.randint(1, 99)))
            c.invoices.append(_Invoice(len(c.invoices), c.code, on, due_date(on, terms), yuan * YUAN + fen))
        month = add_months(month, 1)
    c.invoices.sort(key=lambda i: (i.on, i.idx))
    for n, inv in enumerate(c.invoices):
        inv.idx = n


def _returns(c: _Customer) -> None:
    """Credit notes (红字, goods returned) on a few invoices paid invoice by invoice."""
    for inv in c.invoices:
        if c.rng.random() < 0.05:
            on = _workday(inv.on + timedelta(days=c.rng.randint(3, 25)))
            if on <= c.as_of:
                inv.credit = inv.amount * c.rng.randint(3, 20) // 100 // YUAN * YUAN or inv.amount
                c.credit_notes.append(_CreditNote(c.code, inv, on, inv.credit, len(c.credit_notes)))


def _on_time(c: _Customer, inv: _Invoice, late: tuple[int, int] = (-5, 0)) -> date:
    on = inv.due + timedelta(days=c.rng.randint(*late))
    return max(on, inv.on, *(n.on for n in c.credit_notes if n.invoice is inv))


def _simulate_good(c: _Customer) -> None:
    _returns(c)
    for inv in c.invoices:
        c.pay(_on_time(c, inv), inv.open, named=inv)
    if c.row["requires_statement"] == "true":
        for inv in c.invoices[-3:]:
            c.contact(inv.on + timedelta(days=5), "email", "sent", note="对账单已发送")


def _simulate_slow(c: _Customer) -> None:
    _returns(c)
    for inv in c.invoices:
        on = _on_time(c, inv, (10, 40))
        if inv.due + timedelta(days=7) <= c.as_of:
            excuse = c.rng.choice(("in_approval", "payer_away", "statement_mismatch", "boss_travelling"))
            c.contact(inv.due + timedelta(days=3), "phone", "reached", excuse)
            if c.rng.random() < 0.3:
                c.contact(inv.due + timedelta(days=6), "phone", "promised", excuse)
                c.promise(inv.due + timedelta(days=6), on, inv.open, (inv,))
        c.pay(on, inv.open, named=inv)


def _simulate_deliberate(c: _Customer) -> None:
    """Warm and punctual, then promises and part-payments, then silence (seed 004)."""
    rng = c.rng
    promise_from = c.as_of - timedelta(days=rng.randint(150, 210))
    silence_from = c.as_of - timedelta(days=rng.randint(60, 100))
    for inv in c.invoices:
        if promise_from - timedelta(days=60) <= inv.on < silence_from:
            inv.amount = inv.amount * rng.randint(2, 3)  # warning sign: unusually large orders before it goes quiet
    for inv in c.invoices:
        on = _on_time(c, inv, (-3, 3))
        if on < promise_from:
            c.pay(on, inv.open, named=inv)
        elif on < silence_from:
            part = inv.open * rng.randint(30, 60) // 100 // YUAN * YUAN
            c.pay(min(silence_from - timedelta(days=1), on + timedelta(days=rng.randint(20, 50))), part, named=inv)
    day = promise_from
    while day < silence_from:
        overdue = c.overdue_open(day)
        if overdue:
            c.contact(day, "phone", "promised", rng.choice(("goods_unsold", "buyers_unpaid", "not_due")),
                      note="态度很好，说下周一定安排付款")
            c.promise(day, day + timedelta(days=rng.randint(7, 14)), overdue)
        day += timedelta(days=rng.randint(20, 35))
    day = silence_from + timedelta(days=5)
    c.promise(day, day + timedelta(days=10), c.overdue_open(day))
    c.contact(day, "phone", "promised", "boss_travelling", note="说老板回来马上付，之后电话就打不通了")
    while day < c.as_of:
        day += timedelta(days=rng.randint(4, 10))
        c.contact(day, rng.choice(("phone", "phone", "sms")), rng.choice(("no_answer", "no_answer", "left_message")))
    c.contact(c.as_of - timedelta(days=rng.randint(1, 6)), "visit", "refused", "payer_away",
              note="上门拜访，店员说老板不在，财务电话已换号")


def _simulate_technical(c: _Customer) -> None:
    """A good payer hit by a shock: apologetic, part-payments, an instalment plan it keeps."""
    rng = c.rng
    shock = c.as_of - timedelta(days=rng.randint(90, 150))
    for inv in c.invoices:
        on = _on_time(c, inv)
        if on < shock:
            c.pay(on, inv.open, named=inv)
    plan_on = shock + timedelta(days=rng.randint(15, 30))
    c.contact(plan_on - timedelta(days=3), "phone", "reached", rng.choice(("no_money", "buyers_unpaid")),
              note="今年行情不好，下游回款慢，老板主动打电话道歉，申请分期还款")
    c.contact(plan_on, "visit", "promised", "no_money", note="上门面谈，签了分期还款计划")
    # The plan covers the whole balance at plan_on; later deliveries are paid in part, invoice by
    # invoice (never touching the plan's invoices, which are all older).
    owed = sum(i.open for i in c.invoices if i.on <= plan_on)
    for inv in c.invoices:
        if inv.on > plan_on:
            part = inv.open * rng.randint(40, 80) // 100 // YUAN * YUAN
            c.pay(inv.due + timedelta(days=rng.randint(5, 30)), part, named=inv)
    parts = rng.randint(3, 5)
    share = owed // parts // YUAN * YUAN  # whole yuan; the last instalment takes the remainder
    for k in range(parts):
        due_k = plan_on + timedelta(days=30 * (k + 1))
        amount = share if k < parts - 1 else owed - share * (parts - 1)
        c.promise(plan_on, due_k, amount)
        paid = amount if rng.random() < 0.85 else amount // 2 // YUAN * YUAN
        c.pay(due_k + timedelta(days=rng.randint(-2, 3)), paid)
        c.contact(due_k + timedelta(days=4), "phone", "paid" if paid == amount else "promised",
                  None if paid == amount else "no_money")


def _simulate_competitive(c: _Customer) -> None:
    """Pays whoever presses hardest: lumps after pressure, never on time (seed 004)."""
    rng = c.rng
    day = c.invoices[0].due + timedelta(days=rng.randint(20, 40)) if c.invoices else c.as_of
    while day <= c.as_of:
        overdue = c.overdue_open(day)
        if overdue:
            c.contact(day, "phone", "refused", rng.choice(("payer_away", "in_approval", "no_money")),
                      note="说欠很多供应商的钱，谁催得紧先付谁")
            c.contact(day + timedelta(days=7), "phone", "reached", "boss_travelling")
            visit = day + timedelta(days=rng.randint(12, 20))
            c.contact(visit, "visit", "promised", note="上门催收，当面答应月底前付一部分")
            lump = overdue * rng.randint(60, 100) // 100 // YUAN * YUAN
            c.promise(visit, visit + timedelta(days=10), lump)
            c.pay(visit + timedelta(days=rng.randint(5, 15)), lump)
        day += timedelta(days=rng.randint(45, 75))


def _simulate_grievance(c: _Customer) -> None:
    """Unhappy with our goods or service: withholds the disputed part, pays the rest slowly."""
    rng = c.rng
    _returns(c)
    candidates = [i for i in c.invoices if i.credit == 0 and i.on + timedelta(days=20) <= c.as_of]
    disputed = set(rng.sample(candidates, k=min(len(candidates), rng.randint(1, 3))))
    for inv in c.invoices:
        if inv in disputed:
            category = rng.choice(tuple(DISPUTE_NOTES))
            amount = inv.amount if rng.random() < 0.25 else inv.amount * rng.randint(10, 60) // 100 // YUAN * YUAN
            inv.disputed = amount
            opened = _workday(inv.on + timedelta(days=rng.randint(7, 20)))
            c.disputes.append((inv, amount, category, opened))
            c.contact(opened, "phone", "disputed", "quality" if category in ("quality", "damaged") else
                      "documents_missing" if category == "documents_missing" else "statement_mismatch",
                      note=DISPUTE_NOTES[category])
        c.pay(_on_time(c, inv, (0, 25)), inv.open - inv.disputed, named=inv)


SIMULATE = {DebtorKind.GOOD: _simulate_good, DebtorKind.SLOW: _simulate_slow,
            DebtorKind.DELIBERATE: _simulate_deliberate, DebtorKind.TECHNICAL: _simulate_technical,
            DebtorKind.COMPETITIVE: _simulate_competitive, DebtorKind.GRIEVANCE: _simulate_grievance}


def _number(items: list[Any], prefix: str, when: Callable[[Any], date], width: int) -> None:
    """Document numbers in date order, a sequence per month: XS202511-00012."""
    items.sort(key=lambda x: (when(x), x.code, x.idx))
    seq: dict[str, int] = {}
    for x in items:
        month = f"{when(x):%Y%m}"
        seq[month] = seq.get(month, 0) + 1
        x.number = f"{prefix}{month}-{seq[month]:0{width}d}"


def generate(customers: int = 300, months: int = 14, seed: int = 7, as_of: date | None = None) -> DemoCompany:
    """A whole company, deterministic for (customers, months, seed, as_of)."""
    if as_of is None:
        raise ValueError("as_of is required: the generator never reads the clock")
    if customers < 1 or months < 1:
        raise ValueError("customers and months must be positive")
    rng = random.Random(f"huikuan-demo/{seed}")
    collectors = staff(rng, rng.randint(3, 6))
    sales = staff(rng, max(4, min(12, customers // 40)))
    kinds = deal_kinds(customers, rng)
    start = add_months(as_of, -months)
    taken: set[str] = set()
    phones = iter(range(10**6))
    people: list[_Customer] = []
    contacts: list[dict[str, object]] = []
    for i, kind in enumerate(kinds, start=1):
        crng = random.Random(f"huikuan-demo/{seed}/{i}")
        row = customer_row(i, crng, collectors, sales, taken)
        contacts.extend(contact_rows(row, crng, lambda: next(phones)))
        c = _Customer(row, kind, crng, as_of)
        _invoices(c, start, str(row["terms"]), crng)
        SIMULATE[kind](c)
        people.append(c)
    return _assemble(people, contacts, seed, as_of, months)


def _assemble(people: list[_Customer], contacts: list[dict[str, object]], seed: int, as_of: date,
              months: int) -> DemoCompany:
    invoices = [i for c in people for i in c.invoices]
    payments = [p for c in people for p in c.payments]
    notes = [n for c in people for n in c.credit_notes]
    _number(invoices, "XS", lambda i: i.on, 5)
    _number(payments, "SK", lambda p: p.on, 5)
    _number(notes, "HZ", lambda n: n.on, 4)
    return DemoCompany(
        seed=seed, as_of=as_of, months=months,
        customers=tuple(c.row for c in people),
        contacts=tuple(contacts),
        invoices=tuple({"invoice_no": i.number, "customer_code": i.code, "invoice_date": i.on.isoformat(),
                        "due_date": i.due.isoformat(), "amount": format_minor(i.amount), "currency": "CNY"}
                       for i in invoices),
        payments=tuple({"payment_no": p.number, "customer_code": p.code, "payment_date": p.on.isoformat(),
                        "amount": format_minor(p.amount), "method": p.method,
                        "invoice_no": p.named.number if p.named else "",
                        "bill_maturity": p.bill_maturity.isoformat() if p.bill_maturity else ""}
                       for p in payments),
        credit_notes=tuple({"credit_note_no": n.number, "customer_code": n.code, "invoice_no": n.invoice.number,
                            "date": n.on.isoformat(), "amount": format_minor(n.amount)} for n in notes),
        disputes=tuple(DemoDispute(c.code, inv.number, amount, category, on, DISPUTE_NOTES[category])
                       for c in people for inv, amount, category, on in c.disputes),
        promises=tuple(DemoPromise(c.code, amount, promised_on, made_on, tuple(i.number for i in invs))
                       for c in people for made_on, promised_on, amount, invs in c.promises),
        activities=tuple(sorted((a for c in people for a in c.activities), key=lambda a: (a.at, a.customer_code))),
        kinds=tuple((c.code, c.kind) for c in people),
        open_by_invoice=tuple((i.number, i.open) for i in sorted(invoices, key=lambda i: i.number) if i.open),
    )


# ---- loading ---------------------------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class LoadReport:
    counts: dict[str, int]  # rows written per kind: customers … credit-notes, disputes, promises, activities


def load(app: Any, company: DemoCompany, progress: ProgressSink | None = None) -> LoadReport:
    """Write ``company`` through the same services a user's data goes through.

    Order matters: invoices before the payments that settle them, payments before the credit notes
    (so allocation matches the generator's, see the module docstring), disputes after payments (a
    dispute never exceeds what is still open), promises and activities last.
    """
    # Imported here so the pure generator stays usable without the database and the services.
    from sqlalchemy import func, select

    from ..adapters.db import tables as t
    from ..domain.errors import Conflict
    from ..domain.money import Money
    from .collect import add_contacts, add_promise
    from .import_ import import_rows
    from .ledger import open_dispute

    with app.uow() as uow:
        existing = uow.c.execute(select(func.count()).select_from(t.customer).where(
            t.customer.c.company_id == uow.company_id)).scalar()
    if existing:
        # Promises, disputes and activities are not idempotent: a second load would double them.
        raise Conflict("demo.not_empty", customers=existing)
    progress = progress or NoProgress()
    counts: dict[str, int] = {}
    for kind, rows in company.sections():
        import_rows(app, kind, rows, source=f"demo:{kind}", progress=progress)
        counts[kind] = len(rows)
    progress.start("disputes", len(company.disputes))
    with app.uow() as uow:
        for d in company.disputes:
            open_dispute(uow, d.invoice_no, Money(d.amount_minor, "CNY"), d.category, d.opened_on, note=d.note)
            progress.advance()
        uow.commit()
    progress.finish()
    # One transaction for all promises and one for all contacts, the contacts in a constant number of
    # statements: one unit of work each made PostgreSQL ~4x slower than SQLite (thousands of commits,
    # each a WAL flush, and ~10 round trips a contact).
    progress.start("promises", len(company.promises))
    with app.uow() as uow:
        for p in company.promises:
            add_promise(app, uow, p.customer_code, p.amount_minor, p.promised_on, made_on=p.made_on, invoices=p.invoices)
            progress.advance()
        uow.commit()
    progress.finish()
    progress.start("activities", len(company.activities))
    with app.uow() as uow:
        add_contacts(uow, app.settings.timezone, (
            {"customer_code": a.customer_code, "channel": a.channel, "outcome": a.outcome, "excuse": a.excuse,
             "at": a.at, "note": a.note, "actor": a.actor} for a in company.activities))
        progress.advance(len(company.activities))
        uow.commit()
    progress.finish()
    counts.update(disputes=len(company.disputes), promises=len(company.promises),
                  activities=len(company.activities))
    return LoadReport(counts)


WARM_UP_OUTCOMES = (("reached", 30), ("no_answer", 25), ("promised", 25), ("left_message", 10), ("refused", 5),
                    ("disputed", 5))


def _previous_workdays(cal: Any, before: date, n: int) -> list[date]:
    out: list[date] = []
    d = before
    while len(out) < n:
        d -= timedelta(days=1)
        if cal.is_workday(d):
            out.append(d)
    return out[::-1]


def _demo_statements(app: Any, as_of: date, rng: random.Random) -> int:
    """Last month's 对账 statements the way a real team leaves them: most sent, half confirmed, some late."""
    from sqlalchemy import select

    from ..adapters.db import tables as t
    from .collect import mark_statement

    last = as_of.replace(day=1) - timedelta(days=1)
    period = f"{last.year:04d}-{last.month:02d}"
    with app.uow(write=False) as uow:
        codes = list(uow.c.execute(select(t.customer.c.code).where(
            t.customer.c.company_id == uow.company_id, t.customer.c.requires_statement.is_(True))
            .order_by(t.customer.c.code)).scalars())
    first = as_of.replace(day=1)
    for code in codes:
        r = rng.random()
        if r < 0.1:
            continue  # not prepared: the run escalates it
        if r < 0.2:
            mark_statement(app, code, period, "prepared", min(as_of, first + timedelta(days=3)))
            continue
        mark_statement(app, code, period, "sent", min(as_of, first + timedelta(days=7)))
        if r < 0.6:
            mark_statement(app, code, period, "confirmed", min(as_of, first + timedelta(days=rng.randint(9, 18))))
    return len(codes)


def warm_up(app: Any, as_of: date, *, working_days: int = 10, seed: int = 7,
            progress: ProgressSink | None = None) -> dict[str, int]:
    """Replay the daily runs of the last ``working_days`` before ``as_of`` with the follow-up a team
    really does — most calls logged (with excuses and promises), escalations handled, most proposals
    decided by the owner — so the demo's "today" is an ordinary working day, not a first-ever run.
    Deterministic for a seed."""
    from .collect import decide_proposal, log_contact, mark_done, record_promise
    from .daily_run import run_daily
    from .ports import FixedClock
    from .reporting import worklist

    rng = random.Random(f"huikuan-demo-warm-up/{seed}")
    progress = progress or NoProgress()
    counts = {"runs": 0, "contacts": 0, "promises": 0, "approved": 0, "rejected": 0, "done": 0,
              "statements": _demo_statements(app, as_of, rng)}
    days = _previous_workdays(app.calendar(), as_of, working_days)
    saved = app.clock
    tz = str(getattr(saved, "tz", "Asia/Shanghai"))
    progress.start("warm_up", len(days))
    try:
        for d in days:
            app.clock = FixedClock(d, tz)
            run_daily(app, d)
            counts["runs"] += 1
            for task in worklist(app, d):
                r = rng.random()
                if task.needs_approval:
                    if r < 0.65:
                        decide_proposal(app, task.id, True, by="老板")
                        counts["approved"] += 1
                    elif r < 0.8:
                        decide_proposal(app, task.id, False, by="老板", note="先谈分期，暂缓")
                        counts["rejected"] += 1
                elif task.kind in ("call", "reminder") and r < 0.8:
                    outcome = _pick(rng, WARM_UP_OUTCOMES)
                    excuse = rng.choice(list(EXCUSE_NOTES)) if outcome in ("promised", "refused", "reached") else None
                    at = datetime(d.year, d.month, d.day, 15, rng.randint(0, 59), tzinfo=ZoneInfo(tz))
                    log_contact(app, task.customer_code, task.channel or "phone", outcome, excuse=excuse, at=at,
                                note=EXCUSE_NOTES.get(excuse or ""), actor=task.assignee or task.assignee_role)
                    counts["contacts"] += 1
                    if outcome == "promised" and task.amount_minor > 0:
                        amount = max(100 * YUAN, task.amount_minor * rng.randint(30, 100) // 100)
                        record_promise(app, task.customer_code, min(amount, task.amount_minor),
                                       d + timedelta(days=rng.randint(3, 12)), made_on=d)
                        counts["promises"] += 1
                elif task.kind in ("escalate", "statement", "visit") and r < 0.7:
                    try:
                        mark_done(app, task.id, by=task.assignee or task.assignee_role)
                    except RuleViolation:  # closed meanwhile: a contact logged for the customer's call closes its visit too
                        continue
                    counts["done"] += 1
            progress.advance()
    finally:
        app.clock = saved
        progress.finish()
    return counts
