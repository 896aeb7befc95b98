"""Reply text in the styles of more mail clients, Dutch and English, one table per class of miss
found on outside mail (docs/inbox-quality.md): quote headers without a date or in other scripts,
separators drawn with other dashes, closings and signature blocks without "-- ", forwards,
HTML-only mail, bottom-posting and interleaved answers. All text written for this project.
"""

from __future__ import annotations

import pytest

from mailer.inbox.replytext import extract
from mailer.inbox.text_html import html_to_marked_text

QUOTE = "> Beste lezer,\n> Wie draagt de publieke zaak in 2050?\n"
ADDRESS = "r@verkenning.example.nl"


def flat(text: str) -> str:
    return " ".join(text.split())


QUOTE_HEADERS = [
    # attributions without a date (Thunderbird and mutt when so configured, older webmail)
    "Redactie Verkenning wrote:",
    "Redactie Verkenning schreef:",
    f"\"Redactie Verkenning\" <{ADDRESS}> schreef:",
    f"Redactie <{ADDRESS}> wrote:",
    # an address and a date or time in any wording: Gmail in Japanese and Korean, Apple Mail in Swedish, mutt
    f"2026年11月24日(火) 9:12 Redactie <{ADDRESS}>:",
    f"2026년 11월 24일 (화) 오전 9:12, Redactie <{ADDRESS}>님이 작성:",
    f"24 nov. 2026 kl. 09:12 skrev Redactie <{ADDRESS}>:",
    f"* Redactie Verkenning <{ADDRESS}> [2026-11-24 09:12]:",
    # date forms seen less often
    "On 2026-11-24 09:12, Redactie wrote:",
    "On 24.11.2026 at 9:12 Redactie wrote:",
    "On Tue, Nov 24, 2026 at 09:12:00AM +0100, Redactie Verkenning wrote:",
    f"El mar, 24 nov 2026 a las 9:12, Redactie (<{ADDRESS}>) escribió:",
    f"Il giorno mar 24 nov 2026 alle ore 09:12 Redactie <{ADDRESS}> ha scritto:",
    f"Em ter., 24 de nov. de 2026 às 09:12, Redactie <{ADDRESS}> escreveu:",
]


@pytest.mark.parametrize("header", QUOTE_HEADERS)
def test_quote_headers(header: str) -> None:
    split = extract(f"Dank, ik doe mee.\n\n{header}\n{QUOTE}")
    assert split.reply == "Dank, ik doe mee."
    assert header in split.quoted and "Wie draagt de publieke zaak" in split.quoted


@pytest.mark.parametrize("separator", [
    "—————————— Oorspronkelijk bericht ——————————",  # em dashes (Outlook for iOS, Apple)
    "–––– Original Message ––––",
    "===== Original Message =====",  # older webmail
])
def test_separators_drawn_with_other_rules(separator: str) -> None:
    text = f"Goed stuk.\n\n{separator}\nVan: Redactie <{ADDRESS}>\nOnderwerp: Samen verder\n\nBeste lezer,"
    split = extract(text)
    assert split.reply == "Goed stuk." and "Beste lezer," in split.quoted


@pytest.mark.parametrize("text", [
    # not a name before the verb, or no quote after it: the reader's own words
    "Zoals Jan schreef:\n> Het kan anders.\nDaar ben ik het mee eens.",
    "You wrote:\n> we should step back\nI disagree.",
    "Redactie Verkenning wrote:\nthat the state should step back. Not so.",
    # an address the reader writes without brackets
    "Op 24-11 om 09:12 mailde ik jan@gemeente.example.nl het volgende:\n> het kan anders\nEn nu?",
])
def test_the_readers_own_lines_before_a_quote_stay(text: str) -> None:
    reply = extract(text).reply
    assert reply.split("\n")[0] == text.split("\n")[0]


CLOSINGS = [
    "Met vriendelijke groet | Kind regards\n\nAnne de Vries",
    "Met vriendelijke groet / Kind regards\nAnne de Vries",
    "Liefs,\nAnne",
    "Hoogachtend,\n\nA. de Vries",
    "Grtz,\nAnne",
    "With best wishes,\nJohn",
    "Warm regards,\nJohn Miller",
    "Warmly,\nJohn",
    "Take care,\nJohn",
    "All best,\nJohn",
    "Yours truly,\nJohn Miller",
    "Un saludo,\nLucía",
    "Cordiali saluti,\nGiulia",
]
SIGNATURE_BLOCKS = [
    # a name and contact lines, no closing, no "-- ", and the sender's name not known
    "Anne de Vries\nBeleidsadviseur participatie\nGemeente Zwolle\nT 038 123 4567\nwww.zwolle.example.nl",
    "John Miller\nSenior Policy Advisor\nCity of Leeds\n+44 113 000 0000",
    "Anne de Vries | Gemeente Zwolle\nanne.devries@zwolle.example.nl",
    # a rule instead of "-- " above the name
    "---\nAnne de Vries | Gemeente Zwolle\n06 1234 5678",
    "___\nAnne de Vries\nGemeente Zwolle | 06 1234 5678",
    "—\nJohn Miller\nCity of Leeds",
]


@pytest.mark.parametrize("ending", CLOSINGS + SIGNATURE_BLOCKS)
def test_closings_and_signature_blocks_are_removed(ending: str) -> None:
    text = f"Mooi stuk, ik stuur het door naar mijn team.\n\n{ending}\n"
    assert extract(text).reply == "Mooi stuk, ik stuur het door naar mijn team."


@pytest.mark.parametrize("text", [
    # a contact person the reader names, introduced by a colon
    "Dank voor het stuk. Bel gerust mijn collega:\n\nPieter Bakker\nGemeente Zwolle\n06 9876 5432",
    # sentences after a name line
    "Mooi.\n\nPieter Bakker\nwil ook meedoen, zijn nummer is 06 9876 5432.",
    # a rule in the reader's text, followed by their points
    "Twee punten:\n---\nVertrouwen komt te voet.\nTijd is de schaarste.",
    # a name-shaped last line without contact details
    "Wij zitten in het oosten des lands.\n\nGroot Salland\nen de kop van Overijssel.",
])
def test_the_readers_own_closing_lines_stay(text: str) -> None:
    assert flat(extract(text).reply) == flat(text)


def test_forwards_with_a_note_keep_only_the_note() -> None:
    forwards = [
        f"Zie hieronder, interessant voor jullie.\n\n---------- Forwarded message ---------\nVan: Redactie <{ADDRESS}>\n"
        "Date: di 24 nov 2026 om 09:12\nSubject: Samen verder\nTo: <anne@x.example.nl>\n\nBeste lezer,",
        f"Ter info.\n\nBegin doorgestuurd bericht:\n\n> Van: Redactie <{ADDRESS}>\n> Onderwerp: Samen verder\n"
        "> Datum: 24 november 2026 om 09:12:00 CET\n> Aan: anne@x.example.nl\n>\n> Beste lezer,",
        f"Ter info.\n\n-------- Doorgestuurd bericht --------\nOnderwerp: \tSamen verder\n"
        f"Datum: \tTue, 24 Nov 2026 09:12:00 +0100\nVan: \tRedactie <{ADDRESS}>\nAan: \tanne@x.example.nl\n\nBeste lezer,",
        f"Ter info.\n\nVan: Redactie <{ADDRESS}>\nVerzonden: dinsdag 24 november 2026 09:12\nAan: Anne\n"
        "Onderwerp: Samen verder\n\nBeste lezer,",
    ]
    for text in forwards:
        split = extract(text)
        assert split.reply in ("Zie hieronder, interessant voor jullie.", "Ter info."), text
        assert "Beste lezer," in split.quoted


@pytest.mark.parametrize(("text", "expected"), [
    # bottom-posting, with and without a header, and a closing after the answer
    (f"Op 24-11-2026 om 09:12 schreef Redactie:\n{QUOTE}\nDaar ben ik het mee eens.\n\nGroet,\nAnne",
     "Daar ben ik het mee eens."),
    (f"{QUOTE}\nAgreed, and thanks.\n\n-- \nJohn", "Agreed, and thanks."),
    # interleaved answers under a header without a date, and under Apple's English header
    ("Redactie wrote:\n> Vraag een?\nJa.\n\n> Vraag twee?\nNee.\n\nGroet,\nAnne", "Ja.\n\nNee."),
    (f"On 24 Nov 2026, at 09:12, Redactie <{ADDRESS}> wrote:\n\n> Question one?\n\nYes.\n\n> Question two?\n\n"
     "No.\n\nCheers,\nJohn", "Yes.\n\nNo."),
    # a top-posted answer whose closing comes before the quote header
    (f"Eens.\n\nMet vriendelijke groet,\nAnne\n\nOp di 24 nov. 2026 om 09:12 schreef Redactie <{ADDRESS}>:\n{QUOTE}",
     "Eens."),
])
def test_bottom_posting_and_interleaved_answers(text: str, expected: str) -> None:
    assert extract(text).reply == expected


HTML_REPLIES = [
    # Outlook desktop (nl): the header block under a top border, no blockquote
    ('<html><body><div class="WordSection1"><p class="MsoNormal">Mooi stuk, dank.<o:p></o:p></p><p class="MsoNormal">'
     '<o:p>&nbsp;</o:p></p><div><div style="border:none;border-top:solid #E1E1E1 1.0pt;padding:3.0pt 0cm 0cm 0cm">'
     '<p class="MsoNormal"><b>Van:</b> Redactie &lt;r@verkenning.example.nl&gt; <br><b>Verzonden:</b> dinsdag 24 '
     'november 2026 09:12<br><b>Aan:</b> Anne &lt;a@x.example.nl&gt;<br><b>Onderwerp:</b> Samen verder<o:p></o:p></p>'
     '</div></div><p class="MsoNormal">Beste lezer,</p></div></body></html>', "Mooi stuk, dank."),
    # Apple Mail (en)
    ('<html><body><div>Great piece.</div><div><br><blockquote type="cite"><div>On 24 Nov 2026, at 09:12, Redactie '
     '&lt;r@verkenning.example.nl&gt; wrote:</div><br><div>Beste lezer,</div></blockquote></div></body></html>',
     "Great piece."),
    # Yahoo: the quote in a div, indented rather than marked
    ('<html><body><div class="ydp"><div>Nice.</div></div><div id="yahoo_quoted_1" class="yahoo_quoted"><div>'
     '<div>On Tuesday, November 24, 2026, 09:12:33 AM GMT+1, Redactie &lt;r@verkenning.example.nl&gt; wrote:</div>'
     '<div><br></div><div>Beste lezer,</div></div></div></body></html>', "Nice."),
    # Gmail (nl) with a signature
    ('<div dir="ltr">Eens!<br clear="all"><div><br></div><span class="gmail_signature_prefix">-- </span><br>'
     '<div dir="ltr" class="gmail_signature">Anne de Vries<br>Gemeente Zwolle</div></div><br><div class="gmail_quote">'
     '<div dir="ltr" class="gmail_attr">Op di 24 nov 2026 om 09:12 schreef Redactie &lt;<a href="mailto:r@verkenning.'
     'example.nl">r@verkenning.example.nl</a>&gt;:<br></div><blockquote class="gmail_quote">Beste lezer,</blockquote>'
     '</div>', "Eens!"),
    # Outlook on the web (en), and an Outlook without its markers: only a rule and bold labels
    ('<div>Thanks, good read.</div><div id="appendonsend"></div><hr style="display:inline-block;width:98%">'
     '<div id="divRplyFwdMsg" dir="ltr"><font face="Calibri"><b>From:</b> Redactie &lt;r@verkenning.example.nl&gt;'
     '<br><b>Sent:</b> Tuesday, November 24, 2026 9:12 AM<br><b>To:</b> John<br><b>Subject:</b> Samen verder</font>'
     '<div>&nbsp;</div></div><div>Beste lezer,</div>', "Thanks, good read."),
    ('<div>Prima.</div><hr><div><b>From:</b> Redactie<br><b>Sent:</b> Tuesday<br><b>To:</b> Anne<br><b>Subject:</b> S'
     '</div><div>Beste lezer</div>', "Prima."),
    # Thunderbird (nl) forward with its header table, and iOS (nl) with its footer above the quote
    ('<p>Ter info</p><div class="moz-forward-container"><br>-------- Doorgestuurd bericht --------<table class="moz-'
     'email-headers-table"><tr><th>Onderwerp: </th><td>Samen verder</td></tr><tr><th>Datum: </th><td>Tue, 24 Nov 2026 '
     '09:12:00 +0100</td></tr><tr><th>Van: </th><td>Redactie &lt;r@verkenning.example.nl&gt;</td></tr></table><br>'
     'Beste lezer,</div>', "Ter info"),
    ('<html><body dir="auto">Helemaal mee eens.<br><br><div dir="ltr">Verstuurd vanaf mijn iPhone</div><div dir="ltr">'
     '<br><blockquote type="cite">Op 24 nov. 2026 om 09:12 heeft Redactie &lt;r@verkenning.example.nl&gt; het volgende '
     'geschreven:<br><br></blockquote></div><blockquote type="cite"><div dir="ltr">Beste lezer,</div></blockquote>'
     '</body></html>', "Helemaal mee eens."),
]


@pytest.mark.parametrize(("html", "expected"), HTML_REPLIES)
def test_html_only_mail_of_more_clients(html: str, expected: str) -> None:
    split = extract(html_to_marked_text(html))
    assert flat(split.reply) == expected
    assert "Beste lezer" in split.quoted


def test_arrows_around_a_link_are_emphasis_not_a_quote() -> None:
    text = "Aanmelden voor de bijeenkomst kan hier:\n>>> https://verkenning.example.nl/aanmelden <<<\nTot dan!"
    assert extract(text).reply == text
    assert extract(">> Lees dit eerst <<\nDe rest volgt.").reply == ">> Lees dit eerst <<\nDe rest volgt."
    # a quoted line that merely contains arrows is still quoted
    assert extract("> zie >>> hier\nAntwoord.").reply == "Antwoord."
