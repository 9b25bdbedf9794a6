"""Sign-in, sessions and CSRF through the pages: cookie flags, wrong passwords and lock-out, sign-out,
a session that ends when its user is deactivated, and forms without their token (refused, audited)."""

from __future__ import annotations

import re

import httpx
from sqlmodel import Session, select

from services.principal import operator
from storage.models import AuditEvent
from tests.web.conftest import PASSWORD, People, axe_violations, describe


def refusals(people: People, act: str) -> list[AuditEvent]:
    with Session(people.world.govpub.app.engine) as session:
        rows = session.exec(select(AuditEvent).where(AuditEvent.action == "access.refused"))
        return [r for r in rows if (r.after or {}).get("act") == act]


def test_signing_in_sets_a_protected_session_cookie_and_signing_out_ends_it(people: People, shot) -> None:
    page = people.anonymous()
    page.goto("/work/reviews")
    assert "/signin" in page.url  # a staff page sends an anonymous visitor to sign in, and back afterwards
    found = axe_violations(page)
    assert not found, describe(found)
    shot(page, "signin")
    page.get_by_label("用户名").fill("reviewer1")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_url("**/work/reviews")
    [cookie] = [c for c in page.context.cookies() if c["name"] == "govpub_session"]
    assert (cookie["httpOnly"], cookie["secure"], cookie["sameSite"]) == (True, True, "Lax")
    secret = cookie["value"]
    assert people.world.govpub.sessions.resolve(secret).username == "reviewer1"
    page.get_by_role("button", name="退出").click()
    page.wait_for_url("**/catalogue")
    assert not [c for c in page.context.cookies() if c["name"] == "govpub_session"]
    # the old cookie, replayed, is refused: the session ended on the server
    replay = httpx.get(f"{people.world.url}/work/reviews", cookies={"govpub_session": secret})
    assert replay.status_code == 303
    assert replay.headers["location"].startswith("/signin")


def test_a_wrong_password_is_refused_and_five_lock_the_account(people: People, shot) -> None:
    page = people.anonymous()
    page.goto("/signin")
    for _ in range(5):
        page.get_by_label("用户名").fill("drafter")
        page.get_by_label("密码").fill("wrong-password-0")
        page.get_by_role("button", name="登录").click()
        page.wait_for_load_state()
        assert page.get_by_role("alert").is_visible()
    found = axe_violations(page)
    assert not found, describe(found)  # with its error
    shot(page, "signin-refused")
    page.get_by_label("用户名").fill("drafter")
    page.get_by_label("密码").fill(PASSWORD)  # the right password, but the account is locked now
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert "/signin" in page.url
    assert "锁定" in page.get_by_role("alert").inner_text()
    login = refusals(people, "login")
    assert len(login) == 6
    assert login[-1].reason.startswith("locked")


def test_a_form_without_its_csrf_token_is_refused_and_audited(people: People) -> None:
    page = people.signed_in("drafter")
    cookies = {c["name"]: c["value"] for c in page.context.cookies()}
    url = people.world.url
    # a forged sign-out from another site: the session cookie rides along, the token does not
    forged = httpx.post(f"{url}/signout", cookies=cookies, data={})
    assert forged.status_code == 403
    assert "表单已失效" in forged.text
    wrong = httpx.post(f"{url}/signout", cookies=cookies, data={"csrf_token": "0" * 64})
    assert wrong.status_code == 403
    assert people.world.govpub.sessions.resolve(cookies["govpub_session"]).username == "drafter"  # still signed in
    # the sign-in form, too: without the value of its own cookie
    anonymous = httpx.post(f"{url}/signin", data={"username": "drafter", "password": PASSWORD})
    assert anonymous.status_code == 403
    assert "govpub_session" not in anonymous.cookies
    assert len(refusals(people, "csrf")) == 3
    # with the page's own token it works
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.content())
    assert token is not None
    ok = httpx.post(f"{url}/signout", cookies=cookies, data={"csrf_token": token.group(1)})
    assert ok.status_code == 303


def test_a_deactivated_users_session_ends_at_once(people: People) -> None:
    page = people.signed_in("reviewer1")
    people.world.govpub.identities.deactivate(operator(), "reviewer1")
    page.goto("/work/reviews")
    assert "/signin" in page.url
    assert not [c for c in page.context.cookies() if c["name"] == "govpub_session"]  # the dead cookie is cleared


def test_sign_in_returns_only_to_local_pages(people: People) -> None:
    page = people.anonymous()
    page.goto("/signin?next=//evil.example/x")
    page.get_by_label("用户名").fill("drafter")
    page.get_by_label("密码").fill(PASSWORD)
    page.get_by_role("button", name="登录").click()
    page.wait_for_load_state()
    assert page.url.startswith(people.world.url + "/work")
