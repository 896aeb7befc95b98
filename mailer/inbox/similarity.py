"""Which section of an issue a reply is about: quoted passages first, then word similarity.

Hand-written rather than scikit-learn: the corpus is a few issues' theme texts and one reply, so a
TF-IDF with cosine is thirty lines, while scikit-learn would pull in numpy and scipy (about 100 MB)
for it. Words are folded (lower case, accents removed), Dutch and English stop words dropped, an
English reply's words put in Dutch (``bilingual``), Dutch compounds also counted by the words
they are made of ("zorgcoöperatie" as "coöperatie" too), and cut to their first six letters, a
crude stemmer that joins "collectief", "collectieve" and "collectieven", and "makers" and "maker".
"""

from __future__ import annotations

import math
import re
import unicodedata
from collections import Counter
from collections.abc import Hashable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

import snowballstemmer  # type: ignore[import-untyped]

from . import bilingual

# Chosen with bench/theme_threshold.py on the labelled replies of bench/theme_cases.json (see
# docs/inbox-quality.md): the best theme needs this cosine and this lead over the runner-up.
SIMILARITY_THRESHOLD = 0.08
SIMILARITY_LEAD = 1.0
# Similarity is never certain: its confidence stays at or below this.
SIMILARITY_MAX_CONFIDENCE = 0.8
# A quoted passage counts when it shares this many 4-word shingles with one theme's text and covers
# at least twice the share of that theme's text as of any other (a reader who quoted the whole
# issue covers every theme alike: no signal).
QUOTE_MIN_SHINGLES = 3
QUOTE_LEAD = 2.0
SHINGLE = 4
# Compounds are split into known words of at least these lengths (head, tail).
COMPOUND_HEAD = 4
COMPOUND_TAIL = 5

STOP_WORDS = frozenset("""
aan al alle alles als altijd ander andere ben bij daar dan dat de der deze die dit doch doen door dus een
eens en er ge geen geweest haar had heb hebben heeft hem het hier hij hoe hun iemand iets ik in is ja je
jij jou jouw kan kon kunnen maar me meer men met mij mijn moet na naar niet niets nog nu of om omdat ons
onze ook op over reeds te tegen toch toen tot u uit uw van veel voor want waren was wat we wel werd wezen
wie wij wil worden wordt zal ze zelf zich zij zijn zo zonder zou zoals heel echt graag even erg hele
juist mee net nou vind vond denk dacht goed mooi dank bedankt groet groeten beste hoi hallo dag
nieuwsbrief stuk artikel thema reactie geachte mevrouw meneer heer hartelijk vriendelijke leuk weer
alleen hoor eigenlijk gewoon ander anders iemand misschien zeker helemaal vooral vaak soms nooit
a about after all also an and any are as at be been but by can could do for from had has have he her
his how i if in into is it its just me more my no not of on one or our out so than that the their them
then there these they this to up us was we were what when which who will with would you your thanks
thank newsletter article piece theme dear hello hi hey regards wishes kind sincerely cheers best
am does did doing having here why where than too very really much many some such only own same
again back still even ever always rather while come comes came went go goes get got make made
take took way part point spot hit run see read think know like well good great nice lot lots bit
should might must may shall yes
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


def vocabulary_of(texts: Iterable[str]) -> frozenset[str]:
    """The content words of ``texts``, whole: what compounds are split into."""
    return frozenset(w for t in texts for w in words(t) if len(w) >= COMPOUND_HEAD and w not in STOP_WORDS)


def compound_parts(word: str, vocabulary: frozenset[str]) -> list[str]:
    """Known words a Dutch compound is made of: 'zorgcooperatie' -> ['zorg', 'cooperatie']."""
    parts: list[str] = []
    for cut in range(COMPOUND_HEAD, len(word) - COMPOUND_TAIL + 1):
        head, tail = word[:cut], word[cut:]
        if tail in vocabulary:
            parts.append(tail)
            if head in vocabulary or (head.endswith("s") and head[:-1] in vocabulary):
                parts.append(head if head in vocabulary else head[:-1])
            break
    return parts


_DUTCH = snowballstemmer.stemmer("dutch")


def stem(word: str) -> str:
    """Snowball's Dutch stem, cut to six letters ("gestopt" and "stopte", "coöperaties" and
    "coöperatieve" alike; English words left after ``bilingual`` are cut much the same)."""
    return str(_DUTCH.stemWord(word))[:6]


def terms(text: str, vocabulary: frozenset[str] = frozenset()) -> list[str]:
    """Content words, English put in Dutch, compounds split, stemmed by truncation."""
    ws = words(text)
    if bilingual.looks_english(ws):
        ws = bilingual.to_dutch(ws)
    out: list[str] = []
    for w in ws:
        if len(w) <= 2 or w in STOP_WORDS or w.isdigit():
            continue
        out.append(stem(w))
        if len(w) >= COMPOUND_HEAD + COMPOUND_TAIL and vocabulary:
            out.extend(stem(p) for p in compound_parts(w, vocabulary) if p not in STOP_WORDS)
    return out


def shingles(text: str, size: int = SHINGLE) -> frozenset[tuple[str, ...]]:
    """Every run of ``size`` consecutive words."""
    ws = words(text)
    return frozenset(zip(*(ws[i:] for i in range(size))))


@dataclass(frozen=True)
class Themes:
    """One newsletter's theme texts (slug -> text) with their shingles and terms, read once for
    all the replies compared with them."""

    texts: Mapping[str, str]
    shingles: Mapping[str, frozenset[tuple[str, ...]]]
    terms: Mapping[str, tuple[str, ...]]
    vocabulary: frozenset[str] = frozenset()


def themes_of(texts: Mapping[str, str] | Themes, vocabulary: frozenset[str] | None = None) -> Themes:
    if isinstance(texts, Themes):
        return texts
    vocab = vocabulary_of(texts.values()) if vocabulary is None else vocabulary
    return Themes(dict(texts), {s: shingles(t) for s, t in texts.items()},
                  {s: tuple(terms(t, vocab)) for s, t in texts.items()}, vocab)


@dataclass(frozen=True)
class ThemeGuess:
    theme: str | None
    method: str        # quoted-section | similar-text | none
    score: float       # share of the theme's text quoted, or cosine for similarity
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
    shared = {slug: len(quoted & theme) for slug, theme in themes.shingles.items()}
    # The share of each theme's text the quote holds: a theme with two sections is not quoted
    # "more" by a reader who quoted everything.
    cover = {slug: shared[slug] / max(1, len(themes.shingles[slug])) for slug in shared}
    theme, best, second = _best_two(cover)
    if theme is None or shared[theme] < QUOTE_MIN_SHINGLES or best < QUOTE_LEAD * second:
        return NONE
    confidence = min(0.95, 0.6 + 0.35 * (1 - second / best))
    return ThemeGuess(theme, "quoted-section", round(best, 4), round(second, 4), round(confidence, 3))


K = TypeVar("K", bound=Hashable)


class Corpus(Generic[K]):
    """TF-IDF vectors of a set of texts (keyed, e.g. by theme or by issue and theme), with the IDF
    over all of them, for the cosine of one reply against each."""

    def __init__(self, docs: Mapping[K, Sequence[str]], vocabulary: frozenset[str] = frozenset()) -> None:
        df: Counter[str] = Counter()
        for d in docs.values():
            df.update(set(d))
        n = len(docs)
        self.vocabulary = vocabulary
        self.idf = {t: math.log((1 + n) / (1 + c)) + 1 for t, c in df.items()}
        self.unseen_idf = math.log(1 + n) + 1
        self.vectors = {key: _unit({t: (1 + math.log(c)) * self.idf[t] for t, c in Counter(d).items()})
                        for key, d in docs.items()}

    def scores(self, reply_terms: Sequence[str], keys: Iterable[K] | None = None) -> dict[K, float]:
        """Cosine of the reply against each text (or the ``keys`` given)."""
        wanted = list(self.vectors) if keys is None else list(keys)
        if not reply_terms:
            return {k: 0.0 for k in wanted}
        reply = _unit({t: (1 + math.log(c)) * self.idf.get(t, self.unseen_idf)
                       for t, c in Counter(reply_terms).items()})
        return {k: sum(w * self.vectors[k].get(t, 0.0) for t, w in reply.items()) for k in wanted}


def library(issues: Mapping[K, Mapping[str, str]]) -> Corpus[tuple[K, str]]:
    """One corpus of several issues' theme texts (issue key -> theme slug -> text), keyed by
    (issue, theme), with compounds split into the words of all of them."""
    vocabulary = vocabulary_of(t for texts in issues.values() for t in texts.values())
    return Corpus({(key, slug): terms(text, vocabulary) for key, texts in issues.items() for slug, text in texts.items()},
                  vocabulary)


def theme_scores(corpus: Corpus[tuple[K, str]], issue: K, reply_text: str) -> dict[str, float]:
    """Cosine of the reply against each theme of one issue of ``corpus``."""
    keys = [k for k in corpus.vectors if k[0] == issue]
    scores = corpus.scores(terms(reply_text, corpus.vocabulary), keys)
    return {slug: score for (_, slug), score in scores.items()}


def _unit(vec: dict[str, float]) -> dict[str, float]:
    norm = math.sqrt(sum(v * v for v in vec.values())) or 1.0
    return {t: v / norm for t, v in vec.items()}


def cosine_scores(reply_text: str, theme_texts: Mapping[str, str] | Themes) -> dict[str, float]:
    """Cosine of the reply against each theme's text, IDF over the themes and the reply (the
    inbox uses a ``Corpus`` of every issue sent, which knows better which words say something)."""
    themes = themes_of(theme_texts)
    reply = tuple(terms(reply_text, themes.vocabulary))
    own: Corpus[str] = Corpus({**themes.terms, "\0reply": reply})
    return own.scores(reply, themes.terms)


def similarity_confidence(best: float, second: float) -> float:
    """How sure a similarity guess is: a higher cosine and a wider lead over the runner-up."""
    margin = 1 - second / best if best > 0 else 0.0
    return round(min(SIMILARITY_MAX_CONFIDENCE, 0.2 + 1.5 * best + 0.4 * margin), 3)


def by_similarity(reply_text: str, theme_texts: Mapping[str, str] | Themes, *, threshold: float = SIMILARITY_THRESHOLD,
                  lead: float = SIMILARITY_LEAD) -> ThemeGuess:
    """The theme whose words the reply shares most, only above ``threshold`` and ``lead`` x the next."""
    if not theme_texts or (isinstance(theme_texts, Themes) and not theme_texts.texts):
        return NONE
    return pick(cosine_scores(reply_text, theme_texts), threshold=threshold, lead=lead)


def pick(scores: Mapping[str, float], *, threshold: float = SIMILARITY_THRESHOLD,
         lead: float = SIMILARITY_LEAD) -> ThemeGuess:
    """The best of the themes' cosines as a guess, if it clears ``threshold`` and ``lead``."""
    theme, best, second = _best_two(scores)
    if theme is None or best < threshold or (second > 0 and best < lead * second):
        return ThemeGuess(None, "none", round(best, 4), round(second, 4), 0.0)
    return ThemeGuess(theme, "similar-text", round(best, 4), round(second, 4), similarity_confidence(best, second))
