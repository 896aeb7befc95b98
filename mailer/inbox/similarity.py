"""Which section of an issue a reply is about: quoted passages first, then word similarity.

Hand-written rather than scikit-learn: the corpus is one newsletter's three to six theme texts and
one reply, so a TF-IDF with cosine is thirty lines, while scikit-learn would pull in numpy and
scipy (about 100 MB) for it. Words are folded (lower case, accents removed), Dutch and English stop
words dropped, and cut to their first six letters, a crude stemmer that joins "collectief",
"collectieve" and "collectieven", and "makers" and "maker".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

# Measured on bench/theme_cases.json (36 labelled replies; bench/theme_threshold.py prints the sweep):
# cosine 0.10 with a 1.25x lead over the runner-up gives precision 1.00, recall 0.79. At 0.08 it is
# 1.00/0.86, but 0.06 already drops to 0.96 precision, so 0.10 keeps a margin: a wrong theme costs
# the team more than an unassigned one.
SIMILARITY_THRESHOLD = 0.10
SIMILARITY_LEAD = 1.25
# A quoted passage counts when it shares this many 4-word shingles with one theme's text and
# at least twice as many as with any other theme (a reader who quoted the whole issue is no signal).
QUOTE_MIN_SHINGLES = 3
QUOTE_LEAD = 2.0
SHINGLE = 4

STOP_WORDS = frozenset("""
aan al alle alles als altijd ander andere ben bij daar dan dat de der deze die dit doch doen door dus een
eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je
jij jou jouw kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat ons
onze ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel werd wezen
wie wij wil worden wordt zal ze zelf zich zij zijn zo zonder zou zoals heel echt graag even erg hele
juist mee net nou vind vond denk dacht goed mooi dank bedankt groet groeten beste hoi hallo dag
nieuwsbrief stuk artikel thema reactie
a about after all also an and any are as at be been but by can could do for from had has have he her
his how i if in into is it its just me more my no not of on one or our out so than that the their them
then there these they this to up us was we were what when which who will with would you your thanks
thank newsletter article piece theme
""".split())


def fold(text: str) -> str:
    """Lower case without accents: 'Coöperatie' -> 'cooperatie'."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    if decomposed.isascii():
        return decomposed
    return _COMBINING.sub("", decomposed)


# Combining diacritical marks (the accents NFKD splits off Latin letters).
_COMBINING = re.compile("[\u0300-\u036f\u1ab0-\u1aff\u1dc0-\u1dff\u20d0-\u20ff\ufe20-\ufe2f]")


_WORD = re.compile(r"[a-z0-9]+")


def words(text: str) -> list[str]:
    return _WORD.findall(fold(text))


def terms(text: str) -> list[str]:
    """Content words, stemmed by truncation."""
    return [w[:6] for w in words(text) if len(w) > 2 and w not in STOP_WORDS and not w.isdigit()]


def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    ws = words(text)
    return frozenset(zip(*(ws[i:] for i in range(size))))  # (w0, w1, w2, w3), (w1, w2, w3, w4), ...


@dataclass(frozen=True)
class Themes:
    """One newsletter's theme texts (slug -> text) with their shingles and terms, read once for
    all the replies compared with them."""

    texts: Mapping[str, str]
    shingles: Mapping[str, frozenset[tuple[str, ...]]]
    terms: Mapping[str, tuple[str, ...]]


def themes_of(texts: Mapping[str, str] | Themes) -> Themes:
    if isinstance(texts, Themes):
        return texts
    return Themes(dict(texts), {s: shingles(t) for s, t in texts.items()}, {s: tuple(terms(t)) for s, t in texts.items()})


@dataclass(frozen=True)
class ThemeGuess:
    theme: str | None
    method: str        # quoted-section | similar-text | none
    score: float       # shared shingles for quotes, cosine for similarity
    runner_up: float
    confidence: float  # 0..1


NONE = ThemeGuess(None, "none", 0.0, 0.0, 0.0)


def _best_two(scores: Mapping[str, float]) -> tuple[str | None, float, float]:
    ranked = sorted(scores.items(), key=lambda kv: kv[1], reverse=True)
    if not ranked:
        return None, 0.0, 0.0
    second = ranked[1][1] if len(ranked) > 1 else 0.0
    return ranked[0][0], ranked[0][1], second


def by_quote(quoted_text: str | frozenset[tuple[str, ...]], theme_texts: Mapping[str, str] | Themes) -> ThemeGuess:
    """The theme whose text the reader quoted, if one clearly stands out (``quoted_text`` may be
    given as its ``shingles``, read once for comparing with several newsletters)."""
    quoted = shingles(quoted_text) if isinstance(quoted_text, str) else quoted_text
    if not quoted or not theme_texts:
        return NONE
    themes = themes_of(theme_texts)
    scores = {slug: float(len(quoted & theme)) for slug, theme in themes.shingles.items()}
    theme, best, second = _best_two(scores)
    if theme is None or best < QUOTE_MIN_SHINGLES or best < QUOTE_LEAD * second:
        return NONE
    confidence = min(0.95, 0.6 + 0.35 * (1 - second / best))
    return ThemeGuess(theme, "quoted-section", best, second, round(confidence, 3))


def _tfidf(docs: Sequence[Sequence[str]]) -> list[dict[str, float]]:
    df: Counter[str] = Counter()
    for d in docs:
        df.update(set(d))
    n = len(docs)
    vectors = []
    for d in docs:
        tf = Counter(d)
        vec = {t: (1 + math.log(c)) * (math.log((1 + n) / (1 + df[t])) + 1) for t, c in tf.items()}
        norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
        vectors.append({t: v / norm for t, v in vec.items()})
    return vectors


def cosine_scores(reply_text: str, theme_texts: Mapping[str, str] | Themes) -> dict[str, float]:
    """Cosine of the reply against each theme's text, IDF over the themes plus the reply."""
    themes = themes_of(theme_texts)
    slugs = list(themes.terms)
    docs = [themes.terms[s] for s in slugs]
    reply = terms(reply_text)
    if not reply or not slugs:
        return {s: 0.0 for s in slugs}
    vectors = _tfidf(docs + [reply])
    rv = vectors[-1]
    return {s: sum(w * vectors[i].get(t, 0.0) for t, w in rv.items()) for i, s in enumerate(slugs)}


def by_similarity(reply_text: str, theme_texts: Mapping[str, str] | Themes, *, threshold: float = SIMILARITY_THRESHOLD,
                  lead: float = SIMILARITY_LEAD) -> ThemeGuess:
    """The theme whose words the reply shares most, only above ``threshold`` and ``lead`` x the next."""
    if not theme_texts or (isinstance(theme_texts, Themes) and not theme_texts.texts):
        return NONE
    scores = cosine_scores(reply_text, theme_texts)
    theme, best, second = _best_two(scores)
    if theme is None or best < threshold or (second > 0 and best < lead * second):
        return ThemeGuess(None, "none", best, second, 0.0)
    confidence = min(0.8, 0.3 + best)
    return ThemeGuess(theme, "similar-text", round(best, 4), round(second, 4), round(confidence, 3))
