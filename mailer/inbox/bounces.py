"""Bounces: RFC 3464 delivery-status reports and the common non-standard notices.

Standard reports are read field by field (Final-/Original-Recipient, Action, Status,
Diagnostic-Code). Non-standard notices (Postfix without DSN, Exim, qmail, Exchange/Office 365,
Gmail) are recognised by sender, subject and their fixed wording, and the failed addresses are
read with each format's own layout before falling back to "addresses in the notice that are not
ours". Mailbox full, quota, greylisting and delays are soft; unknown users and domains are hard.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from email.message import Message

from mailer.inbox.body import BodyParts, dsn_blocks

_ADDRESS = re.compile(r"[A-Za-z0-9._%+\-=']{1,64}@[A-Za-z0-9\-]{1,63}(?:\.[A-Za-z0-9\-]{1,63})*\.[A-Za-z]{2,24}")
_STATUS = re.compile(r"\b([245])\.(\d{1,3})\.(\d{1,3})\b")
_SMTP_CODE = re.compile(r"\b([45])\d\d\b")

MAX_NOTICE_CHARS = 100_000  # a real notice is a few KB; never scan megabytes for addresses
_DAEMON_LOCALS = {"mailer-daemon", "postmaster", "mail-daemon", "mailerdaemon", "mdaemon", "mail-delivery-subsystem",
                  "mail.delivery.system", "mail-delivery-system", "maildelivery"}
# The administrative addresses of mailing-list software ("team-owner@", "owner-team@", "team-request@",
# "mailman@"): a list that refuses or returns our issue writes from one, and names others in its
# notice; none of them is a failed recipient.
_LIST_ADMIN = re.compile(r"^(?:owner-.+|.+-(?:owner|request|bounces?|admin|confirm|join|leave|subscribe|unsubscribe)"
                         r"|mailman|majordomo|listserv|lyris|sympa|ezmlm)$")
# Sender names mail systems use when the address itself is a person-like one ("admin@", "Postmaster <>").
_DAEMON_NAME = re.compile(r"(mail(?:er)?[ .-]?daemon|postmaster|mail delivery (?:system|subsystem)|system administrator"
                          r"|antivirus|mail ?gateway)", re.IGNORECASE)
_BOUNCE_SUBJECT = re.compile(
    r"(undeliver(?:ed|able)|undelivered mail returned to sender|mail delivery (?:failed|failure|system)"
    r"|delivery status notification|delivery (?:failure|failed|has failed|notification|report)|failure notice"
    r"|returned mail|return(?:ed)? to sender|non[- ]?delivery|onbestelbaar|niet bezorgd|kan niet worden bezorgd"
    r"|unzustellbar|nicht zustellbar|non remis|mail system error|could not be delivered|delivery delayed|warning: message .* delayed"
    r"|delivery (?:problem|warning|status)|failed mail|mail failed|automatically rejected|rejected mail|processing error"
    r"|user unknown|unknown user|no such user|returning to sender|not delivered|bezorging mislukt)",
    re.IGNORECASE,
)
_BOUNCE_BODY = re.compile(
    r"(this is the qmail-send program|this message was created automatically by mail delivery software"
    r"|this is the mail system at host|i'm sorry to have to inform you that your message could not"
    r"|delivery has failed to these recipients|uw bericht kan niet worden bezorgd|your message (?:couldn't|could not|wasn't|was not) (?:be )?delivered"
    r"|address not found|delivery to the following recipients? failed|the following addresses? had permanent fatal errors"
    r"|message could not be delivered|mail delivery failed|undeliverable|delivery incomplete|has not yet been delivered"
    r"|unable to deliver|permanent error|recipient address rejected|user unknown|mailbox unavailable"
    r"|de bezorging is mislukt|kon niet worden afgeleverd|sorry, i couldn't deliver"
    # wordings of the many other mail systems (Mailman's flufl.bounce corpus was the measure)
    r"|could not (?:be )?deliver|couldn't be delivered|not be delivered|did not reach the following recipient"
    r"|(?:deli|dele)very to the following recipients?|failed permanently|was automatically rejected|no such user"
    r"|user not found|has been postponed|intended recipient\s*:|failed addresses follow|failed recipient"
    r"|not accepting mail|could not find a gateway|kan niet worden afgeleverd|konnte nicht zugestellt werden"
    r"|n'a pas pu (?:être|etre) (?:remis|distribué|délivré)"
    r"|(?:kon|kan|konden|kunnen) niet worden (?:bezorgd|afgeleverd)|automatisch (?:geweigerd|afgewezen))",
    re.IGNORECASE,
)
_COPY_MARKER = re.compile(
    r"(?:this is a copy of the message|below this line is a copy of the message|original message follows"
    r"|undelivered message (?:attached|follows)|--- original message ---"
    r"|original message headers|original message details|oorspronkelijke berichtkoppen|headers of the original message"
    r"|return-path:)",
    re.IGNORECASE,
)
_SOFT_WORDS = re.compile(
    r"(mailbox (?:is )?full|mailbox full|over ?quota|quota exceeded|exceed(?:ed|s)? (?:the )?(?:storage|quota)"
    r"|insufficient (?:system )?storage|out of storage|greylist|graylist|try again later|temporar(?:y|ily)"
    r"|delayed|will (?:retry|be retried|keep trying)|still trying|not yet been delivered|postvak is vol|brievenbus is vol"
    r"|mailbox size limit|storage limit)",
    re.IGNORECASE,
)
_HARD_WORDS = re.compile(
    r"(user unknown|unknown user|no such user|unknown recipient|recipient not found|recipientnotfound|does not exist"
    r"|doesn't exist|couldn't be found|could not be found|address not found|no such domain|domain not found"
    r"|host (?:or domain name )?not found|name or service not known|no mailbox|mailbox unavailable"
    r"|invalid (?:recipient|mailbox|address)|unrouteable|bestaat niet|onbekende (?:gebruiker|ontvanger)"
    r"|failed permanently|permanent (?:fatal )?error|account (?:has been )?disabled)",
    re.IGNORECASE,
)


@dataclass(frozen=True)
class BounceInfo:
    addresses: tuple[str, ...]
    type: str  # "hard" | "soft"
    status: str  # "5.1.1", "" if unknown
    message_id: str | None
    reason: str  # which rule recognised it


def detect(
    msg: Message, body: BodyParts, *, subject: str, from_address: str, own_addresses: tuple[str, ...],
) -> BounceInfo | None:
    """A ``BounceInfo`` if this message is a bounce (or a delay notice), else None."""
    text = body.full_text or ""
    if body.delivery_status:
        own = {_base(a) for a in own_addresses if a}
        info = _from_dsn(body.delivery_status, own)
        if info is not None:
            addresses, kind, status = info
            return BounceInfo(addresses, kind, status, _returned_message_id(body, _split_notice(text)[1]),
                              "RFC 3464 delivery-status")
        if _dsn_recipients(body.delivery_status):
            return None  # a "delivered" or "relayed" success report
    from_name = _from_name(msg)
    if not _looks_like_bounce(subject, from_address, text, from_name):
        return None
    own = {_base(a) for a in own_addresses if a}  # only now: most mail is not a bounce
    notice, returned_text = _split_notice(text)
    nested = _wrapped_reports(body)
    if nested:  # a gateway that passed the whole report on as an attached message
        info = _from_dsn(nested, own)
        if info is not None:
            addresses, kind, status = info
            return BounceInfo(addresses, kind, status, _returned_message_id(body, returned_text),
                              "RFC 3464 delivery-status (wrapped)")
    notice = notice[:MAX_NOTICE_CHARS]
    addresses, reason = _addresses_from_text(notice, own)
    failed_header = _failed_recipients_header(msg, own)
    if failed_header:  # Exim's and Gmail's own list of the failed recipients is authoritative
        addresses, reason = failed_header, reason + " + X-Failed-Recipients"
    status_match = _STATUS.search(notice)
    status = ".".join(status_match.groups()) if status_match else ""
    kind = classify(status, notice, "delayed" if _is_delay(subject, notice) else "failed")
    return BounceInfo(addresses, kind, status, _returned_message_id(body, returned_text), reason)


# Notices that a message arrived, was passed on or was read, sent as plain text (Exchange and
# Outlook without a multipart/report): their fixed wording, and a subject prefix or a mail system
# as sender, so a reader's "is gelezen op de raad" stays a reaction.
_NOTICE_SUBJECT = re.compile(
    r"^\s*(?:read|not read|gelezen|niet gelezen|gelesen|ungelesen|nicht gelesen|lu|non lu|leído|no leído|letto"
    r"|relayed|delivered|bezorgd|afgeleverd|zugestellt|weitergeleitet|remis|doorgestuurd)\s*:", re.IGNORECASE)
_RECEIPT_BODY = re.compile(
    r"^\s*(?:your message|uw bericht|ihre nachricht|votre message|su mensaje|il messaggio)\b.{0,600}?"
    r"(?:\bwas read on\b|\bis gelezen op\b|\bwurde (?:am .{1,60} )?gelesen\b|\ba été lu le\b"
    r"|\bwas deleted without being read\b|\bis verwijderd zonder te zijn gelezen\b|\bohne gelesen zu werden\b"
    r"|\ba été supprimé sans avoir été lu\b)", re.IGNORECASE | re.DOTALL)
_RELAY_BODY = re.compile(
    r"(?:\bdelivery to these recipients or groups is complete\b|\bde bezorging bij deze geadresseerden of groepen is voltooid\b"
    r"|\bdie zustellung an diese empfänger oder gruppen ist abgeschlossen\b"
    r"|\bla remise à ces destinataires ou groupes est terminée\b)", re.IGNORECASE)


def is_delivery_notice(subject: str, from_address: str, text: str) -> bool:
    """A plain-text notice that a message was delivered, relayed, read or deleted unread (as
    Exchange and Outlook send them without a multipart/report): no reaction and no failure."""
    local = from_address.lower().rpartition("@")[0]
    if not (_NOTICE_SUBJECT.match(subject or "") or local in _DAEMON_LOCALS):
        return False
    head = text[:3000]
    return _RECEIPT_BODY.search(head) is not None or _RELAY_BODY.search(head) is not None


def _wrapped_reports(body: BodyParts) -> list[list[tuple[str, str]]]:
    """DSN field blocks of a multipart/report attached whole (message/rfc822) to a bounce notice.
    Only asked of a message that already looks like a bounce: a reader who forwards a bounce to
    us is not one."""
    blocks: list[list[tuple[str, str]]] = []
    for inner in body.returned_headers[:3]:
        try:
            if not inner.is_multipart() or inner.get_content_type() != "multipart/report":
                continue
            for part in inner.walk():
                if part.get_content_type() in ("message/delivery-status", "message/global-delivery-status"):
                    blocks += dsn_blocks(part)
        except Exception:  # noqa: BLE001 - a broken attachment gives no report
            continue
    return blocks


def _from_name(msg: Message) -> str:
    """The display name of From (and the raw header), for mail systems that send as "admin@"."""
    try:
        return str(msg.get("From", "") or "")[:300]
    except Exception:  # noqa: BLE001
        return ""


def _failed_recipients_header(msg: Message, own: set[str]) -> tuple[str, ...]:
    try:
        values = [str(v) for v in (msg.get_all("X-Failed-Recipients") or [])]
    except Exception:  # noqa: BLE001
        return ()
    out: list[str] = []
    for address in _ADDRESS.findall(" ".join(values)[:10_000]):
        address = address.lower()
        if _base(address) not in own and address not in out:
            out.append(address)
    return tuple(out)


def _base(address: str) -> str:
    local, _, domain = address.strip().strip("<>").lower().rpartition("@")
    return f"{local.split('+', 1)[0]}@{domain}"


def _looks_like_bounce(subject: str, from_address: str, notice: str, from_name: str = "") -> bool:
    local = from_address.lower().rpartition("@")[0] if "@" in from_address else from_address.lower()
    daemon = (local in _DAEMON_LOCALS or "mailer-daemon" in from_address.lower() or not from_address.strip()
              or _LIST_ADMIN.match(local.split("+", 1)[0]) is not None)
    if not daemon and from_name and _DAEMON_NAME.search(from_name):
        daemon = True
    subject = subject or ""
    subject_hit = bool(_BOUNCE_SUBJECT.search(subject))
    if not (daemon or subject_hit):
        return False  # a person's mail: no need to scan the body
    if daemon and subject_hit:
        return True
    if _BOUNCE_BODY.search(notice[:20000]):
        return True
    return daemon and bool(_QMAIL.search(notice[:20000]))  # a mail system listing "<x@y>:" lines, no words we know


def _is_delay(subject: str, notice: str) -> bool:
    return bool(re.search(r"\b(delay(?:ed)?|vertraagd|verzögert|will (?:retry|keep trying)|still trying)\b",
                          subject + "\n" + notice[:3000], re.IGNORECASE)) and not re.search(
        r"\b(failed permanently|permanent(?:ly)? (?:fatal )?error|could not be delivered|couldn't be delivered)\b",
        notice[:3000], re.IGNORECASE)


def _split_notice(text: str) -> tuple[str, str]:
    """(the mail system's notice, the copy of our message it returned inline, if any)."""
    m = _COPY_MARKER.search(text)
    if m is None:
        return text, ""
    start = text.rfind("\n", 0, m.start()) + 1  # from the start of the marker's line
    if len(text[start:m.start()].strip()) > 40:  # mid-line (a notice whose line ends were lost): at the marker
        start = m.start()
    return text[:start], text[start:]


def _returned_message_id(body: BodyParts, returned_text: str) -> str | None:
    for headers in body.returned_headers:
        try:
            value = str(headers.get("Message-ID", "") or "")
        except Exception:  # noqa: BLE001
            value = ""
        m = re.search(r"<([^<>\s]+)>", value) or re.search(r"(\S+@\S+)", value)
        if m:
            return m.group(1)
    m = re.search(r"^\s*message-id:\s*<([^<>\s]+)>", returned_text, re.IGNORECASE | re.MULTILINE)
    return m.group(1) if m else None


def _from_dsn(blocks: list[list[tuple[str, str]]], own: set[str]) -> tuple[tuple[str, ...], str, str] | None:
    addresses: list[str] = []
    kinds: list[str] = []
    statuses: list[str] = []
    for block in blocks:
        fields: dict[str, str] = {}
        for key, value in block:
            fields.setdefault(key.strip().lower(), re.sub(r"\s+", " ", value).strip())
        address = _dsn_address(fields.get("original-recipient", "")) or _dsn_address(fields.get("final-recipient", ""))
        if not address:
            continue
        action = fields.get("action", "").lower()
        status_match = _STATUS.search(fields.get("status", ""))
        status = ".".join(status_match.groups()) if status_match else ""
        if action.startswith(("delivered", "relayed", "expanded")) or (not action and status.startswith("2")):
            continue
        kind = classify(status, fields.get("diagnostic-code", ""), action or "failed")
        if _base(address) in own:
            continue
        if address not in addresses:
            addresses.append(address)
        kinds.append(kind)
        statuses.append(status)
    if not kinds:
        return None
    kind = "hard" if "hard" in kinds else "soft"
    status = next((s for s, k in zip(statuses, kinds) if k == kind and s), next((s for s in statuses if s), ""))
    return tuple(addresses), kind, status


def _dsn_recipients(blocks: list[list[tuple[str, str]]]) -> int:
    return sum(1 for block in blocks if any(k.strip().lower() in ("final-recipient", "original-recipient")
                                            for k, _ in block))


def _dsn_address(value: str) -> str:
    if not value:
        return ""
    address = value.split(";", 1)[1] if ";" in value else value
    address = address.strip().strip("<>").strip().lower()
    return address if _ADDRESS.fullmatch(address) else ""


def classify(status: str, diagnostic: str, action: str = "failed") -> str:
    """'hard' or 'soft' from a DSN status, the diagnostic text and the action."""
    if action.lower().startswith("delayed"):
        return "soft"
    if status.startswith("5.1.") or status == "5.4.4":
        return "hard"
    if _SOFT_WORDS.search(diagnostic) or status in ("5.2.2", "5.2.3"):
        return "soft"
    if status.startswith("4"):
        return "soft"
    if status.startswith("5"):
        return "hard"
    if _HARD_WORDS.search(diagnostic):
        return "hard"
    code = _SMTP_CODE.search(diagnostic)
    if code:
        return "soft" if code.group(1) == "4" else "hard"
    return "hard"


# --- non-standard notices ------------------------------------------------------------------------

_QMAIL = re.compile(r"^<([^<>\s]+@[^<>\s]+)>:[ \t]*$", re.MULTILINE)
_POSTFIX = re.compile(r"^<([^<>\s]+@[^<>\s]+)>(?:\s*\(expanded from [^)]*\))?:[ \t]+\S", re.MULTILINE)
_EXIM_FAILED = re.compile(r"(?:failed|could not be delivered)[^\n]*:\s*\n((?:[ \t]*\n)*(?:[ \t]+\S[^\n]*\n?)+)", re.IGNORECASE)
_EXCHANGE = re.compile(
    r"(?:delivery has failed to these recipients(?: or (?:groups|distribution lists))?|did not reach the following recipient(?:\(s\)|s)?"
    r"|uw bericht kan niet worden bezorgd bij de volgende"
    r"[^\n:]*|your message (?:to|couldn't be delivered to|could not be delivered to)|je bericht is niet bezorgd bij"
    r"|your message wasn't delivered to|uw bericht aan)[:\s]*((?:[^\n]*\n?){1,4})",
    re.IGNORECASE,
)


_ADDRESS_PREFIX = re.compile(r"^(?:smtp|rfc822|x400)[=:;]|^'+")
_RECIPIENT_LINE = re.compile(
    r"^[\s>*\-•]*(?:"
    r"(?:\"[^\"]*\"\s*)?<?'?" + _ADDRESS.pattern + r"'?>?[\s:.;,]*"  # the address alone (perhaps quoted, bulleted)
    r"|(?:[\w -]{0,40}(?:recipient|recipients|ontvanger|empfänger|destinataire|address|adres|user)(?:\(s\))?\s*:\s*<?"
    + _ADDRESS.pattern + r">?.{0,80})"  # "Failed Recipient: x@y"
    r"|<?" + _ADDRESS.pattern + r">?\s*(?:\.\.\.|-|:|\(|\s{2,}|\t)\s*(?:user unknown|unknown|no such|not found|mailbox|quota"
    r"|unknown host|host unknown|invalid|does not exist|account|over|full|unavailable|disabled|rejected|no match"
    r"|niet gevonden|onbekend|bestaat niet|nicht gefunden|unbekannt|inconnu|introuvable|closed|gesloten).{0,120}"
    r"|\(expanded from:?\s*<?" + _ADDRESS.pattern + r">?\)"  # the address we sent to, forwarded elsewhere
    r")$",
    re.IGNORECASE,
)


def _addresses_from_text(notice: str, own: set[str]) -> tuple[tuple[str, ...], str]:
    lines = notice.split("\n")
    # Message ids look like addresses; never report one as a failed recipient.
    excluded = {m.group(0).lower() for ln in lines
                if re.match(r"\s*(?:x-)?(?:original-)?(?:message-id|in-reply-to|references|id)\s*:", ln, re.IGNORECASE)
                for m in _ADDRESS.finditer(ln)}
    # A placeholder in the notice's advice ("NAME@example.edu") is no one's address.
    excluded |= {m.group(0).lower() for m in _ADDRESS.finditer(notice)
                 if len(m.group(0).split("@")[0]) > 1 and m.group(0).split("@")[0].isupper()}

    def keep(found: list[str]) -> tuple[str, ...]:
        out: list[str] = []
        for address in found:
            # "smtp=x@y" (Exchange), "'x@y" (quoted in prose): a type prefix or quote is no part of it
            address = _ADDRESS_PREFIX.sub("", address.lower()).strip(".'=")
            local = address.rpartition("@")[0]
            if (_base(address) in own or local in _DAEMON_LOCALS or _LIST_ADMIN.match(local.split("+", 1)[0])
                    or address in excluded or address in out):
                continue
            out.append(address)
        return tuple(out)

    if "qmail-send program" in notice.lower():
        found = keep(_QMAIL.findall(notice))
        if found:
            return found, "qmail notice"
    found = keep(_POSTFIX.findall(notice))
    if found:
        return found, "Postfix notice"
    found = keep(_QMAIL.findall(notice))  # "<x@y>:" alone on a line, the reason below (qmail-like: Yahoo, Sina)
    if found:
        return found, "qmail-like notice"
    m = _EXIM_FAILED.search(notice)
    if m:
        found = keep(_ADDRESS.findall(m.group(1)))
        if found:
            return found, "Exim notice"
    for m in _EXCHANGE.finditer(notice):
        found = keep(_ADDRESS.findall(m.group(1)))
        if found:
            return found, "Exchange/Gmail notice"
    # Most other mail systems put each failed address on a line of its own, after a label
    # ("Failed Recipient:", "Intended recipient:") or before a reason ("x@y ... unknown host").
    found = keep([a for line in lines if _RECIPIENT_LINE.match(line) for a in _ADDRESS.findall(line)])
    if found:
        return found, "recipient lines"
    # Last resort: every address in the notice, but not those in its advice ("if x@y fails, try
    # x.y@y", "contact helpdesk@y"): examples and contacts, not failures.
    return keep([a for line in lines if not _ADVICE.search(line) for a in _ADDRESS.findall(line)]), \
        "bounce notice (addresses in text)"


_ADVICE = re.compile(r"\b(?:try|e\.g\.|for example|for instance|instead|contact|questions?|help ?desk|probeer"
                     r"|bijvoorbeeld|neem contact|vragen|versuchen sie|zum beispiel|essayez|par exemple)\b", re.IGNORECASE)
