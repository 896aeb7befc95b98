"""Both ways to deliver an issue's pictures, end to end: embedded (the message sent through the real
aiosmtpd carries multipart/related parts whose Content-IDs match the <img src="cid:...">) and hosted
(the same public URL for every reader, answered by mailer serve's web server with a long cache
lifetime and no cookie); the web version shows the same files."""

from __future__ import annotations

import email
import email.policy
import hashlib
import io
import re
import urllib.error
import urllib.request
from pathlib import Path

import pytest
from PIL import Image

from conftest import write_config
from mailer.config import load_config
from mailer.runtime import Runtime
from mailer.send.sender import send_newsletter
from mailer.stores import newsletters
from mailer.web import create_app
from mailer.web.server import ServerThread
from subscribers import store
from support import pictures

SLUG = "2027-05-met-beeld"
YEAR = 365 * 24 * 3600


def _runtime(tmp_path: Path, smtp_port: int, delivery: str, base_url: str = "https://nieuws.example.nl",
             readers: bool = True) -> Runtime:
    folder = tmp_path / "newsletters"
    pictures.issue_folder(folder, SLUG)
    rt = Runtime(load_config(write_config(tmp_path, smtp_port, content={"newsletters_dir": str(folder)},
                                          web={"base_url": base_url}, smtp={"connections": 1},
                                          media={"delivery": delivery, "cache_dir": str(tmp_path / "cache")})))
    for address in ("noor@example.org", "bram@example.org") if readers else ():
        store.add(rt.db, address, "", status="active", source="test", method="import")
    return rt


def _messages(smtp_server) -> list[email.message.EmailMessage]:
    return [email.message_from_bytes(m.data, policy=email.policy.default) for m in smtp_server.messages]


def test_embedded_images_travel_as_related_parts_named_by_their_content_id(tmp_path, smtp_server):
    rt = _runtime(tmp_path, smtp_server.port, "embedded")
    assert send_newsletter(rt, SLUG).sent == 2
    for msg in _messages(smtp_server):
        assert msg.get_content_type() == "multipart/alternative"
        plain, related = msg.get_payload()
        assert plain.get_content_type() == "text/plain" and "[Afbeelding: Staafdiagram" in plain.get_content()
        assert related.get_content_type() == "multipart/related"
        html_part, *images = related.get_payload()
        html = html_part.get_content()
        cids = re.findall(r'<img\b[^>]*\bsrc="cid:([^"]+)"', html)
        assert len(cids) == 3 and len(set(cids)) == 2     # the cover is shown twice, sent once
        by_cid = {str(p["Content-ID"]).strip("<>"): p for p in images}
        assert set(by_cid) == set(cids)
        for cid, part in by_cid.items():
            data = part.get_content()
            assert part.get_content_disposition() == "inline"
            assert part.get_filename() == hashlib.sha256(data).hexdigest() + "." + part.get_content_subtype() \
                .replace("jpeg", "jpg")
            img = Image.open(io.BytesIO(data))
            assert img.width <= 1200 and not img.getexif().get_ifd(pictures.GPS_IFD)
        assert "https://" not in " ".join(re.findall(r"<img\b[^>]*>", html))
    rt.close()


def test_a_test_send_carries_the_images_too(tmp_path, smtp_server):
    from mailer.send.sender import send_test

    rt = _runtime(tmp_path, smtp_server.port, "embedded")
    send_test(rt, SLUG, "cxo@example.org")
    (msg,) = _messages(smtp_server)
    assert any(p.get_content_type() == "multipart/related" for p in msg.walk())
    rt.close()


@pytest.fixture
def served(tmp_path, smtp_server):
    """A hosted-mode runtime whose base_url is a real waitress server on a free port."""
    rt = _runtime(tmp_path, smtp_server.port, "hosted", "http://127.0.0.1:1")
    app = create_app(rt)
    server = ServerThread(app).start()
    rt.close()
    rt = _runtime(tmp_path, smtp_server.port, "hosted", server.url, readers=False)
    app.extensions["mailer_runtime"] = rt
    yield rt, server
    server.stop()
    rt.close()


def _get(url: str):
    try:
        return urllib.request.urlopen(url, timeout=10)
    except urllib.error.HTTPError as exc:
        return exc


def test_hosted_images_have_one_url_for_everyone_cached_for_a_year_without_cookies(served, smtp_server):
    rt, server = served
    assert send_newsletter(rt, SLUG).sent == 2
    pages = []
    for msg in _messages(smtp_server):
        assert not any(p.get_content_type() == "multipart/related" for p in msg.walk())
        html = msg.get_body(("html",)).get_content()
        pages.append(re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', html))
    assert pages[0] == pages[1] and len(pages[0]) == 3          # the same URLs in every reader's mail
    for url in set(pages[0]):
        assert re.fullmatch(re.escape(server.url) + r"/media/[0-9a-f]{64}\.(jpg|png)", url)   # no query string
        resp = _get(url)
        data = resp.read()
        assert resp.status == 200 and resp.headers["Content-Type"] in ("image/jpeg", "image/png")
        assert f"max-age={YEAR}" in resp.headers["Cache-Control"] and "public" in resp.headers["Cache-Control"]
        assert resp.headers.get("Set-Cookie") is None
        assert url.endswith(hashlib.sha256(data).hexdigest() + "." + url.rsplit(".", 1)[1])


@pytest.mark.parametrize("name", ["0" * 64 + ".jpg", "..%2Fconfig.toml", "x.png", "0" * 64 + ".webp",
                                  "%2e%2e%2f%2e%2e%2fetc%2fpasswd"])
def test_unknown_or_hostile_media_names_are_404(served, name):
    _rt, server = served
    resp = _get(f"{server.url}/media/{name}")
    assert resp.status == 404 and resp.headers.get("Set-Cookie") is None


def test_an_emptied_cache_is_filled_again_on_request(served):
    rt, server = served
    from mailer.media import issue_figures
    from mailer.compose import find_newsletter

    figures, images = issue_figures(rt.config, find_newsletter(rt.config.newsletters_dir, SLUG, rt.config.schedule.tz))
    url = figures.placed["media/chart.png"].url
    for p in images.prepared.values():
        (images.cache_dir / p.name).unlink(missing_ok=True)
    assert _get(url).status == 200


def test_the_web_version_shows_the_same_files(served, smtp_server):
    rt, server = served
    send_newsletter(rt, SLUG)
    mail = _messages(smtp_server)[0].get_body(("html",)).get_content()
    in_mail = {u.rsplit("/", 1)[1] for u in re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', mail)}
    page = _get(f"{server.url}/archief/{SLUG}").read().decode()
    on_web = re.findall(r'<img\b[^>]*\bsrc="([^"]+)"', page)
    assert {u.rsplit("/", 1)[1] for u in on_web} == in_mail and all(u.startswith("/media/") for u in on_web)
    assert newsletters.find(rt.db, SLUG) is not None
