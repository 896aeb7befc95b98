"""Permission to quote: asking a reader (a mail with signed, expiring links), recording their
answer in the consent log, the approved passages an issue may quote, and the bundle of a theme.

    ask(cfg, db, key, reaction_id, passage, actor) -> QuoteRequest   (mails the reader)
    answer(db, key, token, choice, name, client_ip) -> QuoteRequest  (the reader's link page)
    approved_for(db, nl) -> {reaction id: ApprovedQuote}             (render, preview, send)
    write_bundle(db, theme, newsletter, path) -> BundleReport        (.md or .docx)
"""

from __future__ import annotations

from .approved import approved_for, offered_quotes, state_of
from .asking import ask, default_passage, reader_name, resend
from .bundle import Bundle, BundleReport, bundle_docx, bundle_markdown, collect, write_bundle
from .consent import answer, request_for_token

__all__ = ["Bundle", "BundleReport", "answer", "approved_for", "ask", "bundle_docx", "bundle_markdown", "collect",
           "default_passage", "offered_quotes", "reader_name", "request_for_token", "resend", "state_of",
           "write_bundle"]
