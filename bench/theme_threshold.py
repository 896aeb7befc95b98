"""Attribution without tokens: newsletter and theme accuracy per class, and the thresholds' sweep.

Builds the world of bench/theme_cases.json in a temporary database (the three sample issues sent
to the readers listed at their times, a draft that only went out as a test send), attributes every
reply in tests/data/attribution/ as the inbox would (``parse_message`` then ``Attributor``), and
prints per class of reply: newsletter accuracy, theme accuracy, wrong themes and wrong themes above
confidence 0.8. A theme is right when it is one of the labelled themes (either of two close ones),
or none for a reply about the whole issue; a newsletter is right when it is the labelled one (none
when the label says no issue can be told). Then the sweep of the theme threshold and lead, and the
similarity alone on the labelled reply texts. Last line: JSON.

    .venv/bin/python bench/theme_threshold.py [--misses]
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import sqlite_utils  # noqa: E402

from mailer import db as mailer_db  # noqa: E402
from mailer.stores import newsletters  # noqa: E402
from mailer.compose.source import find_newsletter, load_newsletter  # noqa: E402
from mailer.inbox import similarity  # noqa: E402
from mailer.inbox.attribute import Attribution, Attributor, AttributionSettings  # noqa: E402
from mailer.inbox.parse import parse_message  # noqa: E402

CASES = ROOT / "bench" / "theme_cases.json"
REPLIES = ROOT / "tests" / "data" / "attribution"
TZ = ZoneInfo("Europe/Amsterdam")
OWN = ("nieuwsbrief@verkenning.example.nl", "reacties@verkenning.example.nl", "bounces@verkenning.example.nl")
HIGH = 0.8  # no wrong theme may be reported above this confidence


def build_world(folder: Path, world: dict) -> sqlite_utils.Database:
    """The database the replies are attributed against (ids as the generator of the cases used)."""
    from subscribers import store as subscribers

    db = mailer_db.connect(folder / "bench.db")
    ids: dict[str, int] = {}
    for issue in world["issues"]:
        nl = find_newsletter(ROOT / "newsletters", issue["slug"], TZ)
        row = newsletters.sync(db, nl)
        sent = issue["sent_at"]
        finished = (datetime.fromisoformat(sent) + timedelta(minutes=5)).isoformat(timespec="seconds")
        newsletters.set_status(db, row.id, "sent", send_at=sent, started_at=sent, finished_at=finished)
        ids[issue["slug"]] = row.id
    draft = newsletters.sync(db, load_newsletter(ROOT / world["draft"]["file"], TZ))
    with db.conn:
        db.execute("INSERT INTO test_sends (newsletter_id, email, message_id, sent_at) VALUES (?,?,?,?)",
                   [draft.id, world["draft"]["test_send_to"], "<preview.bench@verkenning.example.nl>",
                    world["draft"]["test_sent_at"]])
    for i, reader in enumerate(world["readers"]):
        sub = subscribers.add(db, reader["email"], reader["name"], status="active", source="bench", method="import")
        for slug in reader["issues"]:
            nid = ids[slug]
            sent = datetime.fromisoformat(next(x["sent_at"] for x in world["issues"] if x["slug"] == slug))
            at = (sent + timedelta(seconds=3 * i)).isoformat(timespec="seconds")
            with db.conn:
                db.execute(
                    "INSERT INTO deliveries (newsletter_id, subscriber_id, email, message_id, status, attempts,"
                    " sent_at, updated_at) VALUES (?,?,?,?, 'sent', 1, ?, ?)",
                    [nid, sub.id, sub.email, f"<{at[:19]}.{nid}.{sub.id}.bench@verkenning.example.nl>", at, at])
    return db


@dataclass
class Outcome:
    case: dict
    attribution: Attribution

    @property
    def newsletter_right(self) -> bool:
        return self.attribution.newsletter_slug == self.case["newsletter"]

    @property
    def theme_right(self) -> bool:
        wanted = self.case["themes"]
        return self.attribution.theme_slug in wanted if wanted else self.attribution.theme_slug is None

    @property
    def theme_wrong(self) -> bool:
        """A theme given that is not an acceptable one (an empty theme is a miss, not wrong)."""
        return self.attribution.theme_slug is not None and not self.theme_right


def attribute_all(db: sqlite_utils.Database, data: dict, settings: AttributionSettings) -> list[Outcome]:
    world = data["world"]
    key = world["key"].encode()
    received = datetime.fromisoformat(world["received_at"])
    attributor = Attributor(db, key, settings=settings)
    out = []
    for case in data["replies"]:
        parsed = parse_message((REPLIES / case["file"]).read_bytes(), own_addresses=OWN)
        out.append(Outcome(case, attributor.attribute(parsed, received_at=received)))
    return out


def score(outcomes: list[Outcome]) -> dict[str, object]:
    n = len(outcomes)
    return {
        "cases": n,
        "newsletter": round(sum(o.newsletter_right for o in outcomes) / n, 3) if n else 1.0,
        "theme": round(sum(o.theme_right for o in outcomes) / n, 3) if n else 1.0,
        "wrong_themes": sum(o.theme_wrong for o in outcomes),
        "wrong_themes_above_0_8": sum(o.theme_wrong and o.attribution.theme_confidence > HIGH for o in outcomes),
        "wrong_newsletters": sum(o.attribution.newsletter_slug is not None and not o.newsletter_right
                                 for o in outcomes),
    }


def per_class(outcomes: list[Outcome]) -> dict[str, dict[str, object]]:
    groups: dict[str, list[Outcome]] = defaultdict(list)
    for o in outcomes:
        groups[o.case["class"]].append(o)
    return {cls: score(items) for cls, items in groups.items()}


def texts_only(data: dict, settings: AttributionSettings) -> dict[str, float]:
    """Word similarity alone on the labelled reply texts of the first issue (IDF over the three
    issues, as the inbox computes it): precision and recall."""
    issues = {}
    for issue in data["world"]["issues"]:
        texts: dict[str, str] = {}
        for s in find_newsletter(ROOT / "newsletters", issue["slug"], TZ).sections:
            if s.theme:
                texts[s.theme] = texts.get(s.theme, "") + "\n" + s.heading + "\n" + s.text
        issues[issue["slug"]] = texts
    corpus = similarity.library(issues)
    cases = data["texts"]["cases"]
    assigned = right = 0
    for case in cases:
        scores = similarity.theme_scores(corpus, data["texts"]["newsletter"], case["text"])
        guess = similarity.pick(scores, threshold=settings.threshold, lead=settings.lead)
        if guess.theme is not None:
            assigned += 1
            right += guess.theme == case["theme"]
    themed = sum(c["theme"] is not None for c in cases)
    return {"cases": len(cases), "assigned": assigned, "precision": round(right / assigned, 3) if assigned else 1.0,
            "recall": round(right / themed, 3) if themed else 0.0}


def print_table(title: str, rows: dict[str, dict[str, object]]) -> None:
    print(title)
    print(f"  {'class':<22} {'cases':>5} {'newsletter':>10} {'theme':>6} {'wrong':>6} {'wrong>0.8':>9}")
    for cls, r in rows.items():
        print(f"  {cls:<22} {r['cases']:>5} {r['newsletter']:>10.3f} {r['theme']:>6.3f} {r['wrong_themes']:>6}"
              f" {r['wrong_themes_above_0_8']:>9}")


def main(argv: list[str] | None = None) -> dict[str, object]:
    ap = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    ap.add_argument("--misses", action="store_true", help="list every reply attributed wrongly or not at all")
    args = ap.parse_args(argv)
    data = json.loads(CASES.read_text(encoding="utf-8"))
    chosen = AttributionSettings()
    with tempfile.TemporaryDirectory(prefix="theme-bench-") as tmp:
        db = build_world(Path(tmp), data["world"])
        outcomes = attribute_all(db, data, chosen)
        sweep = []
        for lead in (1.0, 1.1, 1.25, 1.5):
            for threshold in (0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.15):
                trial = AttributionSettings(threshold=threshold, lead=lead)
                s = score(attribute_all(db, data, trial))
                t = texts_only(data, trial)
                sweep.append({"threshold": threshold, "lead": lead, **s, "texts_precision": t["precision"],
                              "texts_recall": t["recall"]})
        issue_sweep = []
        for issue_threshold in (0.08, 0.10, 0.12, 0.15):
            for issue_lead in (1.15, 1.3, 1.5):
                trial = AttributionSettings(issue_threshold=issue_threshold, issue_lead=issue_lead)
                issue_sweep.append({"issue_threshold": issue_threshold, "issue_lead": issue_lead,
                                    **score(attribute_all(db, data, trial))})
        db.conn.close()
    classes = per_class(outcomes)
    overall = score(outcomes)
    tuning = score([o for o in outcomes if o.case.get("set") != "heldout"])
    heldout = score([o for o in outcomes if o.case.get("set") == "heldout"])
    print(f"{overall['cases']} replies in {len(classes)} classes; chosen theme threshold {chosen.threshold},"
          f" lead {chosen.lead}; issue threshold {chosen.issue_threshold}, lead {chosen.issue_lead}")
    print_table("per class:", {**classes, "all": overall, "  tuning set": tuning, "  held-out set": heldout})
    print("sweep (all replies):")
    print(f"  {'threshold':>9} {'lead':>5} {'newsletter':>10} {'theme':>6} {'wrong':>6} {'wrong>0.8':>9}"
          f" {'texts precision':>15} {'recall':>6}")
    for r in sweep:
        print(f"  {r['threshold']:>9.2f} {r['lead']:>5.2f} {r['newsletter']:>10.3f} {r['theme']:>6.3f}"
              f" {r['wrong_themes']:>6} {r['wrong_themes_above_0_8']:>9} {r['texts_precision']:>15.3f}"
              f" {r['texts_recall']:>6.3f}")
    print("sweep of the content route (all replies):")
    print(f"  {'issue threshold':>15} {'lead':>5} {'newsletter':>10} {'wrong newsletters':>17} {'theme':>6}")
    for r in issue_sweep:
        print(f"  {r['issue_threshold']:>15.2f} {r['issue_lead']:>5.2f} {r['newsletter']:>10.3f}"
              f" {r['wrong_newsletters']:>17} {r['theme']:>6.3f}")
    texts = texts_only(data, chosen)
    print(f"reply texts alone ({texts['cases']}, first issue): precision {texts['precision']}, recall {texts['recall']}")
    if args.misses:
        print("misses:")
        for o in outcomes:
            if not (o.newsletter_right and o.theme_right):
                a = o.attribution
                print(f"  {o.case['file']}: newsletter {a.newsletter_slug} ({a.method} {a.confidence:.2f}),"
                      f" want {o.case['newsletter']}; theme {a.theme_slug} ({a.theme_method}"
                      f" {a.theme_confidence:.2f}), want {o.case['themes'] or 'none'}")
    return {"replies": overall, "tuning": tuning, "heldout": heldout, "classes": classes, "chosen": {"threshold": chosen.threshold, "lead": chosen.lead,
                                                               "issue_threshold": chosen.issue_threshold,
                                                               "issue_lead": chosen.issue_lead},
            "sweep": sweep, "issue_sweep": issue_sweep, "texts": texts}


if __name__ == "__main__":
    result = main()
    print(json.dumps(result))
