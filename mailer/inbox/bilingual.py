"""English reply words in the issue's Dutch, so an English reader's paraphrase can match a section.

A small hand-written list of the words readers use about collaboration between government and
society (no translation service: replies never leave the machine). Keys are folded English words
or two-word phrases that are not Dutch words themselves; values are the Dutch words the issues use.
Only replies that read as English are translated (``looks_english``).
"""

from __future__ import annotations

from collections.abc import Sequence

_PAIRS = """
accountability verantwoording | accountable verantwoordelijk | administration administratie
advice advies | alderman wethouder | aldermen wethouders | annual jaarlijks | annual report jaarverslag
archive archief | archives archieven | archivist archivaris | association vereniging | associations verenigingen
battery batterij | board bestuur | bookkeeper boekhouder | bookkeeping boekhouding | budget budget
build bouwen | building gebouw | built gebouwd | burnout uitgeput | burnt uitgeput
capital kapitaal | care zorg | carers mantelzorgers | caregivers mantelzorgers | chair voorzitter
chairman voorzitter | chairwoman voorzitter | check controle | checking controle | citizen burger
citizens burgers | city stad | city hall stadhuis | civil servant ambtenaar | civil servants ambtenaren
closed sloot | closure sluiting | collective collectief | collectives collectieven | community gemeenschap
community centre buurthuis | community center buurthuis | community kitchen buurtrestaurant
community dinner buurtmaaltijd | connector verbinder | contact person contactpersoon
contact persons contactpersonen | contribution contributie | conversation gesprek | conversations gesprekken
cook koken | cooking koken | cooks koks | cooperative cooperatie | cooperatives cooperaties | coop cooperatie
coordinator coordinator | council gemeente | councils gemeenten | councillor wethouder | councillors raad
dinner maaltijd | dinners maaltijden | digital digitale | disbanded opgeheven | dissolved opgeheven
driving rijden | drive rijden | elderly ouderen | energy energie | evaluation evaluatie | evaluations evaluaties
evening avond | evenings avonden | exhausted uitgeput | failure mislukking | failures mislukkingen
failed mislukte | forms formulieren | form formulier | foundation stichting | founders oprichters
fund fonds | funding financiering | future toekomst | gap kloof | government overheid | governments overheden
gp huisarts | gp practice huisartsenpost | graveyard begraafplaats | cemetery begraafplaats
grow groeien | growing groeien | growth groei | grew groeide | growing pains groeipijn | guarantor waarborg
handover overdracht | hand over overdragen | handed over overgedragen | hospital ziekenhuis
households huishoudens | household huishouden | informal carers mantelzorgers | initiative initiatief
initiatives initiatieven | insurer zorgverzekeraar | kitchen keuken | knowledge kennis
lesson les | lessons lessen | library bibliotheek | libraries bibliotheken | line organisation lijn
line organization lijn | logbook logboek | log logboek | maintain onderhouden | maintains onderhoudt
maintained onderhouden | maintenance onderhoud | meal maaltijd | meals maaltijden | meetings vergaderingen
meeting vergadering | member lid | members leden | membership lidmaatschap | memory geheugen
minutes notulen | municipality gemeente | municipalities gemeenten | neighbour buur | neighbours buren
neighbor buur | neighbors buren | neighbourhood buurt | neighborhood buurt | neighbourhoods buurten
newcomers nieuwkomers | newcomer nieuwkomer | nobody niemand | organisation organisatie
organization organisatie | outcome uitkomst | owner eigenaar | paid betaalde | participation participatie
permit vergunning | pilot proef | pilots proeven | policy beleid | policies beleid | population bevolking
practice praktijk | prototype prototype | prototypes prototypes | public publieke | purchasing inkoop
random sample steekproef | sample steekproef | records archief | records manager archivaris
relationship manager relatiebeheerder | renters huurders | tenants huurders | report verslag
reports verslagen | research onderzoek | researcher onderzoeker | residents bewoners | resident bewoner
restaurant restaurant | roles rollen | role rol | roof dak | rural platteland | shared car deelauto
solar zonnepanelen | solar panels zonnepanelen | sports hall sporthal | split splitsing | splitting splitsing
stepped back terugtrok | study studie | subsidy subsidie | subsidies subsidies | support worker ondersteuner
tablet tablet | team team | teams teams | the line lijn | trust vertrouwen | twelve twaalf
three hundred driehonderd | thirty six zesendertig | valley vallei | village dorp | villages dorpen
volunteer vrijwilliger | volunteers vrijwilligers | waiting list wachtlijst | wednesday woensdag
one een | two twee | three drie | four vier | five vijf | six zes | seven zeven | eight acht | nine negen
ten tien | twenty twintig | hour uur | hours uren | week week | weeks weken | month maand | months maanden
year jaar | years jaren | night avond | nights avonden | day dag | days dagen | free gratis | food eten
idea idee | ideas ideeen | write schrijven | writes schrijft | wrote schreef | written geschreven
writing schrijven | try proberen | tried probeerde | tries probeert | stop stoppen | stopped stopte
stops stopt | burning out uitgeput | burnt out uitgeput | burned out uitgeput | designed ontworpen
institution instelling | institutions instellingen | small klein | big groot | time tijd | work werk
money geld | paperwork formulieren | decide beslissen | decides beslist | decision beslissing
conflict conflict | quarrel ruzie | fight ruzie | rules regels | regulation regels | trust fund fonds
share delen | shared gedeeld | learn leren | learned geleerd | learnt geleerd | learning leren
school school | training opleiding | new nieuwe | old oude | older oudere | young jonge | people mensen
person persoon | neighbourhood initiative buurtinitiatief | community initiative buurtinitiatief
ask vragen | asked vroeg | question vraag | questions vragen | answer antwoord | story verhaal
stories verhalen | example voorbeeld | examples voorbeelden | kept bewaard | keep bewaren
"""


def _parse(pairs: str) -> dict[tuple[str, ...], tuple[str, ...]]:
    out: dict[tuple[str, ...], tuple[str, ...]] = {}
    for item in pairs.replace("\n", " | ").split("|"):
        words = item.split()
        if not words:
            continue
        # The Dutch side is the last word; the English side the one or two before it.
        out[tuple(words[:-1])] = (words[-1],)
    return out


EN_NL = _parse(_PAIRS)
_LONGEST = max(len(k) for k in EN_NL)

_ENGLISH = frozenset("the and of to is that was with for this are have you not but they which would".split())
_DUTCH = frozenset("de het een en van dat is niet met voor zijn op ook maar die wij ik u je".split())


def looks_english(words: Sequence[str]) -> bool:
    """More English than Dutch function words among folded ``words``."""
    en = sum(w in _ENGLISH for w in words)
    nl = sum(w in _DUTCH for w in words)
    return en >= 2 and en > nl


def to_dutch(words: Sequence[str]) -> list[str]:
    """Folded English words with the listed words and two-word phrases replaced by their Dutch."""
    out: list[str] = []
    i = 0
    while i < len(words):
        for size in range(min(_LONGEST, len(words) - i), 0, -1):
            dutch = EN_NL.get(tuple(words[i:i + size]))
            if dutch is not None:
                out.extend(dutch)
                i += size
                break
        else:
            out.append(words[i])
            i += 1
    return out
