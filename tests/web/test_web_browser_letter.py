"""The demo's 催款函 step in a real browser (Playwright on Debian's /usr/bin/chromium, never a downloaded
build, against a real uvicorn server): the owner approves the dunning letter the run proposed for the
demo's LT-DEMO in the workbench; the letter's cover e-mail is then queued in the outbox with the PDF
attached (the outbox page links it), and the sender delivers it with the PDF to the demo's mail folder.

A screenshot of each step is kept under ``test-artifacts/``. No browser → the test FAILS."""

from __future__ import annotations

import email
import email.policy
import shutil
import subprocess
from collections.abc import Iterator
from datetime import UTC, date, datetime
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import Browser, expect, sync_playwright
from web_helpers import PASSWORD, serving

from huikuan.adapters.mail import FolderMailer
from huikuan.bootstrap import bootstrap
from huikuan.config import Settings
from huikuan.services import letters, outbox, users
from huikuan.services.daily_run import run_daily
from huikuan.services.demo_comms import LETTER_CUSTOMER, add_demo_comms
from huikuan.services.ports import FixedClock

CHROMIUM = "/usr/bin/chromium"
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
TODAY = date(2026, 11, 23)


@pytest.fixture
def site(tmp_path: Path, sqlite_template: Path) -> Iterator[tuple[str, Any]]:
    path = tmp_path / "huikuan.db"
    shutil.copyfile(sqlite_template, path)
    app = bootstrap(Settings(database_url=f"sqlite:///{path}"), clock=FixedClock(TODAY))
    add_demo_comms(app, TODAY)
    run_daily(app)
    users.add_user(app, "boss", ["owner"], PASSWORD, actor="test")
    with serving(app) as base:
        yield base, app


@pytest.fixture
def browser() -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        pytest.fail(f"{CHROMIUM} not found: `make sysdeps` installs Debian's chromium", pytrace=False)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=["--no-sandbox"])
        try:
            yield b
        finally:
            b.close()


def test_the_owner_approves_the_demo_dunning_letter_and_its_e_mail_goes_with_the_pdf(site, browser, tmp_path):
    base, app = site
    ARTIFACTS.mkdir(exist_ok=True)
    page = browser.new_page(locale="zh-CN")
    page.goto(base + "/login")
    page.fill("input[name=name]", "boss")
    page.fill("input[name=password]", PASSWORD)
    page.click("button.primary")
    page.goto(base + "/approvals")
    card = page.locator("[data-testid=proposal]", has_text=LETTER_CUSTOMER).filter(has_text="催款函")
    expect(card).to_have_count(1)
    card.locator("[data-testid=comment]").fill("同意发催款函")
    with page.expect_response(lambda r: "/approvals/" in r.url, timeout=90_000) as decided:
        card.locator("[data-testid=approve]").click()  # issues the letter: its PDF is rendered now
    assert decided.value.status == 200, decided.value.text()
    expect(card.locator(".result")).to_contain_text("已批准")
    page.screenshot(path=str(ARTIFACTS / "letter-approved.png"), full_page=True)

    page.goto(base + f"/outbox?customer={LETTER_CUSTOMER}")
    row = page.locator("tr", has=page.locator("[data-testid=attachment]"))
    expect(row).to_have_count(1)
    expect(row).to_contain_text("zhou.kuaiji@hengtong.example")
    page.screenshot(path=str(ARTIFACTS / "letter-outbox.png"), full_page=True)
    with page.expect_response(lambda r: "/letters/" in r.url and r.url.endswith("/pdf")) as got:
        page.evaluate("url => fetch(url)", row.locator("[data-testid=attachment]").get_attribute("href"))
    pdf = got.value.body()
    assert got.value.status == 200 and pdf.startswith(b"%PDF")
    page.close()

    queued = [r for r in outbox.list_messages(app, "queued", LETTER_CUSTOMER) if r.attachment]
    assert len(queued) == 1 and queued[0].stage == "letter_dunning"
    mailer = FolderMailer(tmp_path / "mail", "ar@huikuan.example", "演示贸易有限公司")
    due = queued[0].next_attempt_at.replace(tzinfo=UTC)
    report = outbox.send_due(app, mailer, None, now=max(due, datetime(2026, 11, 24, 7, 30, tzinfo=UTC)),
                             customer_code=LETTER_CUSTOMER, attach=lambda r: letters.attachments_for(app, r))
    assert report.sent == 1
    (eml,) = (tmp_path / "mail").glob("*.eml")
    msg = email.message_from_bytes(eml.read_bytes(), policy=email.policy.default)
    (part,) = list(msg.iter_attachments())  # type: ignore[attr-defined]
    assert part.get_filename().startswith("催款函-HK-D-") and part.get_content_type() == "application/pdf"
    attached = part.get_content()
    assert attached == pdf  # the letter the workbench shows is the one that was sent
    (tmp_path / "letter.pdf").write_bytes(attached)
    text = subprocess.run(["pdftotext", "-layout", str(tmp_path / "letter.pdf"), "-"], capture_output=True,
                          text=True, check=True).stdout
    assert "南京恒通机电设备有限公司" in text and "壹拾贰万叁仟肆佰伍拾陆元柒角捌分" in text
