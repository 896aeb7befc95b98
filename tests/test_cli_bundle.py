"""``mailer bundle``: the approved quotes of a theme as Word (read back with python-docx) and
Markdown, reactions without permission left out and counted; the same download in the team UI;
the desk's editor offers the approved quotes of the issue's themes."""

from __future__ import annotations

import io
import re

import docx
from click.testing import CliRunner

from mailer.cli import main
from mailer.web import create_app
from test_quotes import SLUG, _approve, reaction, rt  # noqa: F401  (rt is a fixture)
from test_web_team import login


def _seed(rt, smtp_server):
    named = reaction(rt, 21)
    anonymous = reaction(rt, 22, sender="Bram <bram@example.org>")
    refused = reaction(rt, 23, sender="Cas <cas@example.org>")
    unasked = reaction(rt, 24, sender="Dirk <dirk@example.org>")
    waiting = reaction(rt, 25, sender="Eva <eva@example.org>")
    other_theme = reaction(rt, 26, sender="Fien <fien@example.org>", theme="kracht-van-het-collectief")
    _approve(rt, smtp_server, named, "Samen leren we het meest.", "naam", "Anna de Vries")
    _approve(rt, smtp_server, anonymous, "Groeipijn hoort erbij.", "anoniem")
    _approve(rt, smtp_server, refused, "Dit liever niet.", "nee")
    _approve(rt, smtp_server, other_theme, "Ander thema.", "anoniem")
    from mailer import quotes
    quotes.ask(rt.config, rt.db, rt.key, waiting, "Wacht nog.", "bram")
    return named, anonymous, refused, unasked, waiting


def test_the_bundle_holds_exactly_the_approved_quotes_of_the_theme(rt, smtp_server, tmp_path):
    _seed(rt, smtp_server)
    out = tmp_path / "groeipijn.docx"
    result = CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), "bundle", "groeipijn",
                                       "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "2 goedgekeurde citaten van Groeipijn" in result.output
    assert "Weggelaten: 3 reacties zonder toestemming" in result.output
    document = docx.Document(str(out))
    texts = [p.text for p in document.paragraphs]
    quoted = [p.text for p in document.paragraphs if p.style.name == "Quote"]
    assert sorted(quoted) == ["Groeipijn hoort erbij.", "Samen leren we het meest."]
    assert "— Anna de Vries" in texts and "— een lezer" in texts
    assert texts[0] == "Bundel: Groeipijn"
    assert any(t.startswith("Samen verder") for t in texts if t.startswith("Samen"))   # the issue and section
    assert not any(w in " ".join(texts) for w in ("Dit liever niet", "Wacht nog", "Ander thema", "tien jaar"))

    md = tmp_path / "groeipijn.md"
    CliRunner().invoke(main, ["--config", str(tmp_path / "config.toml"), "bundle", "groeipijn",
                              "--newsletter", SLUG, "--out", str(md)])
    text = md.read_text(encoding="utf-8")
    assert "> Samen leren we het meest." in text and "> — een lezer" in text and "Dit liever niet" not in text


def test_a_wrong_theme_or_file_type_is_one_clear_line(rt, tmp_path):
    config = str(tmp_path / "config.toml")
    rt.db  # noqa: B018  (migrated)
    from mailer.stores import newsletters
    from support.web_sample import sample_newsletter
    newsletters.sync(rt.db, sample_newsletter())
    wrong = CliRunner().invoke(main, ["--config", config, "bundle", "groeipein", "--out", str(tmp_path / "x.docx")])
    assert wrong.exit_code == 1 and wrong.output.startswith("Fout: geen thema 'groeipein'") and "groeipijn" in wrong.output
    kind = CliRunner().invoke(main, ["--config", config, "bundle", "groeipijn", "--out", str(tmp_path / "x.pdf")])
    assert kind.exit_code == 1 and ".docx" in kind.output and "Traceback" not in kind.output


def test_the_team_downloads_the_bundle_and_the_desk_offers_the_quotes(rt, smtp_server):
    named, *_rest = _seed(rt, smtp_server)
    client = create_app(rt, testing=True).test_client()
    assert login(client, "bram").status_code == 302
    resp = client.get("/team/bundle.docx?theme=groeipijn")
    assert resp.status_code == 200 and "attachment" in resp.headers["Content-Disposition"]
    quoted = [p.text for p in docx.Document(io.BytesIO(resp.data)).paragraphs if p.style.name == "Quote"]
    assert sorted(quoted) == ["Groeipijn hoort erbij.", "Samen leren we het meest."]
    assert resp.headers["X-Quotes-Left-Out"] == "3"
    assert client.get("/team/bundle.md?theme=bestaat-niet").status_code == 404
    editor = client.get(f"/team/desk/{SLUG}").get_data(as_text=True)
    assert "Citaten van lezers met toestemming (3)" in editor   # groeipijn's two and the other theme's one
    assert f"{{{{ citaat {named} }}}}" in editor and "Samen leren we het meest." in editor
    assert not re.search(r"Dit liever niet|Wacht nog", editor)
