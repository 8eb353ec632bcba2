"""The workbench in a real browser: Playwright drives Debian's Chromium (/usr/bin/chromium, never a
downloaded build) against a real uvicorn server. A collector works the list by keyboard, logs a contact
with a promise and opens a dispute; the owner approves a shipment lock on a phone-sized screen; the
language switch; finance uploads an invoice file with a bad row and sees the report.

The flows run on both databases: one server per backend for the whole module (a module-scoped, parametrised
``site``), so PostgreSQL adds one server start and the flows themselves. A screenshot of the page is kept
under ``test-artifacts/`` when a flow fails. No browser, or no PostgreSQL → the test FAILS."""

from __future__ import annotations

import contextlib
import re
import shutil
from collections.abc import Iterator
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, Page, expect, sync_playwright
from web_helpers import CONTACTS, CUSTOMERS, INVOICES, PASSWORD, serving

from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services import collect, users
from huikuan.services.daily_run import run_daily
from huikuan.services.import_ import import_rows
from huikuan.services.ports import FixedClock

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
PHONE = {"width": 390, "height": 844}
BACKENDS = ("sqlite", "postgresql")  # as tests/conftest.py's


@contextlib.contextmanager
def _database(backend: str, request: pytest.FixtureRequest,
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """A migrated database of its own for the module's server: a copied SQLite template, or a new
    PostgreSQL database from the session cluster's template (dropped afterwards)."""
    if backend == "sqlite":
        path = tmp_path_factory.mktemp("browser") / "huikuan.db"
        shutil.copyfile(request.getfixturevalue("sqlite_template"), path)
        yield f"sqlite:///{path}"
        return
    cluster = request.getfixturevalue("pg_cluster")
    name = cluster.new_database(cluster.template)
    try:
        yield cluster.url(name)
    finally:
        cluster.drop_database(name)


@pytest.fixture(scope="module", params=BACKENDS)
def site(request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Any]]:
    with _database(request.param, request, tmp_path_factory) as url:
        yield from _serve(url)


def _serve(url: str) -> Iterator[tuple[str, Any]]:
    app = bootstrap(Settings(database_url=url), clock=FixedClock(date(2026, 11, 23)))
    import_rows(app, "customers", CUSTOMERS)
    import_rows(app, "contacts", CONTACTS)
    import_rows(app, "invoices", INVOICES)
    run_daily(app)
    for name, role, person in (("zhang", "collector", "张伟"), ("boss", "owner", None), ("fin", "finance", None)):
        users.add_user(app, name, [role], PASSWORD, person=person, actor="test")
    with serving(app) as base:
        yield base, app


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make sysdeps` installs Debian's chromium", pytrace=False)
    with sync_playwright() as p:
        try:
            b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox", "--disable-dev-shm-usage"])
        except Exception as e:  # noqa: BLE001 — the reason goes into the failure
            pytest.fail(f"Chromium did not launch: {e}", pytrace=False)
        yield b
        b.close()


@pytest.fixture
def page_for(browser: Browser, site: tuple[str, Any], request: pytest.FixtureRequest) -> Iterator[Any]:
    base, _ = site
    opened: list[Page] = []

    def open_as(name: str, viewport: dict[str, int] | None = None) -> Page:
        ctx = browser.new_context(viewport=viewport or {"width": 1280, "height": 900}, locale="zh-CN")
        page = ctx.new_page()
        page.set_default_timeout(15_000)
        opened.append(page)
        page.goto(base + "/login")
        page.fill("input[name=name]", name)
        page.fill("input[name=password]", PASSWORD)
        page.click("button.primary")
        page.wait_for_url(re.compile(r".*/today$"))
        return page

    yield open_as
    failed = getattr(request.node, "rep_call", None) is not None and request.node.rep_call.failed
    for i, page in enumerate(opened):
        if failed:
            ARTIFACTS.mkdir(exist_ok=True)
            page.screenshot(path=str(ARTIFACTS / f"{request.node.name}-{i}.png"), full_page=True)
        page.context.close()


def test_collector_works_the_list_by_keyboard(page_for, site):
    base, app = site
    page = page_for("zhang")
    expect(page.locator("h1")).to_contain_text("今日待办")
    tasks = page.locator("[data-testid=task]")
    expect(tasks.first).to_contain_text("KH3")
    page.keyboard.press("j")
    expect(tasks.first).to_have_class(re.compile(r"\bsel\b"))
    page.keyboard.press("Enter")
    page.wait_for_url(re.compile(r".*/customers/KH3$"))
    expect(page.locator("h1")).to_contain_text("重庆渝新建材有限公司")
    page.go_back()
    page.keyboard.press("j")
    page.keyboard.press("c")
    page.wait_for_url(re.compile(r".*/customers/KH3/contact.*"))
    # Log a contact with a promise: one form, no page reload.
    page.evaluate("window.__stay = 1")
    page.select_option("select[name=outcome]", "promised")
    page.select_option("select[name=excuse]", "no_money")
    expect(page.locator("[data-testid=excuse-answer]")).not_to_be_empty()
    page.fill("input[name=who]", "刘会计")
    page.fill("[data-testid=promise-amount]", "8800.50")
    page.fill("[data-testid=promise-date]", "2026-11-30")
    page.click("[data-testid=save-contact]")
    expect(page.locator("[data-testid=saved]")).to_contain_text("已记录联系，以及 1 笔承诺")
    assert page.evaluate("window.__stay") == 1  # the same page: htmx swapped the form only
    v = collect.customer_view(app, "KH3")
    assert [(p.amount_minor, p.promised_on) for p, _ in v.promises] == [(880050, date(2026, 11, 30))]
    # Open a dispute on part of an invoice from the customer page.
    page.goto(base + "/customers/KH1")
    form = page.locator("[data-testid=dispute-form]")
    form.locator("select[name=invoice]").select_option("A1")
    form.locator("select[name=category]").select_option("short_delivery")
    form.locator("input[name=amount]").fill("1500")
    form.locator("button").click()
    expect(page.locator("#dispute-result")).to_contain_text("已登记争议")
    assert collect.customer_view(app, "KH1").disputed_minor == 150000


def test_owner_approves_a_shipment_lock_on_a_phone(page_for, site):
    _, app = site
    page = page_for("boss", PHONE)
    page.goto(page.url.replace("/today", "/approvals"))
    card = page.locator("[data-testid=proposal]").filter(has_text="KH2").filter(has_text="锁定出库")
    expect(card).to_have_count(1)
    card.locator("[data-testid=comment]").fill("同意锁定")
    card.locator("[data-testid=approve]").click()
    expect(card.locator(".result")).to_contain_text("已批准")
    assert collect.customer_view(app, "KH2").customer.shipment_locked
    # Phone-sized: nothing wider than the screen.
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]


def test_language_switch(page_for):
    page = page_for("zhang")
    expect(page.locator("h1")).to_contain_text("今日待办")
    page.click("[data-testid=lang-switch]")
    expect(page.locator("h1")).to_contain_text("Today's worklist")
    page.reload()
    expect(page.locator("h1")).to_contain_text("Today's worklist")
    page.click("[data-testid=lang-switch]")
    expect(page.locator("h1")).to_contain_text("今日待办")


def test_finance_uploads_invoices_with_a_bad_row(page_for, site, tmp_path):
    _, app = site
    bad = tmp_path / "发票.csv"
    bad.write_text("发票号,客户编号,开票日期,金额\nU1,KH1,2026-11-01,100\nU2,KH1,2026-02-30,200\n", encoding="utf-8")
    page = page_for("fin")
    page.goto(page.url.replace("/today", "/imports"))
    page.select_option("select[name=kind]", "invoices")
    page.set_input_files("input[name=file]", str(bad))
    page.click("form[data-testid=import-form] button")
    expect(page.locator("[data-testid=import-rejected]")).to_contain_text("未写入任何数据")
    problems = page.locator("[data-testid=problems] tbody tr")
    expect(problems).to_have_count(1)
    expect(problems.first).to_contain_text("第 3 行")
    expect(problems.first).to_contain_text("2026-02-30")
    with app.uow(write=False) as uow:
        assert uow.customers.invoice_by_number("U1") is None
