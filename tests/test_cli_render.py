"""``mailer render``: the issue as a reader gets it, via click and via the console script."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path
from urllib.parse import unquote

import pytest
from click.testing import CliRunner

from mailer import tokens
from mailer.stores import newsletters
from mailer.cli import main
from mailer.config import load_config
from mailer.runtime import Runtime

from conftest import write_config

SLUG = "2026-11-samen-verder"
KEY = b"test-secret-key"  # conftest sets MAILER_SECRET_KEY to this


@pytest.fixture
def cfg_path(tmp_path: Path) -> Path:
    return write_config(tmp_path)


def run(cfg_path: Path, *args: str):
    return CliRunner().invoke(main, ["--config", str(cfg_path), *args], catch_exceptions=False)


def reply_tokens(content: str) -> list[tokens.ReplyToken]:
    addresses = re.findall(r"mailto:([^?\s\"]+)\?", content)
    return [tokens.read_reply_address(KEY, unquote(a)) for a in addresses]


def test_render_html_has_signed_links_for_the_synced_newsletter(cfg_path):
    result = run(cfg_path, "render", SLUG)
    assert result.exit_code == 0, result.output
    html = result.output
    assert html.startswith("<!doctype html>")
    assert "Beste Voorbeeldlezer," in html
    assert html.count("Reageer op dit thema") == 4
    rt = Runtime(load_config(cfg_path))
    try:
        row = newsletters.get(rt.db, SLUG)
        assert [s.heading for s in newsletters.sections(rt.db, row.id)][0] == "Een energiecoöperatie in de polder"
        found = reply_tokens(html)
        assert {t.newsletter_id for t in found} == {row.id}
        assert {t.subscriber_id for t in found} == {0}
        assert sorted(t.theme_index for t in found) == [0, 1, 2, 3, 4]
        # theme index n names the n-th theme as the database knows it
        assert newsletters.theme_slugs(rt.db, row.id)[0] == "kracht-van-het-collectief"
    finally:
        rt.close()


def test_render_text_and_out_file(cfg_path, tmp_path):
    result = run(cfg_path, "render", SLUG, "--text")
    assert result.exit_code == 0
    assert "Reageer op dit thema: mailto:reacties+r-" in result.output
    assert "<html" not in result.output
    assert sorted(t.theme_index for t in reply_tokens(result.output)) == [0, 1, 2, 3, 4]

    out = tmp_path / "issue.html"
    result = run(cfg_path, "render", SLUG, "--out", str(out), "--lang", "en")
    assert result.exit_code == 0
    assert "Reply on this theme" in out.read_text(encoding="utf-8")


def test_unknown_slug_is_one_line_listing_slugs(cfg_path):
    result = CliRunner().invoke(main, ["--config", str(cfg_path), "render", "bestaat-niet"])
    assert result.exit_code == 1
    assert "Traceback" not in result.output
    lines = result.output.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("Error: no newsletter 'bestaat-niet'")
    assert "2026-11-samen-verder" in lines[0] and "2027-01-de-nieuwe-makers" in lines[0]


def test_missing_template_folder_names_the_fix(tmp_path):
    cfg_path = write_config(tmp_path, content={"templates_dir": str(tmp_path / "geen-templates")})
    result = CliRunner().invoke(main, ["--config", str(cfg_path), "render", SLUG])
    assert result.exit_code == 1
    assert "Error: email templates not found" in result.output and "templates_dir" in result.output


def test_console_script(cfg_path):
    script = Path(sys.executable).with_name("mailer")
    env = {k: v for k, v in os.environ.items() if not k.startswith("MAILER_")}
    env["MAILER_SECRET_KEY"] = KEY.decode()
    done = subprocess.run([str(script), "--config", str(cfg_path), "render", SLUG, "--text"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 0, done.stderr
    assert "Reageer op dit thema: mailto:" in done.stdout
    assert len(reply_tokens(done.stdout)) == 5

    done = subprocess.run([str(script), "--config", str(cfg_path), "render", "nope"],
                          capture_output=True, text=True, env=env, timeout=60)
    assert done.returncode == 1
    assert done.stderr.startswith("Error: no newsletter 'nope'") and "Traceback" not in done.stderr
