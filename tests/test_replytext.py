"""Reply text extraction: quote headers, inline answers, signatures, disclaimers, HTML quotes."""

from __future__ import annotations

import pytest

from mailer.inbox.replytext import extract
from mailer.inbox.text_html import html_to_marked_text

QUOTE = "> Beste lezer,\n>\n> Wie draagt de publieke zaak in 2050?\n"


def reply(text: str, from_name: str = "") -> str:
    return " ".join(extract(text, from_name=from_name).reply.split())


@pytest.mark.parametrize("header", [
    "Op di 24 nov. 2026 om 09:12 schreef Marieke Jansen <m@verkenning.example.nl>:",
    "Op di 24 nov. 2026 om 09:12 schreef Marieke Jansen <\nm@verkenning.example.nl>:",
    "On Tue, Nov 24, 2026 at 9:12 AM Marieke Jansen <m@verkenning.example.nl> wrote:",
    "On Tue, Nov 24, 2026 at 9:12 AM Marieke Jansen <m@verkenning.example.nl>\nwrote:",
    "Am Di., 24. Nov. 2026 um 09:12 Uhr schrieb Marieke Jansen <m@verkenning.example.nl>:",
    "Le mar. 24 nov. 2026 à 09:12, Marieke Jansen <m@verkenning.example.nl> a écrit :",
    "Op 24 nov 2026, om 09:12 heeft Marieke Jansen <m@verkenning.example.nl> het volgende geschreven:",
    "Op 24-11-2026 om 09:12 schreef Marieke Jansen:",
    "Marieke Jansen <m@verkenning.example.nl> schreef op 24 november 2026 09:12:",
])
def test_quote_headers(header: str) -> None:
    split = extract(f"Mooi stuk.\n\n{header}\n{QUOTE}")
    assert split.reply == "Mooi stuk."
    assert "Wie draagt de publieke zaak in 2050?" in split.quoted
    assert "Marieke Jansen" in split.quoted


@pytest.mark.parametrize("block", [
    "Van: Marieke Jansen <m@v.nl>\nVerzonden: dinsdag 24 november 2026 09:12\nAan: Anne\nOnderwerp: Samen verder",
    "________________________________\nFrom: Marieke Jansen <m@v.nl>\nSent: Tuesday, November 24, 2026 9:12 AM\n"
    "To: Anne\nSubject: Samen verder",
    "-----Original Message-----\nFrom: Marieke\nSubject: x",
    "-----Oorspronkelijk bericht-----\nVan: Marieke",
    "---------- Forwarded message ---------\nFrom: Marieke <m@v.nl>\nDate: Tue, 24 Nov 2026",
    "---------- Doorgestuurd bericht ----------\nVan: Marieke",
    "Begin forwarded message:\n\nFrom: Marieke",
    "*Van:* Marieke Jansen\n*Verzonden:* dinsdag\n*Aan:* Anne\n*Onderwerp:* Samen verder",
])
def test_outlook_and_forward_blocks(block: str) -> None:
    split = extract(f"Mee eens.\n\n{block}\n\nBeste lezer,\nWie draagt de publieke zaak?")
    assert split.reply == "Mee eens."
    assert "Wie draagt de publieke zaak?" in split.quoted


def test_inline_answers_are_kept_in_order() -> None:
    text = ("Op 24-11-2026 om 09:12 schreef Marieke:\n> Eerste vraag?\nAntwoord een.\n> Tweede vraag?\n>\n"
            "Antwoord twee,\nover twee regels.\n> Slot\n")
    split = extract(text)
    assert split.reply == "Antwoord een.\n\nAntwoord twee,\nover twee regels."
    assert "Eerste vraag?" in split.quoted and "Slot" in split.quoted


def test_quoted_lines_without_header() -> None:
    split = extract("> Wij hoeven niet alles te regelen.\n\nDaar ben ik het niet mee eens.")
    assert split.reply == "Daar ben ik het niet mee eens."
    assert split.quoted.strip() == "Wij hoeven niet alles te regelen."


@pytest.mark.parametrize("signature", [
    "Met vriendelijke groet,\nAnne de Vries\nGemeente X",
    "Met vriendelijke groeten,\n\nAnne",
    "Vriendelijke groet\nAnne",
    "Hartelijke groet,\nAnne",
    "Groet,\nAnne",
    "Groeten, Anne",
    "Kind regards,\nAnne",
    "Best regards,\nAnne",
    "Mvg,\nAnne",
    "-- \nAnne de Vries\n06-12345678",
    "Verstuurd vanaf mijn iPhone",
    "Sent from my iPhone",
    "Verzonden vanuit Outlook voor iOS",
    "Get Outlook for Android",
    "Viele Grüße\nKlaus",
    "Cordialement,\nClaire",
    "Dit bericht kan informatie bevatten die niet voor u is bestemd. Indien u niet de geadresseerde bent...",
    "This e-mail and any attachments may contain confidential information.",
    "Disclaimer\nAan dit bericht kunnen geen rechten worden ontleend.",
])
def test_signatures_and_disclaimers_are_removed(signature: str) -> None:
    assert reply(f"Goed punt over groeipijn.\nDank!\n\n{signature}") == "Goed punt over groeipijn. Dank!"


@pytest.mark.parametrize("content", [
    "On page 3 you wrote:\nthat the government should step back. I disagree with that.",
    "In 2020 schreef ik al:\ndat het anders moet.",
    "De informatie in dit stuk klopt niet helemaal: de coöperatie heeft 250 leden.",
    "This email may sound blunt, but the section on growing pains misses the point.",
    "Dit kan ik alleen maar onderschrijven.",
    "Disclaimer: ik werk zelf bij de gemeente, dus ik ben niet neutraal. Toch vind ik dit goed.",
    "Verzonden met de post heb ik u ook ons rapport, dat zou vandaag moeten aankomen.",
    "Groeipijn herken ik.\n- eerste punt\n- tweede punt",
    "Van het stuk over 2050 werd ik somber.\nAan de andere kant: er is hoop.\nOnderwerp voor later.",
])
def test_real_content_is_not_cut(content: str) -> None:
    assert reply(f"Beste Marieke,\n\n{content}") == " ".join(f"Beste Marieke,\n\n{content}".split())


def test_postscript_after_signoff_is_kept() -> None:
    text = "Mooi.\n\nGroet,\nSanne\n\nPS: nog een idee, zie bijlage.\n\nSanne Wolters\nAdviseur"
    assert reply(text) == "Mooi. PS: nog een idee, zie bijlage."


def test_sender_name_alone_at_the_end_is_dropped() -> None:
    assert reply("Mag ik je citeren?\n\nLinda", from_name="Linda Visser") == "Mag ik je citeren?"
    assert reply("Mag ik je citeren?\n\nLinda Visser", from_name="Linda Visser") == "Mag ik je citeren?"
    # a last line that is not the sender's name stays
    assert reply("Mag ik je citeren?\n\nTot snel", from_name="Linda Visser") == "Mag ik je citeren? Tot snel"


def test_signoff_as_first_line_is_content() -> None:
    assert reply("Hartelijke groeten aan het hele team!\nJullie doen goed werk.") == \
        "Hartelijke groeten aan het hele team! Jullie doen goed werk."


def test_html_quotes_become_marked_text() -> None:
    html = ('<div>Eens!</div><div class="gmail_signature">Anne<br>Gemeente X</div>'
            '<div class="gmail_quote"><div class="gmail_attr">Op di 24 nov. 2026 om 09:12 schreef M &lt;m@v.nl&gt;:</div>'
            '<blockquote class="gmail_quote">Beste lezer,<blockquote>ouder</blockquote></blockquote></div>')
    text = html_to_marked_text(html)
    assert "> Beste lezer," in text and "> > ouder" in text
    split = extract(text)
    assert split.reply == "Eens!" and "ouder" in split.quoted


def test_html_thunderbird_and_outlook_web() -> None:
    tb = ('<p>Prima stuk.</p><div class="moz-cite-prefix">Op 24-11-2026 om 09:12 schreef Marieke:<br></div>'
          '<blockquote type="cite">Beste lezer</blockquote><pre class="moz-signature">-- \nHenk</pre>')
    assert extract(html_to_marked_text(tb)).reply == "Prima stuk."
    owa = ('<div>Goed.</div><div id="appendonsend"></div><hr><div id="divRplyFwdMsg"><b>Van:</b> M<br>'
           '<b>Verzonden:</b> di<br><b>Aan:</b> A<br><b>Onderwerp:</b> S</div><div>Beste lezer</div>')
    split = extract(html_to_marked_text(owa))
    assert split.reply == "Goed." and "Beste lezer" in split.quoted


@pytest.mark.parametrize("content", [
    "Groeten uit Zwolle! Hier gaat het goed met de coöperatie.\nWe hebben nu driehonderd leden.",
    "Regards to the team who wrote the piece on makers; it was spot on.",
    "Thanks for the newsletter, it was great.",
])
def test_signoff_words_inside_sentences_stay(content: str) -> None:
    text = f"Beste Marieke,\n\n{content}\n\nGroet,\nAnne"
    assert reply(text) == " ".join(f"Beste Marieke,\n\n{content}".split())


def test_signoff_with_short_continuation_is_cut() -> None:
    assert reply("Mooi.\n\nMet vriendelijke groet en tot ziens,\nAnne de Vries\nGemeente X") == "Mooi."


@pytest.mark.parametrize("header", [
    # the same header family in the languages of other clients (found on talon's test mail)
    "Den 24 november 2026 09:12, Marieke Jansen (m@verkenning.example.nl) skrev:",
    "W dniu 24 listopada 2026 09:12 użytkownik Marieke <m@verkenning.example.nl>\nnapisał:",
    "24.11.2026 09:12 пользователь \"m@verkenning.example.nl\" <m@verkenning.example.nl> написал:",
    "Vào 09:12 24 tháng 11, 2026, Marieke <m@verkenning.example.nl> đã viết:",
    "On 24-Nov-2026, at 9:12 AM, Marieke Jansen <m@verkenning.example.nl> sent:",
    "---- Marieke Jansen wrote ----",
    "-----On 24/11/2026 09:12, Marieke Jansen wrote-----",
    "2026-11-24 9:12 GMT+01:00 Marieke Jansen <m@verkenning.example.nl>:",
    "2026-11-24 9:12 GMT+01:00 Marieke Jansen <\nm@verkenning.example.nl>:",
    "2026/11/24 Marieke Jansen <m@verkenning.example.nl>",
])
def test_quote_headers_of_other_clients(header: str) -> None:
    split = extract(f"Mooi stuk.\n\n{header}\n{QUOTE}")
    assert split.reply == "Mooi stuk."
    assert "Wie draagt de publieke zaak in 2050?" in split.quoted


def test_date_and_address_line_without_quote_is_the_readers() -> None:
    text = "Mooi stuk.\n\n2026-11-24 mailde ik al met m@verkenning.example.nl:\nzij was het eens."
    assert reply(text) == "Mooi stuk. 2026-11-24 mailde ik al met m@verkenning.example.nl: zij was het eens."


@pytest.mark.parametrize("block", [
    "Fra: Marieke <m@v.nl>\nSendt: 24. november 2026 09:12\nTil: Anne\nEmne: Samen verder",
    "Från: Marieke <m@v.nl>\nSkickat: den 24 november 2026 09:12\nTill: Anne\nÄmne: Samen verder",
    "Date: Tue, 24 Nov 2026 09:12:00 +0100\nFrom: m@v.nl\nTo: anne@a.nl\nSubject: Samen verder",
])
def test_header_blocks_of_other_clients(block: str) -> None:
    split = extract(f"Mee eens.\n\n{block}\n\nBeste lezer,\nWie draagt de publieke zaak?")
    assert split.reply == "Mee eens."


@pytest.mark.parametrize("signature", [
    "Many thanks,\nLars",
    "Thanks again,\nPieter",
    "Bedankt!\nAnne",
    "Outlook voor Android downloaden<https://aka.ms/AAb9ysg>",
])
def test_more_signoffs_and_footers_are_removed(signature: str) -> None:
    assert reply(f"Goed stuk over de coöperatie.\n\n{signature}") == "Goed stuk over de coöperatie."


def test_thanks_inside_the_text_stays() -> None:
    text = "Hoi Marieke,\n\nBedankt voor het stuk over de coöperatie. Wij doen hetzelfde in Zwolle."
    assert reply(text) == "Hoi Marieke, Bedankt voor het stuk over de coöperatie. Wij doen hetzelfde in Zwolle."


def test_header_block_starting_with_a_machine_date_is_cut():
    from mailer.inbox.replytext import extract

    text = ("Prima, ik doe mee.\n\nDate: Tue, 24 Nov 2026 09:12:44 +0100\nTo: anne@gemeente.example.nl\n"
            "Subject: Samen verder\n\nDe afgelopen maanden reisde ik langs gemeenten.\n")
    split = extract(text)
    assert split.reply == "Prima, ik doe mee."
    assert "De afgelopen maanden" in split.quoted


def test_a_readers_own_date_line_is_kept():
    from mailer.inbox.replytext import extract

    text = "Een voorstel voor de bijeenkomst:\n\nDatum: dinsdag 8 december\nAan: iedereen die reageerde\n"
    assert "Datum: dinsdag 8 december" in extract(text).reply


def test_quote_header_wrapped_over_blank_lines_when_it_has_a_time() -> None:
    text = ("Dat klinkt goed, ik doe mee.\n\nOp di 24 nov. 2026 om 09:12 schreef Redactie Verkenning\n\n<\n"
            "nieuwsbrief@verkenning.example.nl>:\nWe zoeken deelnemers voor de proef.")
    split = extract(text)
    assert split.reply == "Dat klinkt goed, ik doe mee."
    assert "We zoeken deelnemers" in split.quoted
    # Without a clock time a blank line still ends the header: the reader's own lines stay.
    own = "Op de bijeenkomst van dinsdag zei ik\n\nhet al: meer tijd nodig.\n\nGroet, Anne"
    assert "meer tijd nodig" in extract(own).reply


def test_reader_text_before_a_quote_header_on_the_same_line_is_kept() -> None:
    text = "Prima plan!--- Op di 24 nov. 2026 om 09:12 schreef Redactie <r@verkenning.example.nl>:\n> Oude tekst"
    assert extract(text).reply == "Prima plan!"
    text = "Thanks, count me in. On Tue, Nov 24, 2026 at 9:12 AM Redactie <r@verkenning.example.nl> wrote:\n> Old text"
    assert extract(text).reply == "Thanks, count me in."
    # A line that starts with the header has nothing of the reader's in front of it.
    header_only = "On Tue, Nov 24, 2026 at 9:12 AM Redactie <r2@verkenning.example.nl> wrote:\n> Old text"
    assert extract("Ja.\n\n" + header_only).reply == "Ja."


def test_a_link_wrapped_inside_a_quote_is_not_an_inline_answer() -> None:
    text = ("Ik kom graag.\n\nOp di 24 nov. 2026 om 09:12 schreef Redactie <r@verkenning.example.nl>:\n"
            "> Aanmelden kan via de site (https://verkenning.example.nl/aanmelden?bron=\n"
            "nieuwsbrief&id=42)\n> Tot dan!")
    split = extract(text)
    assert split.reply == "Ik kom graag."
    assert "nieuwsbrief&id=42)" in split.quoted
    # A real inline answer between quotes stays the reader's.
    inline = ("Op di 24 nov. 2026 om 09:12 schreef Redactie <r@verkenning.example.nl>:\n> Kom je ook?\n"
              "Ja, zeker.\n> Tot dan!")
    assert extract(inline).reply == "Ja, zeker."


@pytest.mark.parametrize("header", [
    "24 Kas 2026 Sal, 09:12 tarihinde Marieke Jansen <\nm@verkenning.example.nl> şunu yazdı:",
    "Dne 24. 11. 2026 v 9:12 Marieke Jansen <m@verkenning.example.nl> napsal(a):",
    "Marieke Jansen <m@verkenning.example.nl> ezt írta (időpont: 2026. nov. 24., K, 9:12):",
    "24.11.2026, 09:12, \"Marieke Jansen\" <m@verkenning.example.nl> пишет:",
    "În mar., 24 nov. 2026 la 09:12, Marieke Jansen <m@verkenning.example.nl> a scris:",
])
def test_quote_headers_in_more_languages(header: str) -> None:
    split = extract(f"Mooi stuk.\n\n{header}\n{QUOTE}")
    assert split.reply == "Mooi stuk."
    assert "Wie draagt de publieke zaak in 2050?" in split.quoted


@pytest.mark.parametrize("separator", [
    "-------- Original-Nachricht --------", "----- Mensaje original -----", "-------- Messaggio originale --------",
    "-------- Message d'origine --------", "-------- Ursprungligt meddelande --------", "_" * 12, "-" * 40,
])
def test_separators_in_more_forms(separator: str) -> None:
    block = f"{separator}\nVon: Marieke <m@v.nl>\nGesendet: Dienstag, 24. November 2026 09:12\nAn: Anne\nBetreff: Samen verder"
    split = extract(f"Mooi stuk.\n\n{block}\n\nBeste lezer, de tekst van de nieuwsbrief.")
    assert split.reply == "Mooi stuk." and "de tekst van de nieuwsbrief" in split.quoted


def test_a_dash_line_in_the_readers_text_stays() -> None:
    text = "Drie punten:\n" + "-" * 20 + "\nEen: vertrouwen.\nTwee: tijd."
    assert reply(text) == " ".join(text.split())


@pytest.mark.parametrize("footer", [
    "Envoyé depuis mon smartphone Samsung Galaxy.", "Envoyé de mon iPad", "Gesendet mit der WEB.DE Mail App",
    "Gesendet von meinem Huawei-Telefon", "Von meinem iPhone gesendet", "Enviado desde mi iPhone",
    "Outlook voor iOS<https://aka.ms/o0ukef> downloaden", "Outlook für Android<https://aka.ms/ghei36> herunterladen",
    "Get Outlook for iOS<https://aka.ms/o0ukef>", "Obtenir Outlook pour Android",
])
def test_app_footers_in_more_languages(footer: str) -> None:
    assert reply(f"Mooi stuk over de makers.\n\n{footer}\n") == "Mooi stuk over de makers."


def test_a_sentence_about_outlook_or_sending_stays() -> None:
    text = "Outlook voor Android is bij ons traag geworden, vandaar de late reactie.\nGesendet: nie."
    assert reply(text) == " ".join(text.split())


def test_name_and_title_lines_without_greeting_are_a_signature() -> None:
    text = ("Het idee van een vaste relatiebeheerder ga ik voorstellen.\n\n"
            "Femke Postma\nSenior beleidsadviseur participatie\nGemeente Zwartewater | 038 000 0000\n")
    assert reply(text, from_name="Femke Postma") == "Het idee van een vaste relatiebeheerder ga ik voorstellen."
    # Sentences after the name are the reader's words (a P.S. without the letters, a second thought).
    text2 = "Eerste gedachte.\n\nFemke\nNog iets: wanneer verschijnt de volgende editie?\n"
    assert reply(text2, from_name="Femke Postma") == " ".join(text2.split())


FORWARD_FROM = ("---------- Forwarded message ---------\nVan: {sender}\nDate: ma 23 nov. 2026 om 20:10\n"
                "Subject: Samen verder\nTo: <sara@x.example>\n\n{body}\n")


def test_a_forwarded_message_from_someone_else_is_the_readers_reaction() -> None:
    text = FORWARD_FROM.format(sender="Kees Bruin <k.bruin@gemeente.example.nl>",
                               body="Wij willen graag meedoen aan de proef.\n\nMet vriendelijke groet,\nKees Bruin")
    split = extract(text, from_name="Ria de Wit", own_addresses=("reacties@verkenning.example.nl",))
    assert split.reply == "Wij willen graag meedoen aan de proef."
    assert "k.bruin@gemeente.example.nl" in split.quoted


def test_a_forwarded_issue_of_ours_is_all_quoted() -> None:
    text = FORWARD_FROM.format(sender="Verkenner <nieuwsbrief+x@verkenning.example.nl>", body="Beste lezer, ...")
    own = ("nieuwsbrief@verkenning.example.nl",)
    assert extract(text, own_addresses=own).reply == ""
    assert extract(text).reply == ""  # without our addresses nothing is taken as the reader's
