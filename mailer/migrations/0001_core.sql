-- The core schema. Later changes are new numbered files in this folder, never edits of this one.
-- Times are UTC ISO 8601 strings ("2026-11-26T08:00:00+00:00").

CREATE TABLE newsletters (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    title TEXT NOT NULL,
    subject TEXT NOT NULL,
    preheader TEXT NOT NULL DEFAULT '',
    source_path TEXT,
    source_sha256 TEXT,
    language TEXT NOT NULL DEFAULT 'nl',
    -- draft | scheduled | sending | paused | sent | failed | missed
    status TEXT NOT NULL DEFAULT 'draft',
    send_at TEXT,                       -- when it is due (UTC); NULL for drafts
    started_at TEXT,
    finished_at TEXT,
    status_reason TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL,
    updated_at TEXT NOT NULL
);

CREATE TABLE themes (
    id INTEGER PRIMARY KEY,
    slug TEXT NOT NULL UNIQUE,
    name TEXT NOT NULL
);

-- The sections of one newsletter, in order; theme_slug NULL for a section without a theme.
CREATE TABLE sections (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id) ON DELETE CASCADE,
    position INTEGER NOT NULL,
    theme_slug TEXT REFERENCES themes(slug),
    heading TEXT NOT NULL DEFAULT '',
    body_text TEXT NOT NULL DEFAULT '',
    UNIQUE (newsletter_id, position)
);

CREATE TABLE subscribers (
    id INTEGER PRIMARY KEY,
    email TEXT UNIQUE,                  -- NULL once forgotten
    name TEXT NOT NULL DEFAULT '',
    -- pending | active | unsubscribed | bounced | complained | forgotten
    status TEXT NOT NULL DEFAULT 'pending',
    language TEXT NOT NULL DEFAULT 'nl',
    themes TEXT NOT NULL DEFAULT '[]',  -- JSON list of theme slugs of interest
    source TEXT NOT NULL DEFAULT '',
    soft_bounces INTEGER NOT NULL DEFAULT 0,
    created_at TEXT NOT NULL,
    confirmed_at TEXT,
    unsubscribed_at TEXT,
    updated_at TEXT NOT NULL
);
CREATE INDEX subscribers_status ON subscribers(status);

-- What each subscriber agreed to, when and how. Rows are never deleted silently.
CREATE TABLE consent_log (
    id INTEGER PRIMARY KEY,
    subscriber_id INTEGER REFERENCES subscribers(id),
    action TEXT NOT NULL,               -- signup | confirm | import | add | unsubscribe | resubscribe | forget | preferences
    method TEXT NOT NULL DEFAULT '',    -- form | import | cli | link | one-click | mailto | bounce
    source TEXT NOT NULL DEFAULT '',
    detail TEXT NOT NULL DEFAULT '',
    client_ip TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX consent_log_subscriber ON consent_log(subscriber_id);

-- Addresses that must never be mailed again, by SHA-256 of the normalised address, so a
-- forgotten person stays suppressed without their address being kept.
CREATE TABLE suppressions (
    email_sha256 TEXT PRIMARY KEY,
    reason TEXT NOT NULL,               -- unsubscribed | bounced | complained | forgotten | manual
    created_at TEXT NOT NULL
);

-- One newsletter to one subscriber.
CREATE TABLE deliveries (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id),
    subscriber_id INTEGER NOT NULL REFERENCES subscribers(id),
    email TEXT NOT NULL,
    message_id TEXT NOT NULL UNIQUE,
    -- pending | sending | sent | failed | bounced | suppressed
    status TEXT NOT NULL DEFAULT 'pending',
    attempts INTEGER NOT NULL DEFAULT 0,
    last_error TEXT NOT NULL DEFAULT '',
    next_attempt_at TEXT,
    sent_at TEXT,
    updated_at TEXT NOT NULL,
    UNIQUE (newsletter_id, subscriber_id)
);
CREATE INDEX deliveries_status ON deliveries(newsletter_id, status);
CREATE INDEX deliveries_subscriber ON deliveries(subscriber_id, sent_at);

-- Test sends (mailer send SLUG --to ADDRESS), kept apart from the real ledger.
CREATE TABLE test_sends (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER NOT NULL REFERENCES newsletters(id),
    email TEXT NOT NULL,
    message_id TEXT NOT NULL,
    sent_at TEXT NOT NULL
);

-- Every inbound message, stored raw before it is parsed.
CREATE TABLE raw_messages (
    id INTEGER PRIMARY KEY,
    sha256 TEXT NOT NULL UNIQUE,
    message_id TEXT,                    -- the Message-ID header, if any
    size INTEGER NOT NULL,
    data BLOB NOT NULL,
    source TEXT NOT NULL,               -- imap:<mailbox> | import:<file>
    imap_uidvalidity INTEGER,
    imap_uid INTEGER,
    received_at TEXT NOT NULL,
    parsed_at TEXT,
    parse_error TEXT NOT NULL DEFAULT ''
);
CREATE INDEX raw_messages_message_id ON raw_messages(message_id);

CREATE TABLE reactions (
    id INTEGER PRIMARY KEY,
    raw_message_id INTEGER NOT NULL UNIQUE REFERENCES raw_messages(id),
    message_id TEXT,
    kind TEXT NOT NULL,                 -- reaction | auto_reply | bounce | other
    -- nieuw | in_behandeling | afgehandeld | gearchiveerd
    status TEXT NOT NULL DEFAULT 'nieuw',
    from_address TEXT NOT NULL DEFAULT '',
    from_name TEXT NOT NULL DEFAULT '',
    subject TEXT NOT NULL DEFAULT '',
    sent_date TEXT,                     -- the Date header, UTC
    received_at TEXT NOT NULL,
    newsletter_id INTEGER REFERENCES newsletters(id),
    theme_slug TEXT,
    subscriber_id INTEGER REFERENCES subscribers(id),
    delivery_id INTEGER REFERENCES deliveries(id),
    -- token | in-reply-to | references | subject | latest-issue | quoted-section | similar-text | manual | none
    attribution TEXT NOT NULL DEFAULT 'none',
    theme_attribution TEXT NOT NULL DEFAULT 'none',
    confidence REAL NOT NULL DEFAULT 0,
    token_status TEXT NOT NULL DEFAULT 'absent',   -- absent | valid | forged | other-sender
    other_sender INTEGER NOT NULL DEFAULT 0,
    reply_text TEXT NOT NULL DEFAULT '',
    full_text TEXT NOT NULL DEFAULT '',
    html_body TEXT NOT NULL DEFAULT '',
    bounced_addresses TEXT NOT NULL DEFAULT '[]',  -- JSON list
    bounce_type TEXT NOT NULL DEFAULT '',          -- hard | soft | ''
    error TEXT NOT NULL DEFAULT '',
    assignee TEXT NOT NULL DEFAULT '',
    updated_at TEXT NOT NULL
);
CREATE INDEX reactions_filed ON reactions(newsletter_id, theme_slug, status);
CREATE INDEX reactions_kind ON reactions(kind, received_at);
CREATE INDEX reactions_message_id ON reactions(message_id);

CREATE TABLE attachments (
    id INTEGER PRIMARY KEY,
    reaction_id INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
    filename TEXT NOT NULL DEFAULT '',
    content_type TEXT NOT NULL DEFAULT 'application/octet-stream',
    size INTEGER NOT NULL,
    sha256 TEXT NOT NULL,
    data BLOB NOT NULL
);

-- Every change to a reaction, by whom and when (re-filing, status, tags, notes).
CREATE TABLE reaction_events (
    id INTEGER PRIMARY KEY,
    reaction_id INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
    actor TEXT NOT NULL,
    action TEXT NOT NULL,               -- filed | refiled | status | tag | untag | assign | note
    detail TEXT NOT NULL DEFAULT '',
    created_at TEXT NOT NULL
);
CREATE INDEX reaction_events_reaction ON reaction_events(reaction_id);

CREATE TABLE reaction_tags (
    reaction_id INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
    tag TEXT NOT NULL,
    PRIMARY KEY (reaction_id, tag)
);

CREATE TABLE reaction_notes (
    id INTEGER PRIMARY KEY,
    reaction_id INTEGER NOT NULL REFERENCES reactions(id) ON DELETE CASCADE,
    author TEXT NOT NULL,
    body TEXT NOT NULL,
    created_at TEXT NOT NULL
);

-- Where the poller got to in each mailbox.
CREATE TABLE inbox_state (
    mailbox TEXT PRIMARY KEY,
    uidvalidity INTEGER NOT NULL,
    last_uid INTEGER NOT NULL DEFAULT 0,
    updated_at TEXT NOT NULL
);

-- Team accounts for the web UI.
CREATE TABLE users (
    id INTEGER PRIMARY KEY,
    name TEXT NOT NULL UNIQUE,
    password_hash TEXT NOT NULL,
    failed_logins INTEGER NOT NULL DEFAULT 0,
    locked_until TEXT,
    created_at TEXT NOT NULL
);

-- What the service did: sends started, paused, missed, polls. Shown in the log and the UI.
CREATE TABLE events (
    id INTEGER PRIMARY KEY,
    newsletter_id INTEGER REFERENCES newsletters(id),
    level TEXT NOT NULL DEFAULT 'info',
    message TEXT NOT NULL,
    created_at TEXT NOT NULL
);
