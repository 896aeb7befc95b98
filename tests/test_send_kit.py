"""Shared set-up for the send, schedule and SMTP-fault tests (no tests of its own).

A small newsletter file of our own (so these tests do not depend on the sample issues), a config
pointing at a real local SMTP server, and subscribers in a real SQLite file.
"""

from __future__ import annotations

from pathlib import Path

from conftest import write_config

from mailer.config import load_config
from mailer.localservers import free_port
from mailer.runtime import Runtime
from subscribers import store

SLUG = "2026-12-proef"

NEWSLETTER = """+++
slug = "2026-12-proef"
title = "Proefnummer"
subject = "Proefnummer: samen werken aan de publieke zaak"
preheader = "Twee verkenningen en een vraag aan u."
language = "nl"

[[themes]]
slug = "kracht-van-het-collectief"
name = "Kracht van het collectief"

[[themes]]
slug = "groeipijn"
name = "Groeipijn"
+++

Welkom bij dit proefnummer. Ik hoor graag wat u ervan vindt: één regel is genoeg.

## Een coöperatie in de polder {theme=kracht-van-het-collectief}

Bewoners richtten een energiecoöperatie op. De gemeente keek eerst toe, daarna hielp ze mee.
"Wij waren er eerder dan het beleid," zei de voorzitter.

## Wanneer iets te snel groeit {theme=groeipijn}

- Eerst was er een idee.
- Toen een vereniging.
- Nu een organisatie met een wachtlijst.

Lees meer op [de website](https://example.org/groeipijn).
"""


def make_runtime(tmp_path: Path, smtp_port: int | None = None, **sections: dict) -> Runtime:
    folder = tmp_path / "newsletters"
    folder.mkdir(exist_ok=True)
    (folder / f"{SLUG}.md").write_text(NEWSLETTER, encoding="utf-8")
    content = {"newsletters_dir": str(folder)}
    content.update(sections.pop("content", {}))
    smtp = {"max_attempts": 4, "retry_initial": 0.05, "retry_max": 0.4}   # retries within a second
    smtp.update(sections.pop("smtp", {}))
    path = write_config(tmp_path, smtp_port or free_port(), free_port(), content=content, smtp=smtp,
                        sender={"from_name": "Verkenner Publieke Zaak", "from_address": "nieuwsbrief@verkenning.example.nl",
                                "reply_address": "reacties@verkenning.example.nl",
                                "bounce_address": "bounces@verkenning.example.nl",
                                "list_id": "Nieuwsbrief Verkenning <verkenning.example.nl>"},
                        **sections)
    return Runtime(load_config(path))


def add_subscribers(rt: Runtime, n: int, start: int = 0) -> list[store.Subscriber]:
    names = ["Ëlla van 't Hoff", "Jan de Vries", "", "Łukasz Ĳsselmeer", "Mo"]
    return [store.add(rt.db, f"lezer{i}@example.org", names[i % len(names)]) for i in range(start, start + n)]
