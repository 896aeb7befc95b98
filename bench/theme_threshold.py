"""Choose the similarity threshold for theme attribution: precision and recall per threshold.

Reads bench/theme_cases.json (replies labelled by theme), scores each reply against the sample
issue's themes with mailer.inbox.similarity, and prints a sweep. Precision = right theme among
replies given a theme; recall = right theme among replies that have one. Last line: JSON.

    .venv/bin/python bench/theme_threshold.py
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from zoneinfo import ZoneInfo

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from mailer.compose.parse import find_newsletter  # noqa: E402
from mailer.inbox import similarity  # noqa: E402

CASES = ROOT / "bench" / "theme_cases.json"


def theme_texts(slug: str) -> dict[str, str]:
    nl = find_newsletter(ROOT / "newsletters", slug, ZoneInfo("Europe/Amsterdam"))
    texts: dict[str, str] = {}
    for s in nl.sections:
        if s.theme:
            texts[s.theme] = texts.get(s.theme, "") + "\n" + s.heading + "\n" + s.text
    return texts


def evaluate(threshold: float, lead: float, cases: list[dict], texts: dict[str, str]) -> dict[str, float]:
    assigned = right = themed = 0
    for case in cases:
        guess = similarity.by_similarity(case["text"], texts, threshold=threshold, lead=lead)
        themed += case["theme"] is not None
        if guess.theme is not None:
            assigned += 1
            right += guess.theme == case["theme"]
    return {
        "threshold": threshold, "lead": lead, "assigned": assigned,
        "precision": round(right / assigned, 3) if assigned else 1.0,
        "recall": round(right / themed, 3) if themed else 0.0,
    }


def main() -> dict[str, object]:
    data = json.loads(CASES.read_text(encoding="utf-8"))
    cases, texts = data["cases"], theme_texts(data["newsletter"])
    print(f"{len(cases)} cases, {sum(c['theme'] is not None for c in cases)} with a theme")
    print(f"{'threshold':>9} {'lead':>5} {'assigned':>8} {'precision':>9} {'recall':>6}")
    sweep = []
    for lead in (1.0, 1.25):
        for t in (0.02, 0.04, 0.06, 0.08, 0.10, 0.12, 0.15, 0.18, 0.22, 0.26, 0.30):
            r = evaluate(t, lead, cases, texts)
            sweep.append(r)
            print(f"{t:>9.2f} {lead:>5.2f} {r['assigned']:>8} {r['precision']:>9.3f} {r['recall']:>6.3f}")
    chosen = evaluate(similarity.SIMILARITY_THRESHOLD, similarity.SIMILARITY_LEAD, cases, texts)
    print(f"chosen: threshold {chosen['threshold']}, lead {chosen['lead']}: precision {chosen['precision']},"
          f" recall {chosen['recall']}")
    return {"cases": len(cases), "chosen": chosen, "sweep": sweep}


if __name__ == "__main__":
    result = main()
    print(json.dumps(result))
