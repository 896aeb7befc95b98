"""Log-in and session hardening, bad input on team routes, client addresses behind a proxy.

Log-in limits and proxy headers are tested through waitress (``ServerThread``), the way
``mailer serve`` answers; sessions and bad input through Flask's test client.
"""

from __future__ import annotations

import http.client
import re
import statistics
import time
from datetime import datetime, timedelta, timezone
from pathlib import Path
from urllib.parse import urlencode

import pytest

from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.web import auth, create_app
from mailer.web.server import ServerThread
from support.web_sample import SampleReaction, add_newsletter, insert_reaction
from conftest import write_config

PASSWORD = "correct horse battery"
HUGE = str(2**64 + 5)


@pytest.fixture
def rt(tmp_path: Path):
    runtime = Runtime(load_config(write_config(tmp_path)))
    auth.create_user(runtime.db, "anna", PASSWORD)
    yield runtime
    runtime.close()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def login(client, name: str = "anna", password: str = PASSWORD):
    token = csrf_of(client.get("/team/login").get_data(as_text=True))
    return client.post("/team/login", data={"name": name, "password": password, "csrf_token": token})


class Browser:
    """A client of a real server that keeps its cookie and says which address it is (X-Forwarded-For)."""

    def __init__(self, port: int, forwarded_for: str | None = None) -> None:
        self.port = port
        self.forwarded_for = forwarded_for
        self.cookie = ""

    def request(self, method: str, path: str, form: dict[str, str] | None = None) -> tuple[int, dict, str]:
        conn = http.client.HTTPConnection("127.0.0.1", self.port, timeout=60)
        headers = {"Cookie": self.cookie} if self.cookie else {}
        if self.forwarded_for:
            headers["X-Forwarded-For"] = self.forwarded_for
        body = None
        if form is not None:
            body = urlencode(form)
            headers["Content-Type"] = "application/x-www-form-urlencoded"
        try:
            conn.request(method, path, body=body, headers=headers)
            resp = conn.getresponse()
            text = resp.read().decode("utf-8", "replace")
        finally:
            conn.close()
        cookie = resp.getheader("Set-Cookie")
        if cookie:
            self.cookie = cookie.split(";", 1)[0]
        return resp.status, dict(resp.getheaders()), text

    def login(self, name: str = "anna", password: str = PASSWORD) -> int:
        _status, _headers, page = self.request("GET", "/team/login")
        status, _headers, _text = self.request(
            "POST", "/team/login", {"name": name, "password": password, "csrf_token": csrf_of(page)})
        return status


def proxied_server(tmp_path: Path, **web: object) -> tuple[Runtime, ServerThread]:
    cfg = load_config(write_config(tmp_path, web={"trusted_proxy": "127.0.0.1", **web}))
    runtime = Runtime(cfg)
    return runtime, ServerThread(create_app(runtime), web=cfg.web).start()


# --- issue 14.4: guessing slows the guesser, never locks the account --------------------------------

def test_twenty_wrong_passwords_from_one_client_do_not_stop_another(tmp_path: Path):
    rt, srv = proxied_server(tmp_path)
    try:
        auth.create_user(rt.db, "anna", PASSWORD)
        guesser = Browser(srv.port, forwarded_for="127.0.0.21")
        answers = [guesser.login(password=f"fout-{i}") for i in range(20)]
        assert answers[:auth.FREE_FAILURES] == [401] * auth.FREE_FAILURES
        # Then refused before any hashing; the back-off doubles, so on a slow machine at most a
        # couple of waits run out between two guesses.
        assert answers[-1] == 429 and set(answers[auth.FREE_FAILURES:]) <= {401, 429}
        assert answers.count(401) <= auth.FREE_FAILURES + 2, answers
        assert guesser.login() == 429  # the guesser's address waits, even with the right password
        assert Browser(srv.port, forwarded_for="127.0.0.22").login() == 302
    finally:
        srv.stop()
        rt.close()


def test_the_back_off_grows_and_a_success_clears_it():
    now = [1000.0]
    guard = auth.LoginGuard(clock=lambda: now[0])

    def attempt(client: str = "a") -> str:
        try:
            guard.admit(client)  # the admission step alone, without argon2
        except auth.LoginRefused as exc:
            return f"refused {exc.retry_after}"
        return "checked"

    assert [attempt() for _ in range(auth.FREE_FAILURES)] == ["checked"] * auth.FREE_FAILURES
    assert attempt() == "refused 1"
    now[0] += 1
    assert attempt() == "checked"
    assert attempt() == "refused 2"  # doubled, and refusals did not extend it
    now[0] += 2
    assert attempt() == "checked"
    assert attempt("b") == "checked"  # other clients are not affected
    guard.clear("a")
    assert attempt() == "checked"
    now[0] += auth.FORGET_AFTER + 1
    assert [attempt("b") for _ in range(auth.FREE_FAILURES)] == ["checked"] * auth.FREE_FAILURES
    # One IPv6 /64 is one client: its addresses share the allowance.
    assert [attempt(f"2001:db8:1:2::{i}") for i in range(auth.FREE_FAILURES)] == ["checked"] * auth.FREE_FAILURES
    assert attempt("2001:db8:1:2:ffff::1") == "refused 1"
    assert attempt("2001:db8:1:3::1") == "checked"


def test_known_and_unknown_names_get_the_same_answer_and_the_same_work(rt):
    app = create_app(rt, testing=True)
    answers, seconds = {}, {"anna": [], "niemand": []}
    for i in range(3):
        for name in seconds:
            client = app.test_client()
            client.environ_base["REMOTE_ADDR"] = f"127.0.1.{i}"
            token = csrf_of(client.get("/team/login").get_data(as_text=True))
            start = time.perf_counter()
            resp = client.post("/team/login", data={"name": name, "password": "fout-wachtwoord", "csrf_token": token})
            seconds[name].append(time.perf_counter() - start)
            page = resp.get_data(as_text=True).replace(name, "NAME").replace(csrf_of(resp.get_data(as_text=True)), "")
            answers[name] = (resp.status_code, page)
    assert answers["anna"][0] == 401
    assert answers["anna"] == answers["niemand"]
    # An unknown name is checked against a stand-in hash: as slow as a wrong password (argon2).
    assert statistics.median(seconds["niemand"]) > 0.5 * statistics.median(seconds["anna"])


# --- issue 14.5: sessions end with log-out, a password change, or 12 hours idle ---------------------

def test_an_old_session_cookie_is_refused_after_logout(rt):
    app = create_app(rt, testing=True)
    c = app.test_client()
    assert login(c).status_code == 302
    stolen = c.get_cookie("session").value
    token = csrf_of(c.get("/team/").get_data(as_text=True))
    assert c.post("/team/logout", data={"csrf_token": token}).status_code == 302
    replay = app.test_client()
    replay.set_cookie("session", stolen)
    resp = replay.get("/team/")
    assert resp.status_code == 302 and resp.headers["Location"].startswith("/team/login")


def test_an_old_session_cookie_is_refused_after_a_password_change(rt):
    app = create_app(rt, testing=True)
    c = app.test_client()
    assert login(c).status_code == 302
    assert c.get("/team/").status_code == 200
    auth.set_password(rt.db, "anna", "een-nieuw-wachtwoord")
    assert c.get("/team/").status_code == 302
    assert login(app.test_client(), password="een-nieuw-wachtwoord").status_code == 302


def test_a_session_lapses_after_twelve_idle_hours(rt):
    app = create_app(rt, testing=True)
    c = app.test_client()
    resp = login(c)
    assert "Expires=" in resp.headers["Set-Cookie"]
    expires = datetime.strptime(re.search(r"Expires=([^;]+)", resp.headers["Set-Cookie"]).group(1),
                                "%a, %d %b %Y %H:%M:%S GMT").replace(tzinfo=timezone.utc)
    assert timedelta(hours=11) < expires - datetime.now(timezone.utc) <= timedelta(hours=12)
    eleven = (datetime.now(timezone.utc) - timedelta(hours=11)).isoformat(timespec="seconds")
    rt.db.execute("UPDATE team_sessions SET seen_at = ?", [eleven])
    assert c.get("/team/").status_code == 200  # used within 12 hours: still valid, and noted as used
    assert rt.db.execute("SELECT seen_at FROM team_sessions").fetchone()[0] > eleven
    thirteen = (datetime.now(timezone.utc) - timedelta(hours=13)).isoformat(timespec="seconds")
    rt.db.execute("UPDATE team_sessions SET seen_at = ?", [thirteen])
    assert c.get("/team/").status_code == 302
    assert rt.db.execute("SELECT COUNT(*) FROM team_sessions").fetchone()[0] == 0


# --- issue 14.8: bad input is a 400 or 404, never a 500 -------------------------------------------

def test_ids_beyond_64_bits_are_not_found(rt):
    nl = add_newsletter(rt.db)
    rid = insert_reaction(rt.db, SampleReaction(newsletter_id=nl.id))
    app = create_app(rt, testing=True)
    c = app.test_client()
    assert login(c).status_code == 302
    token = csrf_of(c.get("/team/").get_data(as_text=True))
    for url in (f"/team/reactions/{HUGE}", f"/team/reactions/{HUGE}/raw", f"/team/reactions/{HUGE}.eml",
                f"/team/attachments/{HUGE}", "/team/reactions/0", f"/team/reactions/{'9' * 40}"):
        resp = c.get(url)
        assert resp.status_code == 404, url
        assert "Deze pagina bestaat niet" in resp.get_data(as_text=True)
    for action, form in (("note", {"body": "x"}), ("status", {"status": "afgehandeld"}), ("tag", {"tag": "x"})):
        resp = c.post(f"/team/reactions/{HUGE}/{action}", data={"csrf_token": token, **form})
        assert resp.status_code == 404, action
    for bad in (HUGE, "²", "-1", "1e3", ""):
        resp = c.post("/team/bulk", data={"csrf_token": token, "ids": [str(rid), bad], "action": "tag", "tag": "x"})
        assert resp.status_code == 400, bad
    assert c.get(f"/team/reactions/{rid}").status_code == 200


@pytest.mark.parametrize("target", ["/team/\r\nSet-Cookie: x=1", "/team/\nX: y", "/team/%0d%0a", "/team/\x00"])
def test_a_next_with_line_breaks_goes_to_the_list(rt, target):
    app = create_app(rt, testing=True)
    c = app.test_client()
    assert c.get("/team/login", query_string={"next": target}).status_code == 200
    token = csrf_of(c.get("/team/login").get_data(as_text=True))
    resp = c.post("/team/login", data={"name": "anna", "password": PASSWORD, "csrf_token": token, "next": target})
    assert resp.status_code == 302
    assert resp.headers["Location"] in ("/team/", target) and "\n" not in resp.headers["Location"]


# --- issue 14.11 and 14.3: the client's address behind a reverse proxy -----------------------------

def _signup(port: int, forwarded_for: str) -> int:
    status, _headers, _text = Browser(port, forwarded_for).request(
        "POST", "/aanmelden", {"email": "geen-adres", "name": "x"})
    return status


def test_signup_limits_count_the_client_behind_a_trusted_proxy(tmp_path: Path):
    rt, srv = proxied_server(tmp_path, signup_limit=2)
    try:
        assert [_signup(srv.port, "127.0.0.41") for _ in range(3)] == [400, 400, 429]
        assert _signup(srv.port, "127.0.0.42") == 400  # another visitor behind the same proxy
        assert _signup(srv.port, "127.0.0.99, 127.0.0.42") == 400  # only the proxy's own entry counts
    finally:
        srv.stop()
        rt.close()


def test_forwarded_headers_from_an_untrusted_peer_are_ignored(tmp_path: Path):
    cfg = load_config(write_config(tmp_path, web={"signup_limit": 2}))
    runtime = Runtime(cfg)
    srv = ServerThread(create_app(runtime), web=cfg.web).start()
    try:
        # Without [web] trusted_proxy a made-up X-Forwarded-For does not buy a fresh allowance.
        assert [_signup(srv.port, f"127.0.0.{50 + i}") for i in range(3)] == [400, 400, 429]
    finally:
        srv.stop()
        runtime.close()
