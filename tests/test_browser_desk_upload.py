"""The desk's picture upload in a real browser (Debian chromium via Playwright): the picture goes
up in the background and its Markdown line lands at the writer's cursor, with everything she typed
and did not save yet still there; a refusal is one Dutch line beside the form and changes nothing.
Screenshots of the editor after an upload at 375 and 1280 px go to $MAILER_SCREENSHOTS when set."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from support.waiting import wait_for

from test_browser_desk import frame_text, new_issue, page, site  # noqa: F401  (fixtures)

pytestmark = pytest.mark.browser

ALT = "Een markt met kramen"
FIRST = "Op de markt spraken we twintig makers."
SECOND = "Daarna gingen we samen aan tafel."


def png(width: int = 120, height: int = 80) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (width, height), (40, 110, 160)).save(out, format="PNG")
    return out.getvalue()


def media(site) -> list[str]:
    folder = site.folder / "media"
    return sorted(p.name for p in folder.iterdir() if not p.name.startswith(".")) if folder.is_dir() else []


def choose_picture(page, name: str, alt: str) -> None:
    page.set_input_files("#f-image", files=[{"name": name, "mimeType": "image/png", "buffer": png()}])
    page.fill("#f-alt", alt)


def test_the_picture_lands_at_the_cursor_and_unsaved_text_stays(page, site):
    name = new_issue(page, site, "Beeld op de plek")
    page.fill("#f-sections-0-heading", "Op de markt")
    page.fill("#f-title", "Beeld op de plek, nog niet bewaard")
    body = page.locator("#f-sections-0-body")
    body.fill(f"{FIRST} {SECOND}")                  # typed, not saved
    body.focus()
    page.evaluate("n => document.getElementById('f-sections-0-body').setSelectionRange(n, n)", len(FIRST))
    page.evaluate("window.stillTheSamePage = true")
    choose_picture(page, "Markt in Zwolle.png", ALT)
    page.click("#upload-button")
    page.wait_for_selector("#upload-status.flash.ok:has-text('Afbeelding toegevoegd op de plek van de cursor. "
                           "Vergeet niet op te slaan.')")
    line = "![Een markt met kramen](media/markt-in-zwolle.png)"
    assert body.input_value() == f"{FIRST}\n\n{line}\n\n{SECOND}"
    assert page.evaluate("window.stillTheSamePage === true")     # no reload: nothing typed was lost
    assert page.input_value("#f-title") == "Beeld op de plek, nog niet bewaard"
    assert page.input_value("#f-alt") == "" and page.input_value("#f-image") == ""
    assert page.is_visible("#dirty")
    assert "markt-in-zwolle.png" in media(site)
    # the preview refreshes by itself and shows the picture, loaded from this site
    picture = page.frame_locator("#preview-phone").locator(f"img[alt='{ALT}']")
    wait_for(lambda: picture.count() == 1 and picture.evaluate("img => img.complete && img.naturalWidth > 0"))
    assert SECOND in frame_text(page, "preview-phone")
    for width in (375, 1280):   # the viewport only: the editor's sticky bar smears a full-page shot
        page.set_viewport_size({"width": width, "height": 900})
        for part, selector in (("form", "#upload"), ("text", "#f-sections-0-body")):
            page.eval_on_selector(selector, "el => el.scrollIntoView({block: 'center'})")
            page.screenshot(path=str(site.shots / f"desk-upload-done-{part}-{width}.png"))
        assert page.evaluate("document.documentElement.scrollWidth") <= width + 1
    page.click("#save")
    page.wait_for_selector(".flash.ok:has-text('Opgeslagen in')")
    text = (site.folder / f"{name}.md").read_text(encoding="utf-8")
    assert f"{FIRST}\n\n{line}\n\n{SECOND}" in text and "Beeld op de plek, nog niet bewaard" in text


def test_a_refusal_is_one_dutch_line_and_changes_nothing(page, site):
    new_issue(page, site, "Zonder beschrijving")
    body = page.locator("#f-sections-0-body")
    body.fill(FIRST)
    before = media(site)
    choose_picture(page, "zonder-alt.png", "   ")
    page.click("#upload-button")
    page.wait_for_selector("#upload-status.flash.error:has-text('de alt-tekst is verplicht')")
    assert body.input_value() == FIRST and media(site) == before
    assert page.evaluate("document.activeElement.id") == "f-alt"           # where the fix goes
    assert page.get_attribute("#f-alt", "aria-invalid") == "true"
    assert page.input_value("#f-image") != ""                              # the chosen file stays chosen
    assert page.get_attribute("#upload-status", "role") == "status"
    page.set_viewport_size({"width": 375, "height": 900})
    page.eval_on_selector("#upload", "el => el.scrollIntoView({block: 'end'})")
    page.screenshot(path=str(site.shots / "desk-upload-error-375.png"))
    page.set_viewport_size({"width": 1280, "height": 900})
    page.wait_for_selector("#preview-status:has-text('Voorbeeld bijgewerkt.')")   # no frame loads under the click

    # saved, then corrected with no text focused since: the line goes to the end of the last section
    page.click("#save")
    page.wait_for_selector(".flash.ok:has-text('Opgeslagen in')")
    page.fill("#f-alt", ALT)
    page.set_input_files("#f-image", files=[{"name": "achteraan.png", "mimeType": "image/png", "buffer": png()}])
    page.click("#upload-button")
    page.wait_for_selector("#upload-status.flash.ok:has-text('aan het eind van de laatste sectie')")
    assert page.get_attribute("#f-alt", "aria-invalid") is None
    assert body.input_value() == f"{FIRST}\n\n![Een markt met kramen](media/achteraan.png)"


def test_an_expired_form_says_so_and_keeps_the_text(page, site):
    new_issue(page, site, "Verlopen formulier")
    body = page.locator("#f-sections-0-body")
    body.fill(FIRST)
    before = media(site)
    page.eval_on_selector("#upload input[name=csrf_token]", "el => { el.value = 'verlopen'; }")
    choose_picture(page, "verlopen.png", ALT)
    page.click("#upload-button")
    page.wait_for_selector("#upload-status.flash.error:has-text('deze pagina is verlopen, of u bent uitgelogd')")
    assert body.input_value() == FIRST and media(site) == before
