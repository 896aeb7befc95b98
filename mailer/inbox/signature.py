"""The end of the reader's words: sign-offs, "-- " signatures, phone and app footers, legal
disclaimers and a trailing name-and-title block. A postscript after the sign-off is kept.
"""

from __future__ import annotations

import re

# --- signatures, phone footers, disclaimers -------------------------------------------------------
_SIGNOFF_PHRASE = (
    r"(?i:(?:met\s+)?(?:vriendelijke|hartelijke|warme|collegiale|beste|lieve|hele|zonnige|goede)\s+groet(?:en|jes)?"
    r"|met\s+(?:een\s+)?(?:vriendelijke|hartelijke)?\s*groet|groet(?:en|jes)?|gr\.?|vr\.?\s*gr\.?|m\.?v\.?g\.?"
    r"|(?:kind|best|warm|warmest|kindest|many|with\s+kind)\s+regards|regards|best\s+wishes|all\s+the\s+best"
    r"|cheers|best|thanks|(?:yours\s+)?sincerely|many\s+thanks|thanks\s+(?:again|a\s+lot|so\s+much)"
    r"|thank\s+you(?:\s+(?:again|so\s+much))?|(?:alvast\s+)?bedankt|dank\s+(?:je|u)\s+wel"
    r"|(?:mit\s+)?(?:freundlichen|besten|herzlichen|lieben)\s+gr[üu](?:ß|ss)en|(?:viele|liebe|beste)\s+gr[üu](?:ß|ss)e"
    r"|(?:bien\s+)?cordialement|bien\s+à\s+vous"
    # informal and formal closings of Dutch and English writers, and those of other languages
    r"|liefs|hoogachtend|grtz|(?:with\s+)?(?:best|kind|warm|warmest|kindest|warm\s+and\s+kind)\s+(?:regards|wishes)"
    r"|all\s+best|warmly|take\s+care|yours\s+(?:truly|faithfully)|respectfully"
    r"|(?:un\s+)?saludos?(?:\s+cordiales)?|cordiali\s+saluti|saluti|pozdrawiam|(?:med\s+)?vänliga\s+hälsningar)\b"
)
_NAME_WORD = r"(?:[A-ZÀ-Ý][\w.'\-]*|van|de|der|den|het|ter|ten|v\.d\.|d')"
# A sign-off line is the phrase, then at most a name ("Groeten, Anne de Vries"), or a short line
# ending in a comma ("Met vriendelijke groet en tot ziens,"). "Groeten uit Zwolle! Hier gaat het
# goed met de coöperatie." is the reader talking, and stays.
# Bilingual writers put both closings on one line: "Met vriendelijke groet | Kind regards".
_SIGNOFF = re.compile(
    r"^\s*(?:" + _SIGNOFF_PHRASE + r"(?:\s*[/|]\s*" + _SIGNOFF_PHRASE + r")?[\s,.!]*"
    r"(?:" + _NAME_WORD + r"(?:\s+" + _NAME_WORD + r"){0,4})?[\s,.!]*"
    r"|(?=.{1,45}$)" + _SIGNOFF_PHRASE + r"[^.!?]*,\s*)$"
)
_DELIMITER = re.compile(r"^\s*(?:--|__)\s*$")
_DEVICE = (r"(?:mijn\s+|my\s+|de\s+|the\s+)?(?:iphone|ipad|android|samsung|galaxy|mobiel|mobile|telefoon|phone"
           r"|smartphone|outlook|gmail|yahoo|ziggo|kpn|huawei|xiaomi|pixel|fairphone|blackberry|proton|mail\s+(?:voor|for)"
           r"|e-?mail\s+(?:voor|for)|windows|tablet)")
_MOBILE = re.compile(
    r"^\s*(?:(?:verstuurd|verzonden)\s+(?:vanaf|vanuit|met|via|van)\s+" + _DEVICE + r".{0,60}"
    r"|sent\s+(?:from|with|via|using)\s+" + _DEVICE + r".{0,60}|get\s+outlook\s+for\s+.{1,80}"
    r"|download\s+outlook\s+voor\s+.{1,80}|von\s+meinem\s+.{1,40}\s+gesendet|gesendet\s+(?:von|vom|mit|über)\s+.{1,60}"
    r"|envoy[ée]\s+(?:de|depuis|à\s+partir\s+de|avec|via)\s+.{1,60}|enviado\s+desde\s+.{1,60}|inviato\s+da\s+.{1,60}"
    # the Outlook apps, the link before or after the verb: "Outlook voor iOS<https://aka.ms/o0ukef> downloaden",
    # "Outlook für Android<https://aka.ms/ghei36> herunterladen", "Obtenir Outlook pour iOS<...>"
    r"|(?:(?:get|download|obtenir|télécharger|descargar|scarica)\s+)?outlook\s+(?:for|voor|für|pour|para|per)\s+(?:ios|android)"
    r"\s*(?:<[^>]*>)?\s*(?:downloaden|herunterladen|télécharger|holen|descargar|scaricare)?\s*(?:<[^>]*>)?)$",
    re.IGNORECASE,
)
# Legal footers, anchored on their fixed openings only: "De informatie in dit stuk klopt niet" or
# "This email may sound blunt" is the reader talking and must stay.
_DISCLAIMER = re.compile(
    r"^\s*(?:dit\s+(?:e-?mail-?)?bericht\s+(?:kan\s+(?:vertrouwelijke\s+)?informatie\s+bevatten|is\s+(?:uitsluitend|alleen)"
    r"\s+bestemd)|de\s+informatie\s+verzonden\s+(?:met|in)\s+(?:dit|deze)\s+e-?mail"
    r"|aan\s+dit\s+(?:e-?mail-?)?bericht\s+kunnen\s+geen\s+rechten"
    r"|this\s+e-?mail(?:\s+message)?\s+(?:and\s+any\s+(?:files|attachments)|(?:may\s+contain|contains)\s+(?:confidential|privileged)"
    r"|is\s+(?:intended\s+(?:only\s+|solely\s+)?for|confidential))"
    r"|the\s+information\s+(?:contained\s+)?in\s+this\s+(?:e-?mail|message|communication|transmission)\s+(?:is|and|may)"
    r"|disclaimer\s*:?\s*$|disclaimer\s*:?.*\b(?:bericht|e-?mail|message|informatie|information|vertrouwelijk|confidential"
    r"|bestemd|intended)\b|confidentiality\s+notice|diese\s+e-?mail\s+(?:enthält|kann)\s+vertrauliche)",
    re.IGNORECASE,
)
_POSTSCRIPT = re.compile(r"^\s*(?:p\.?\s?s\.?|pps\.?)[\s:,]", re.IGNORECASE)
_WORD = re.compile(r"\w+")


def strip_signature(lines: list[str], from_name: str) -> list[str]:
    """``lines`` without the signature block, phone footer or disclaimer at their end."""
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    if not content:
        return []
    first = content[0]
    cut = None
    for i in content:
        line = lines[i].replace("\xa0", " ")
        if len(line) > 300:
            continue
        if _DELIMITER.match(line) or _MOBILE.match(line) or _DISCLAIMER.match(line):
            cut = i
            break
        if i > first and _SIGNOFF.match(line):
            cut = i
            break
    if cut is None:
        return _drop_contact_block(_drop_trailing_name(lines, from_name))
    kept = lines[:cut]
    # A postscript after the sign-off is the reader's words too.
    for j in range(cut + 1, len(lines)):
        if _POSTSCRIPT.match(lines[j]):
            end = j
            while end < len(lines) and lines[end].strip():
                end += 1
            kept += [""] + lines[j:end]
            break
    return kept


def _drop_trailing_name(lines: list[str], from_name: str) -> list[str]:
    """Drop a signature that starts with the sender's name (or first name) on a line of its own,
    as in "...\\n\\nAnne" or "...\\n\\nFemke Postma\\nSenior beleidsadviseur\\nGemeente X | 038 ...":
    the name line and up to four short lines after it that read as a title, an organisation, a
    phone number or an address, not as sentences."""
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    if len(content) < 2 or not from_name.strip():
        return lines
    names = {w.lower() for w in _WORD.findall(from_name) if len(w) > 1}
    for k in range(len(content) - 1, max(0, len(content) - 6), -1):
        words = _WORD.findall(lines[content[k]].strip().strip(",.!").lower())
        if words and len(words) <= 3 and all(w in names for w in words):
            after = [lines[i].strip() for i in content[k + 1:]]
            if all(_signature_line(ln) for ln in after):
                return lines[: content[k]]
            return lines
    return lines


def _signature_line(line: str) -> bool:
    """A short line of a signature block (title, organisation, phone, web address), not a sentence."""
    return len(line) <= 70 and not line.endswith(("?", "!", ":", ";")) and not (
        line.endswith(".") and len(_WORD.findall(line)) > 4)


# A contact detail: an e-mail or web address, or a phone number (8+ digits, "+31 6 1234 5678").
_CONTACT = re.compile(r"[\w.+-]@[\w-]+\.|https?://|\bwww\.|(?:\+|\b0)\d[\d ().-]{6,}\d")
# A name-shaped line: two to five capitalised words (with particles), maybe "| organisation" after them.
_NAME_LINE = re.compile(r"^\s*[A-ZÀ-Ý][\w.'\-]*(?:\s+" + _NAME_WORD + r"){1,4}\s*(?:[|,\u2013\u2014]\s*[^.!?]{0,60})?$")
# A rule that some writers put above their signature instead of "-- ": "---", "___", an em dash.
_RULE_LINE = re.compile(r"^\s*(?:-{3,}|_{3,}|[\u2013\u2014]{1,3})\s*$")


def _drop_contact_block(lines: list[str]) -> list[str]:
    """Drop a signature block at the end that no sign-off or "-- " announced, whoever the sender:
    after a blank line, a name line with up to five short lines that hold a contact detail
    ("Anne de Vries / Beleidsadviseur / Gemeente Zwolle / T 038 123 4567"), or a rule line ("---",
    an em dash) directly above a name line and short lines. Sentences after the name keep it all, and
    so does a line ending in a colon above it ("Bel gerust mijn collega:")."""
    content = [i for i, ln in enumerate(lines) if ln.strip()]
    for pos in range(max(1, len(content) - 7), len(content) - 1):
        start = content[pos]
        if lines[start - 1].strip():
            continue
        line = lines[start].replace("\xa0", " ").strip()
        after = [lines[i].replace("\xa0", " ").strip() for i in content[pos + 1:]]
        if not all(_signature_line(ln) for ln in after):
            continue
        if _RULE_LINE.match(line) and _NAME_LINE.match(after[0]):
            return lines[:start]
        if (_NAME_LINE.match(line) and len(after) <= 5
                and any(_CONTACT.search(ln) for ln in after) and not lines[content[pos - 1]].rstrip().endswith(":")):
            return lines[:start]
    return lines

