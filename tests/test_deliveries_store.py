"""mailer/stores/deliveries.py, the look-ups the inbox needs: by Message-ID (with or without <>),
test sends, the latest delivery to an address before a date, recording a delivery and a bounce."""

from __future__ import annotations

from test_send_kit import SLUG, add_subscribers, make_runtime

from mailer.stores import newsletters
from mailer.send.sender import load_newsletter
from mailer.stores import deliveries


def test_lookups_for_the_inbox(tmp_path):
    rt = make_runtime(tmp_path)
    subs = add_subscribers(rt, 2)
    nid = newsletters.sync(rt.db, load_newsletter(rt, SLUG)[0]).id
    older = deliveries.record_delivery(rt.db, nid, subs[0].id, "Lezer0@Example.org", "<a.1@x.nl>",
                                       "2026-10-01T09:00:00+00:00")
    newer = deliveries.record_delivery(rt.db, nid, subs[1].id, "lezer0@example.org", "<a.2@x.nl>",
                                       "2026-11-01T09:00:00+00:00")
    deliveries.record_test_send(rt.db, nid, "cxo@example.org", "<t.1@x.nl>")

    assert deliveries.by_message_id(rt.db, "a.1@x.nl").id == older
    assert deliveries.by_message_id(rt.db, " <a.2@x.nl> ").id == newer
    assert deliveries.by_message_id(rt.db, "<nope@x.nl>") is None
    assert deliveries.test_send_by_message_id(rt.db, "t.1@x.nl").email == "cxo@example.org"

    assert deliveries.latest_to(rt.db, "LEZER0@example.org").id == newer
    assert deliveries.latest_to(rt.db, "lezer0@example.org", before="2026-10-15T00:00:00+00:00").id == older
    assert deliveries.latest_to(rt.db, "lezer0@example.org", before="2026-09-01T00:00:00+00:00") is None

    bounced = deliveries.mark_bounced(rt.db, older, "550 5.1.1 user unknown")
    assert bounced is not None and bounced.status == "bounced" and bounced.subscriber_id == subs[0].id
    assert deliveries.get(rt.db, older).last_error == "550 5.1.1 user unknown"
    assert deliveries.mark_bounced(rt.db, 9999, "x") is None
    assert deliveries.count_by_status(rt.db, nid) == {"pending": 0, "sending": 0, "waiting": 0, "sent": 1,
                                                      "failed": 0, "bounced": 1, "suppressed": 0}
