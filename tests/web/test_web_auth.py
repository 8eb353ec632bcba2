"""Sign-in as an attacker would try it: CSRF, session fixation, throttling, sign-out, safe redirects."""

from __future__ import annotations

from datetime import timedelta

from fastapi.testclient import TestClient
from web_helpers import PASSWORD, csrf_of, sign_in

from huikuan.services import users
from huikuan.services.users import IpBackoff


def test_sign_in_gives_a_new_session_id(web, ledger):
    """Session fixation: the id the browser had before signing in is not the one it has after."""
    users.add_user(ledger, "zhang", ["collector"], PASSWORD, person="张伟")
    c = TestClient(web)
    c.get("/login")
    before = c.cookies.get("hk_sid")
    assert before
    r = sign_in(c, "zhang")
    assert r.status_code == 303 and r.headers["location"] == "/today"
    after = c.cookies.get("hk_sid")
    assert after and after != before
    assert c.get("/today").status_code == 200
    # A planted id (the one from before) does not sign anybody in.
    planted = TestClient(web, cookies={"hk_sid": before})
    assert planted.get("/today", follow_redirects=False).status_code == 303


def test_session_cookie_flags(web, ledger):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    c = TestClient(web)
    r = sign_in(c, "zhang")
    cookie = r.headers["set-cookie"].lower()
    assert "httponly" in cookie and "samesite=lax" in cookie and "secure" not in cookie
    https = TestClient(web, base_url="https://testserver")
    r = sign_in(https, "zhang")
    assert "secure" in r.headers["set-cookie"].lower()


def test_a_form_post_without_the_csrf_token_is_refused(client_for):
    c = client_for("supervisor")
    r = c.post("/today/reassign", data={"collector": "李娜", "customers": ["KH1"]}, follow_redirects=False)
    assert r.status_code == 403 and "csrf" in r.text.lower() or "来源不明" in r.text
    r = c.post("/today/reassign", data={"collector": "李娜", "customers": ["KH1"], "csrf_token": "0" * 64},
               follow_redirects=False)
    assert r.status_code == 403
    r = c.post("/today/reassign", data={"collector": "李娜", "customers": ["KH1"], "csrf_token": c.csrf},
               follow_redirects=False)
    assert r.status_code == 303
    # The header form (what htmx sends) works too.
    r = c.post("/today/reassign", data={"collector": "张伟", "customers": ["KH1"]},
               headers={"X-CSRF-Token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303


def test_sign_in_form_itself_needs_the_token(web, ledger):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    c = TestClient(web)
    c.get("/login")
    r = c.post("/login", data={"name": "zhang", "password": PASSWORD}, follow_redirects=False)
    assert r.status_code == 403


def test_five_wrong_passwords_lock_the_user_for_15_minutes(web, ledger, clock):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    c = TestClient(web)
    for _ in range(4):
        r = sign_in(c, "zhang", "wrong-password")
        assert r.status_code == 401 and "用户名或密码不正确" in r.text
    r = sign_in(c, "zhang", "wrong-password")
    assert r.status_code == 401 and "锁定 15 分钟" in r.text
    web.state.hk.backoff = IpBackoff()  # the per-address backoff is tested on its own below
    r = sign_in(c, "zhang")  # the right password does not help while locked
    assert r.status_code == 401 and "锁定" in r.text
    clock.advance(hours=0, days=0)
    clock._at += timedelta(minutes=16)
    r = sign_in(c, "zhang")
    assert r.status_code == 303


def test_an_address_that_keeps_failing_must_wait(ledger, clock):
    b = IpBackoff()
    now = clock.now()
    for _ in range(5):
        assert b.wait("10.0.0.9", now) == 0
        b.failed("10.0.0.9", now)
    assert b.wait("10.0.0.9", now) == 1
    b.failed("10.0.0.9", now)
    assert b.wait("10.0.0.9", now) == 2
    assert b.wait("10.0.0.8", now) == 0  # another address is not affected
    assert b.wait("10.0.0.9", now + timedelta(seconds=2)) == 0


def test_sign_out_ends_the_session(client_for):
    c = client_for("collector", person="张伟")
    sid = c.cookies.get("hk_sid")
    r = c.post("/logout", data={"csrf_token": c.csrf}, follow_redirects=False)
    assert r.status_code == 303
    again = TestClient(c.app, cookies={"hk_sid": sid})
    assert again.get("/today", follow_redirects=False).status_code == 303


def test_disabled_user_and_changed_password_sign_out(client_for, ledger):
    c = client_for("collector", person="张伟")
    users.set_password(ledger, c.user_name, "another-pass-1", actor="test")
    assert c.get("/today", follow_redirects=False).status_code == 303


def test_next_is_only_a_local_path(web, ledger):
    users.add_user(ledger, "zhang", ["collector"], PASSWORD)
    c = TestClient(web)
    token = csrf_of(c.get("/login").text)
    r = c.post("/login", data={"name": "zhang", "password": PASSWORD, "csrf_token": token,
                               "next": "//evil.example/x"}, follow_redirects=False)
    assert r.headers["location"] == "/today"


def test_anonymous_page_redirects_to_sign_in_and_api_answers_401(anon):
    r = anon.get("/today", follow_redirects=False)
    assert r.status_code == 303 and r.headers["location"].startswith("/login?next=/today")
    r = anon.get("/api/v1/worklist")
    assert r.status_code == 401 and r.json()["error"]["code"] == "auth.required"
    r = anon.get("/api/v1/worklist", headers={"Authorization": "Bearer nope"})
    assert r.status_code == 401
