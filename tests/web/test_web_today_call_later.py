"""Today's 暂勿致电 marker names the next allowed moment once, as people read it (11月23日 13:30 /
23 Nov 13:30), with the guard's reason in the page's language — not again as raw ISO text."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

LUNCH = datetime(2026, 11, 23, 12, 15, tzinfo=ZoneInfo("Asia/Shanghai"))  # a Monday: calls resume at 13:30


def _markers(page: str, later: str) -> list[str]:
    """The texts of the "not now" markers (those for a call that may never be made say 不得致电 instead)."""
    found = [re.sub(r"<[^>]+>", "", m) for m in re.findall(r'data-testid="call-later"[^>]*>(.*?)</span>', page)]
    return [m for m in found if m.startswith(later)]


def test_the_call_later_marker_shows_the_next_moment_once_in_both_languages(client_for: Any, ledger: Any) -> None:
    from huikuan.services.import_ import import_rows

    # KH3's call task: give it a contact who may take calls, then look at Today over lunch.
    import_rows(ledger, "contacts", [{"customer_code": "KH3", "name": "赵会计", "role": "finance",
                                      "phone": "13700001111"}])
    ledger.clock.set(LUNCH)
    c = client_for("manager")
    zh = _markers(c.get("/today?all=1").text, "暂勿致电")
    assert zh, "the fixture has phone tasks refused over lunch"
    for text in zh:
        assert text.startswith("暂勿致电：") and text.endswith("（11月23日 13:30 后可打）"), text
        assert text.count("13:30") == 2, text  # the lunch rule's window names it, and the moment once
        assert "下次允许" not in text and "T13:30" not in text and "+08:00" not in text, text
    c.post("/lang", data={"lang": "en", "csrf_token": c.csrf})
    en = _markers(c.get("/today?all=1").text, "Do not call now")
    assert len(en) == len(zh)
    for text in en:
        assert text.startswith("Do not call now: ") and text.endswith("(from 23 Nov 13:30)"), text
        assert "next allowed" not in text and "T13:30" not in text and "+08:00" not in text, text
        assert not re.search(r"[\u4e00-\u9fff]", text), text  # the reason in English too
