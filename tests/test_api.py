"""The read-only JSON API: tokens (UI and CLI), refusals as JSON, and the team list's rows."""

from __future__ import annotations

import json
import re
import urllib.error
import urllib.request
from urllib.parse import urlsplit

import pytest
from click.testing import CliRunner

from mailer.cli import main
from mailer.config import load_config
from mailer.daemon import start_service
from mailer.localservers import free_port
from mailer.runtime import Runtime
from mailer.web import api_tokens, auth, create_app
from support.web_sample import SampleReaction, add_newsletter, insert_reaction, seed
from conftest import write_config

from test_web_team import PASSWORD, rt  # noqa: F401  (rt: the team's fixture, anna and bram)


@pytest.fixture
def app(rt):
    return create_app(rt, testing=True)


@pytest.fixture
def token(rt) -> str:
    return api_tokens.create(rt.db, "anna", "tests").token


def api(client, path: str, token: str | None = None, method: str = "GET"):
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    resp = client.open(path, method=method, headers=headers)
    assert resp.mimetype == "application/json", (path, resp.status_code, resp.get_data(as_text=True)[:200])
    return resp.status_code, resp.get_json()


def csrf_of(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def logged_in(app, name="anna"):
    c = app.test_client()
    token = csrf_of(c.get("/team/login").get_data(as_text=True))
    assert c.post("/team/login", data={"name": name, "password": PASSWORD, "csrf_token": token}).status_code == 302
    return c


def ui_ids(client, query: str, page: int = 1) -> list[int]:
    html = client.get(f"/team/?{query}&page={page}").get_data(as_text=True)
    return [int(i) for i in re.findall(r'<li class="row[^"]*" data-id="(\d+)"', html)]


# ---------------------------------------------------------------- refusals

def test_missing_wrong_or_revoked_token_is_refused_with_json(app, rt, token):
    c = app.test_client()
    status, body = api(c, "/api/v1/reactions")
    assert status == 401 and "Authorization: Bearer" in body["error"]["message"]
    assert c.get("/api/v1/reactions").headers["WWW-Authenticate"].startswith("Bearer")
    assert api(c, "/api/v1/reactions", token[:-1] + ("A" if token[-1] != "A" else "B"))[0] == 401
    assert api(c, "/api/v1/reactions", "mlr_" + "x" * 43)[0] == 401
    resp = c.get("/api/v1/reactions", headers={"Authorization": f"Basic {token}"})
    assert resp.status_code == 401 and "Bearer" in resp.get_json()["error"]["message"]
    assert api(c, "/api/v1/reactions", token)[0] == 200
    [info] = api_tokens.list_tokens(rt.db, "anna")
    api_tokens.revoke(rt.db, info.id)
    status, body = api(c, "/api/v1/reactions", token)
    assert status == 401 and "ingetrokken" in body["error"]["message"]
    # Only the hash is stored.
    assert token not in json.dumps(list(rt.db.query("SELECT * FROM api_tokens")))


@pytest.mark.parametrize("query, word", [
    ("status=bogus", "status"), ("kind=everything", "kind"), ("order=random", "order"), ("uncertain=yes", "uncertain"),
    ("colour=red", "colour"), ("limit=0", "limit"), ("limit=201", "limit"), ("limit=abc", "limit"),
    ("page=-1", "page"), ("page=1.5", "page"), ("theme=bestaat-niet", "bestaat-niet"),
    ("newsletter=nope", "nope"), ("page=99999999999999999999", "page"), ("status=%00", "status"),
])
def test_a_bad_filter_is_a_400_with_a_clear_message(app, rt, token, query, word):
    add_newsletter(rt.db)
    status, body = api(app.test_client(), f"/api/v1/reactions?{query}", token)
    assert status == 400 and word in body["error"]["message"]


def test_writing_unknown_addresses_and_missing_reactions_answer_json(app, token):
    c = app.test_client()
    assert api(c, "/api/v1/reactions", token, method="POST")[0] == 405
    assert c.delete("/api/v1/reactions", headers={"Authorization": f"Bearer {token}"}).headers["Allow"].startswith("GET")
    assert api(c, "/api/v1/nothing/here", token)[0] == 404
    status, body = api(c, "/api/v1/reactions/424242", token)
    assert status == 404 and "424242" in body["error"]["message"]
    assert api(c, "/api/v1/themes?limit=5", token)[0] == 400


# ---------------------------------------------------------------- the same rows as the list

QUERIES = (
    "", "status=all", "status=all&kind=all&order=oldest", "theme=groeipijn&status=all", "theme=-",
    "status=afgehandeld", "tag=boek&status=all", "uncertain=1&status=all", "q=energiecollectief&status=all",
    "newsletter=2026-03-nummer-3&kind=auto_reply&status=all",
)


def test_the_api_returns_the_rows_of_the_team_lists_filter(app, rt, token):
    seed(rt.db, 260)
    ui = logged_in(app)
    c = app.test_client()
    for query in QUERIES:
        ui.delete_cookie("team_order", path="/team")  # the list keeps a chosen order; the API is stateless
        total = 0
        for page in (1, 2, 3):
            status, body = api(c, f"/api/v1/reactions?{query}&limit=50&page={page}", token)
            assert status == 200
            if page > body["pages"]:
                assert body["items"] == [] and body["next"] is None
                continue
            assert [r["id"] for r in body["items"]] == ui_ids(ui, query, page), (query, page)
            total += len(body["items"])
        assert total == body["total"] or body["pages"] > 3, query
        assert body["total"] >= 1, query


def test_next_links_walk_every_row_once(app, rt, token):
    seed(rt.db, 130)
    c = app.test_client()
    url, seen, pages = "/api/v1/reactions?status=all&kind=all&limit=40&order=oldest", [], 0
    while url:
        status, body = api(c, url, token)
        assert status == 200 and body["filters"]["order"] == "oldest"
        seen += [r["id"] for r in body["items"]]
        parts = urlsplit(body["next"]) if body["next"] else None
        url = f"{parts.path}?{parts.query}" if parts else None
        pages += 1
    assert pages == 4 and len(seen) == len(set(seen)) == 130 == body["total"]
    written = [r["received_at"] for r in api(c, "/api/v1/reactions?status=all&kind=all&limit=200&order=oldest",
                                             token)[1]["items"]]
    assert written == sorted(written)


def test_one_reaction_themes_and_newsletters(app, rt, token):
    nl = add_newsletter(rt.db)
    rid = insert_reaction(rt.db, SampleReaction(reply_text="Eerste regel.\nTweede regel met <b>tags</b>.",
                                                newsletter_id=nl.id, theme_slug="groeipijn", from_name="Eva"))
    insert_reaction(rt.db, SampleReaction(reply_text="Zonder thema", newsletter_id=nl.id))
    c = app.test_client()
    status, body = api(c, f"/api/v1/reactions/{rid}", token)
    assert status == 200 and body["text"] == "Eerste regel.\nTweede regel met <b>tags</b>."
    assert body["theme"] == {"slug": "groeipijn", "name": "Groeipijn"} and body["from"]["name"] == "Eva"
    assert body["newsletter"]["slug"] == nl.slug and body["url"].endswith(f"/team/reactions/{rid}")
    status, themes = api(c, "/api/v1/themes", token)
    counts = {t["slug"]: t["reactions"] for t in themes["items"]}
    assert counts["groeipijn"] == 1 and counts["de-nieuwe-makers"] == 0 and themes["without_theme"] == 1
    status, nls = api(c, "/api/v1/newsletters", token)
    assert [n["slug"] for n in nls["items"]] == [nl.slug] and nls["items"][0]["reactions"] == 2


# ---------------------------------------------------------------- tokens from the UI and the CLI

def test_account_page_creates_shows_once_and_revokes_a_token(app, rt):
    ui = logged_in(app)
    page = ui.get("/team/account").get_data(as_text=True)
    assert "Nog geen API-tokens." in page
    made = ui.post("/team/account/tokens", data={"label": "dashboard", "csrf_token": csrf_of(page)})
    html = made.get_data(as_text=True)
    token = re.search(r'id="new-token" class="token" value="([^"]+)"', html).group(1)
    assert api(app.test_client(), "/api/v1/newsletters", token)[0] == 200
    again = ui.get("/team/account").get_data(as_text=True)
    assert token not in again and token[:12] in again and "dashboard" in again
    token_id = re.search(r'data-token="(\d+)"', again).group(1)
    # Another team member cannot revoke it.
    bram = logged_in(app, "bram")
    bram_page = bram.get("/team/account").get_data(as_text=True)
    bram.post(f"/team/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(bram_page)})
    assert api(app.test_client(), "/api/v1/newsletters", token)[0] == 200
    # Without the form's CSRF token nothing happens either.
    assert ui.post(f"/team/account/tokens/{token_id}/revoke").status_code == 400
    done = ui.post(f"/team/account/tokens/{token_id}/revoke", data={"csrf_token": csrf_of(again)},
                   follow_redirects=True).get_data(as_text=True)
    assert "ingetrokken" in done
    assert api(app.test_client(), "/api/v1/newsletters", token)[0] == 401


def test_cli_token_prints_once_lists_and_revokes(tmp_path):
    cfg_path = str(write_config(tmp_path))
    rt = Runtime(load_config(cfg_path))
    auth.create_user(rt.db, "anna", PASSWORD)
    runner = CliRunner()
    made = runner.invoke(main, ["--config", cfg_path, "users", "token", "anna", "--label", "script"])
    assert made.exit_code == 0, made.output
    token = made.stdout.strip()
    assert token.startswith("mlr_") and len(token) > 40
    listed = runner.invoke(main, ["--config", cfg_path, "users", "tokens"])
    assert "anna\tscript\t" + token[:12] in listed.output and token not in listed.output
    assert api_tokens.user_of(rt.db, token).name == "anna"
    revoked = runner.invoke(main, ["--config", cfg_path, "users", "revoke-token", "1"])
    assert revoked.exit_code == 0 and api_tokens.user_of(rt.db, token) is None
    unknown = runner.invoke(main, ["--config", cfg_path, "users", "token", "nobody"])
    assert unknown.exit_code == 1 and "nobody" in unknown.output
    rt.close()


def test_the_api_over_the_real_server(tmp_path):
    port = free_port()
    cfg = load_config(write_config(tmp_path, web={"port": port, "base_url": f"http://127.0.0.1:{port}"}))
    rt = Runtime(cfg)
    auth.create_user(rt.db, "anna", PASSWORD)
    token = api_tokens.create(rt.db, "anna").token
    nl = add_newsletter(rt.db)
    rid = insert_reaction(rt.db, SampleReaction(newsletter_id=nl.id))
    service = start_service(rt, port=port, background=False)
    try:
        def get(auth_header: str | None):
            req = urllib.request.Request(f"{service.url}/api/v1/reactions?status=all")
            if auth_header:
                req.add_header("Authorization", auth_header)
            try:
                with urllib.request.urlopen(req, timeout=5) as resp:
                    return resp.status, json.loads(resp.read())
            except urllib.error.HTTPError as err:
                return err.code, json.loads(err.read())
        assert get(None)[0] == 401
        assert get("Bearer mlr_wrong")[0] == 401
        status, body = get(f"Bearer {token}")
        assert status == 200 and [r["id"] for r in body["items"]] == [rid]
    finally:
        service.stop()
        rt.close()


def test_odd_values_in_every_filter_never_make_a_500(app, rt, token):
    import random

    seed(rt.db, 40)
    c = app.test_client()
    rng = random.Random(7)
    odd = ['"', "*", "OR", "NEAR(", "'; DROP TABLE reactions; --", "\u202e", "é" * 300, "%", "-", " ", "0",
           "1e9", "../..", "<script>", "\\", "NOT x", "a\tb"]
    from urllib.parse import quote

    for _ in range(150):
        name = rng.choice(["newsletter", "theme", "status", "kind", "tag", "assignee", "q", "uncertain", "order",
                           "limit", "page"])
        value = rng.choice(odd)
        for path in ("/api/v1/reactions", "/api/v1/themes"):
            status, body = api(c, f"{path}?{name}={quote(value)}", token)
            assert status in (200, 400), (path, name, value, status, body)
            assert ("items" in body) if status == 200 else body["error"]["message"]
