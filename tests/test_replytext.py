"""Reply text extraction: quote headers, inline answers, signatures, disclaimers, HTML quotes.

Most cases are rows of a few tables: a quote header or header block that must be cut, a signature
or footer that must go, the reader's own text that must stay, and whole texts with their expected
reply. Mail clients' styles written for this project (tests/test_replytext_clients.py has more).
"""

from __future__ import annotations

import pytest

from mailer.inbox.replytext import extract
from mailer.inbox.text_html import html_to_marked_text

QUOTE = "> Beste lezer,\n>\n> Wie draagt de publieke zaak in 2050?\n"


def reply(text: str, from_name: str = "") -> str:
    return " ".join(extract(text, from_name=from_name).reply.split())


def flat(text: str) -> str:
    return " ".join(text.split())


QUOTE_HEADERS = [
    "Op di 24 nov. 2026 om 09:12 schreef Marieke Jansen <m@verkenning.example.nl>:",
    "Op di 24 nov. 2026 om 09:12 schreef Marieke Jansen <\nm@verkenning.example.nl>:",
    "On Tue, Nov 24, 2026 at 9:12 AM Marieke Jansen <m@verkenning.example.nl> wrote:",
    "On Tue, Nov 24, 2026 at 9:12 AM Marieke Jansen <m@verkenning.example.nl>\nwrote:",
    "Am Di., 24. Nov. 2026 um 09:12 Uhr schrieb Marieke Jansen <m@verkenning.example.nl>:",
    "Le mar. 24 nov. 2026 à 09:12, Marieke Jansen <m@verkenning.example.nl> a écrit :",
    "Op 24 nov 2026, om 09:12 heeft Marieke Jansen <m@verkenning.example.nl> het volgende geschreven:",
    "Op 24-11-2026 om 09:12 schreef Marieke Jansen:",
    "Marieke Jansen <m@verkenning.example.nl> schreef op 24 november 2026 09:12:",
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
    # more languages
    "24 Kas 2026 Sal, 09:12 tarihinde Marieke Jansen <\nm@verkenning.example.nl> şunu yazdı:",
    "Dne 24. 11. 2026 v 9:12 Marieke Jansen <m@verkenning.example.nl> napsal(a):",
    "Marieke Jansen <m@verkenning.example.nl> ezt írta (időpont: 2026. nov. 24., K, 9:12):",
    "24.11.2026, 09:12, \"Marieke Jansen\" <m@verkenning.example.nl> пишет:",
    "În mar., 24 nov. 2026 la 09:12, Marieke Jansen <m@verkenning.example.nl> a scris:",
]


@pytest.mark.parametrize("header", QUOTE_HEADERS)
def test_quote_headers(header: str) -> None:
    split = extract(f"Mooi stuk.\n\n{header}\n{QUOTE}")
    assert split.reply == "Mooi stuk."
    assert "Wie draagt de publieke zaak in 2050?" in split.quoted
    assert header.split("\n")[0] in split.quoted


GERMAN_BLOCK = "Von: Marieke <m@v.nl>\nGesendet: Dienstag, 24. November 2026 09:12\nAn: Anne\nBetreff: Samen verder"
HEADER_BLOCKS = [
    "Van: Marieke Jansen <m@v.nl>\nVerzonden: dinsdag 24 november 2026 09:12\nAan: Anne\nOnderwerp: Samen verder",
    "________________________________\nFrom: Marieke Jansen <m@v.nl>\nSent: Tuesday, November 24, 2026 9:12 AM\n"
    "To: Anne\nSubject: Samen verder",
    "-----Original Message-----\nFrom: Marieke\nSubject: x",
    "-----Oorspronkelijk bericht-----\nVan: Marieke",
    "---------- Forwarded message ---------\nFrom: Marieke <m@v.nl>\nDate: Tue, 24 Nov 2026",
    "---------- Doorgestuurd bericht ----------\nVan: Marieke",
    "Begin forwarded message:\n\nFrom: Marieke",
    "*Van:* Marieke Jansen\n*Verzonden:* dinsdag\n*Aan:* Anne\n*Onderwerp:* Samen verder",
    # other clients' languages, and a block that starts with Date:
    "Fra: Marieke <m@v.nl>\nSendt: 24. november 2026 09:12\nTil: Anne\nEmne: Samen verder",
    "Från: Marieke <m@v.nl>\nSkickat: den 24 november 2026 09:12\nTill: Anne\nÄmne: Samen verder",
    "Date: Tue, 24 Nov 2026 09:12:00 +0100\nFrom: m@v.nl\nTo: anne@a.nl\nSubject: Samen verder",
    # a machine-written RFC 5322 date directly followed by another header: a block without From
    "Date: Tue, 24 Nov 2026 09:12:44 +0100\nTo: anne@gemeente.example.nl\nSubject: Samen verder",
    # separators in more forms, above a German header block
    *(f"{separator}\n{GERMAN_BLOCK}" for separator in (
        "-------- Original-Nachricht --------", "----- Mensaje original -----", "-------- Messaggio originale --------",
        "-------- Message d'origine --------", "-------- Ursprungligt meddelande --------", "_" * 12, "-" * 40)),
]


@pytest.mark.parametrize("block", HEADER_BLOCKS)
def test_header_blocks_and_separators(block: str) -> None:
    split = extract(f"Mee eens.\n\n{block}\n\nBeste lezer,\nWie draagt de publieke zaak?")
    assert split.reply == "Mee eens."
    assert "Wie draagt de publieke zaak?" in split.quoted


REMOVED_AT_THE_END = [
    "Met vriendelijke groet,\nAnne de Vries\nGemeente X",
    "Met vriendelijke groeten,\n\nAnne",
    "Vriendelijke groet\nAnne",
    "Hartelijke groet,\nAnne",
    "Groet,\nAnne",
    "Groeten, Anne",
    "Kind regards,\nAnne",
    "Best regards,\nAnne",
    "Mvg,\nAnne",
    "Many thanks,\nLars",
    "Thanks again,\nPieter",
    "Bedankt!\nAnne",
    "Viele Grüße\nKlaus",
    "Cordialement,\nClaire",
    "Met vriendelijke groet en tot ziens,\nAnne de Vries\nGemeente X",  # a sign-off with a short continuation
    "-- \nAnne de Vries\n06-12345678",
    # phone and app footers
    "Verstuurd vanaf mijn iPhone",
    "Sent from my iPhone",
    "Verzonden vanuit Outlook voor iOS",
    "Get Outlook for Android",
    "Outlook voor Android downloaden<https://aka.ms/AAb9ysg>",
    "Envoyé depuis mon smartphone Samsung Galaxy.", "Envoyé de mon iPad", "Gesendet mit der WEB.DE Mail App",
    "Gesendet von meinem Huawei-Telefon", "Von meinem iPhone gesendet", "Enviado desde mi iPhone",
    "Outlook voor iOS<https://aka.ms/o0ukef> downloaden", "Outlook für Android<https://aka.ms/ghei36> herunterladen",
    "Get Outlook for iOS<https://aka.ms/o0ukef>", "Obtenir Outlook pour Android",
    # legal footers
    "Dit bericht kan informatie bevatten die niet voor u is bestemd. Indien u niet de geadresseerde bent...",
    "This e-mail and any attachments may contain confidential information.",
    "Disclaimer\nAan dit bericht kunnen geen rechten worden ontleend.",
]


@pytest.mark.parametrize("ending", REMOVED_AT_THE_END)
def test_signatures_footers_and_disclaimers_are_removed(ending: str) -> None:
    assert reply(f"Goed punt over groeipijn.\nDank!\n\n{ending}\n") == "Goed punt over groeipijn. Dank!"


READERS_OWN_TEXT = [
    "Beste Marieke,\n\nOn page 3 you wrote:\nthat the government should step back. I disagree with that.",
    "Beste Marieke,\n\nIn 2020 schreef ik al:\ndat het anders moet.",
    "Beste Marieke,\n\nDe informatie in dit stuk klopt niet helemaal: de coöperatie heeft 250 leden.",
    "Beste Marieke,\n\nThis email may sound blunt, but the section on growing pains misses the point.",
    "Beste Marieke,\n\nDit kan ik alleen maar onderschrijven.",
    "Beste Marieke,\n\nDisclaimer: ik werk zelf bij de gemeente, dus ik ben niet neutraal. Toch vind ik dit goed.",
    "Beste Marieke,\n\nVerzonden met de post heb ik u ook ons rapport, dat zou vandaag moeten aankomen.",
    "Beste Marieke,\n\nGroeipijn herken ik.\n- eerste punt\n- tweede punt",
    "Beste Marieke,\n\nVan het stuk over 2050 werd ik somber.\nAan de andere kant: er is hoop.\nOnderwerp voor later.",
    "Hartelijke groeten aan het hele team!\nJullie doen goed werk.",  # a sign-off phrase as the first line
    "Hoi Marieke,\n\nBedankt voor het stuk over de coöperatie. Wij doen hetzelfde in Zwolle.",
    "Drie punten:\n" + "-" * 20 + "\nEen: vertrouwen.\nTwee: tijd.",  # a dash line of the reader's
    "Outlook voor Android is bij ons traag geworden, vandaar de late reactie.\nGesendet: nie.",
    "Mooi stuk.\n\n2026-11-24 mailde ik al met m@verkenning.example.nl:\nzij was het eens.",  # date + address, no quote
    "Een voorstel voor de bijeenkomst:\n\nDatum: dinsdag 8 december\nAan: iedereen die reageerde\n",
]


@pytest.mark.parametrize("text", READERS_OWN_TEXT)
def test_the_readers_own_text_stays(text: str) -> None:
    assert reply(text) == flat(text)


REPLIES = [
    # (text, sender's name, expected reply)
    ("Mooi.\n\nGroet,\nSanne\n\nPS: nog een idee, zie bijlage.\n\nSanne Wolters\nAdviseur", "",
     "Mooi.\n\nPS: nog een idee, zie bijlage."),
    # the sender's name alone at the end is dropped; a last line that is not their name stays
    ("Mag ik je citeren?\n\nLinda", "Linda Visser", "Mag ik je citeren?"),
    ("Mag ik je citeren?\n\nLinda Visser", "Linda Visser", "Mag ik je citeren?"),
    ("Mag ik je citeren?\n\nTot snel", "Linda Visser", "Mag ik je citeren?\n\nTot snel"),
    # sign-off words inside sentences stay, the sign-off after them goes
    *((f"Beste Marieke,\n\n{content}\n\nGroet,\nAnne", "", f"Beste Marieke,\n\n{content}") for content in (
        "Groeten uit Zwolle! Hier gaat het goed met de coöperatie.\nWe hebben nu driehonderd leden.",
        "Regards to the team who wrote the piece on makers; it was spot on.",
        "Thanks for the newsletter, it was great.")),
    # name and title lines without a greeting are a signature; sentences after the name are not
    ("Het idee van een vaste relatiebeheerder ga ik voorstellen.\n\nFemke Postma\nSenior beleidsadviseur participatie\n"
     "Gemeente Zwartewater | 038 000 0000\n", "Femke Postma", "Het idee van een vaste relatiebeheerder ga ik voorstellen."),
    ("Eerste gedachte.\n\nFemke\nNog iets: wanneer verschijnt de volgende editie?\n", "Femke Postma",
     "Eerste gedachte.\n\nFemke\nNog iets: wanneer verschijnt de volgende editie?"),
    # the reader's words in front of a quote header on the same line are kept
    ("Prima plan!--- Op di 24 nov. 2026 om 09:12 schreef Redactie <r@verkenning.example.nl>:\n> Oude tekst", "",
     "Prima plan!"),
    ("Thanks, count me in. On Tue, Nov 24, 2026 at 9:12 AM Redactie <r@verkenning.example.nl> wrote:\n> Old text", "",
     "Thanks, count me in."),
    ("Ja.\n\nOn Tue, Nov 24, 2026 at 9:12 AM Redactie <r2@verkenning.example.nl> wrote:\n> Old text", "", "Ja."),
    # a real inline answer between quotes stays the reader's
    ("Op di 24 nov. 2026 om 09:12 schreef Redactie <r@verkenning.example.nl>:\n> Kom je ook?\nJa, zeker.\n> Tot dan!",
     "", "Ja, zeker."),
    # without a clock time a blank line ends a wrapped header: the reader's own lines stay
    ("Op de bijeenkomst van dinsdag zei ik\n\nhet al: meer tijd nodig.\n\nGroet, Anne", "",
     "Op de bijeenkomst van dinsdag zei ik\n\nhet al: meer tijd nodig."),
]


@pytest.mark.parametrize(("text", "from_name", "expected"), REPLIES)
def test_reply_text(text: str, from_name: str, expected: str) -> None:
    assert extract(text, from_name=from_name).reply == expected


SPLITS = [
    # (text, expected reply, a piece of the expected quote)
    ("Op 24-11-2026 om 09:12 schreef Marieke:\n> Eerste vraag?\nAntwoord een.\n> Tweede vraag?\n>\n"
     "Antwoord twee,\nover twee regels.\n> Slot\n", "Antwoord een.\n\nAntwoord twee,\nover twee regels.", "Eerste vraag?"),
    ("> Wij hoeven niet alles te regelen.\n\nDaar ben ik het niet mee eens.", "Daar ben ik het niet mee eens.",
     "Wij hoeven niet alles te regelen."),
    # a quote header that opens with a clock time may wrap over blank lines
    ("Dat klinkt goed, ik doe mee.\n\nOp di 24 nov. 2026 om 09:12 schreef Redactie Verkenning\n\n<\n"
     "nieuwsbrief@verkenning.example.nl>:\nWe zoeken deelnemers voor de proef.", "Dat klinkt goed, ik doe mee.",
     "We zoeken deelnemers"),
    # a link wrapped by the client inside a quote is not an inline answer
    ("Ik kom graag.\n\nOp di 24 nov. 2026 om 09:12 schreef Redactie <r@verkenning.example.nl>:\n"
     "> Aanmelden kan via de site (https://verkenning.example.nl/aanmelden?bron=\nnieuwsbrief&id=42)\n> Tot dan!",
     "Ik kom graag.", "nieuwsbrief&id=42)"),
]


@pytest.mark.parametrize(("text", "expected", "quoted"), SPLITS)
def test_split(text: str, expected: str, quoted: str) -> None:
    split = extract(text)
    assert split.reply == expected
    assert quoted in split.quoted


def test_inline_answers_keep_the_rest_of_the_quote() -> None:
    split = extract(SPLITS[0][0])
    assert "Slot" in split.quoted and split.quoted.index("Eerste vraag?") < split.quoted.index("Slot")
    assert extract(SPLITS[1][0]).quoted.strip() == "Wij hoeven niet alles te regelen."


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
