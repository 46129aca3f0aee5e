"""Reading a question once: `understand` turns a question, with the conversation before it, into a `Query`.

Everything downstream (ranking, answerability, the answer) reads the `Query`; no later stage parses the
question again. What the question names (sessions, years, months, places, speakers, bodies, agreement
numbers) comes from `search.filters`; what it asks for (its intent and the type of answer) and how it
leans on the conversation come from the cue words here and in `acuerdos.lang`.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, replace
from functools import cache

from acuerdos.corpus.spanish import fold
from acuerdos.index.lexical import tokenize
from acuerdos.lang import numbers, phrases
from acuerdos.lang.detect import detect_language, small_talk_language
from acuerdos.search.filters import CorpusFacts, QuestionMetadata, named_sessions, question_metadata

KEYWORD_WORDS = 8  # a query of more words is a sentence even without its question mark
MIN_CONTENT_WORDS = 3  # with less left once the metadata is cut out, BM25 searches the whole question
INTENTS = ("lookup", "list_session", "when_where_held", "count", "who", "evolution", "small_talk")
ANSWER_TYPES = {"lookup": "passage", "list_session": "list", "when_where_held": "citation", "count": "number",
                "who": "person", "evolution": "timeline", "small_talk": "none"}
FOLLOW_UPS = ("", "continues", "detail", "another_step", "ordinal")


@dataclass(frozen=True)
class Query:
    """A question, read once."""

    text: str
    language: str  # "es", "en", or "other"
    conversation: tuple[str, ...]  # the earlier turns it may lean on, back to the last self-contained one
    turns: tuple[QuestionMetadata, ...]  # what each turn names: the conversation's, then the question's
    asked: tuple[str, ...]  # each turn with that metadata cut out: what it asks about
    asked_alone: str  # the question alone with its metadata cut out
    intent: str
    follow_up: str  # how it leans on the conversation: "" (it does not), "continues", "detail", ...
    keyword: bool  # a few words, not a sentence
    named_here: frozenset[str]  # the corpus sessions the question itself names ("en la XVI")
    another_step: bool  # it asks what came before or after ("¿Y se aprobó finalmente?")
    detail: bool  # it asks a detail of what was found ("¿Y en qué sesión?")
    periods: tuple[str, ...]  # the years and sessions it names (covered by the corpus or not)
    asks: frozenset[str] = frozenset()  # what the passage must state to answer it (ASKED_ANSWERS)
    own_act: bool = False  # it asks about a session's own act ("When did they approve…?"): its citation counts
    evolution: bool = False  # it asks how a subject developed ("¿Cómo evolucionó…?"), whatever the conversation asked
    outcome: bool = False  # it asks what came of it ("finalmente", "se cumplió", "actually")

    @property
    def held(self) -> bool:
        """It asks when or where a session met."""
        return self.intent == "when_where_held"

    @property
    def answer_type(self) -> str:
        return ANSWER_TYPES[self.intent]

    @property
    def metadata(self) -> QuestionMetadata:
        """What the question itself names."""
        return self.turns[-1]

    @property
    def sessions(self) -> frozenset[str]:
        return frozenset(self.metadata.sessions)

    @property
    def years(self) -> frozenset[int]:
        return frozenset(self.metadata.years)

    @property
    def agreements(self) -> frozenset[int]:
        return frozenset(self.metadata.agreements)

    def alone(self) -> Query:
        """The question without its conversation."""
        return replace(self, conversation=(), turns=(self.metadata,), asked=(self.asked_alone,), follow_up="")

    def out_of_range(self, covered: set[str]) -> list[str]:
        return [period for period in self.periods if period not in covered]


def understand(question: str, history: list[str] | None, facts: CorpusFacts) -> Query:
    """The question read once, with the conversation before it."""
    earlier = conversation(history)
    turns = [*earlier, question]
    named = [question_metadata(turn, [], facts) for turn in turns]
    for i in range(1, len(named)):
        named[i] = _numbered_like_before(turns[i], named[:i + 1])
    asked = [meta.without(turn) for turn, meta in zip(turns, named, strict=True)]
    if len(tokenize(" ".join(asked), drop_boilerplate=True)) < MIN_CONTENT_WORDS:
        asked = turns
    alone = named[-1].without(question)
    if len(tokenize(alone, drop_boilerplate=True)) < MIN_CONTENT_WORDS:
        alone = question
    periods = _periods(facts.without_named_ranges(question))
    intent = _intent(question, named, earlier, periods)
    return Query(
        text=question, language=detect_language(question), conversation=tuple(earlier), turns=tuple(named),
        asked=tuple(asked), asked_alone=alone, intent=intent,
        follow_up=follow_up_of(question, named[-1]) if earlier else "", keyword=is_keyword_query(question),
        named_here=frozenset(named_sessions(question) & facts.sessions),
        another_step=asks_another_step(question), detail=asks_a_detail(question),
        periods=periods, asks=asked_answers(question), own_act=about_own_act(question),
        evolution=asks_evolution(question), outcome=phrases.has("outcome", question),
    )


def _numbered_like_before(question: str, named: list[QuestionMetadata]) -> QuestionMetadata:
    """After "¿Qué dice el acuerdo 16 de la XIX?", "¿y el 17?" and "and the fourth one?" number agreements
    too, and "¿Y el siguiente?" is agreement 17."""
    meta = named[-1]
    before = next((turn for turn in reversed(named[:-1]) if turn.agreements), None)
    if meta.agreements or before is None or subject_words(question, meta) - _STEP_WORDS:
        return meta  # it says more than a number: "¿Qué se acordó sobre el 911?" names no agreement
    bare = {m.value for m in numbers.mentions(question) if m.kind == "bare" and not m.roman}
    where = meta.sessions or meta.years or meta.months or meta.places  # "¿Y sigue en la XIX?" steps nowhere
    one = len(before.agreements) == 1 and numbers.LAST not in before.agreements
    if not bare and not meta.step and not where and one:
        folded = fold(question)
        step = _steps(folded, "next") - _steps(folded, "previous")
        bare = {next(iter(before.agreements)) + step} if step else set()
    bare = {number for number in bare if number >= 1}
    if not bare:
        return meta
    return replace(meta, agreements=bare, points=meta.points | bare, sessions=meta.sessions or set(before.sessions))


def intent_of(question: str, meta: QuestionMetadata, periods: tuple[str, ...], meeting_named: bool = False) -> str:
    """What the question asks for, from the cue phrases of lang/intents.json and what it names.

    `meeting_named`: the conversation before it named a session ("¿Y dónde se celebró esa asamblea?")."""
    if small_talk_language(question):
        return "small_talk"
    if asks_evolution(question):
        return "evolution"
    if asks_person(question):
        return "who"
    if phrases.has("count", question) and not phrases.has("not_count", question):
        return "count"
    if meta.agreements or meta.points or phrases.has("which_session", question):
        return "lookup"  # an agreement or a point by its number, or the session that did something: one passage
    names_a_meeting = meeting_named or bool(meta.sessions or meta.places or meta.years or meta.months or periods)
    content = subject_words(question, meta)
    if names_a_meeting and phrases.has("when_where", question) and not content - phrases.stems("held") - phrases.stems(
            "when_where"):
        return "when_where_held"
    if names_a_meeting and not content - phrases.stems("listing"):
        return "list_session"
    return "lookup"


def subject_words(question: str, meta: QuestionMetadata) -> set[str]:
    """The stems of what the question is about: its content words but the numbers, sessions and places it names."""
    words = set(tokenize(meta.without(question), drop_boilerplate=True))
    # a place is where the session met ("la reunión de Morelia") unless the question is about it
    places = set() if phrases.has("about", question) else set(tokenize(" ".join(meta.places)))
    return {w for w in words - places - _NUMBER_WORDS if not _NUMBERISH.fullmatch(w)}


def _steps(folded: str, direction: str) -> bool:
    """The question says "next" ("siguiente") or one of the phrases ("the one after that", "el que sigue")."""
    return bool(_step_pattern(direction).search(folded))


@cache
def _step_pattern(direction: str) -> re.Pattern:
    return phrases.pattern_of([*numbers.data()[f"{direction}_words"], *numbers.data()[f"{direction}_phrases"]])


_STEP_WORDS = frozenset(tokenize(" ".join(
    word for table in ("next_words", "previous_words", "next_phrases", "previous_phrases", "one", "agreement_nouns")
    for word in numbers.data()[table])))
_NUMBERISH = re.compile(r"\d{1,2}[a-z°º]*|[ivxl]{2,7}(?:th)?")
_NUMBER_WORDS = frozenset(tokenize(" ".join(
    word for table in ("ordinal_units", "ordinal_tens", "ordinal_teens", "cardinal_units", "cardinal_tens",
                       "cardinal_teens", "before_number") for word in numbers.data()[table])))


def asks_for_agreements(question: str) -> bool:
    """"¿Qué acuerdos se tomaron en…?", "List the agreements of…": a session's agreements, perhaps all of them;
    not "What did the XVIII decide about it?", which asks about the conversation's subject."""
    listing = asks_what_was_agreed(question) and not phrases.has("about", question)
    return listing or phrases.has("list", question)


def _intent(question: str, named: list[QuestionMetadata], earlier: list[str], periods: tuple[str, ...]) -> str:
    """A follow-up that only moves where to look ("¿Y en la XIX?") asks what the conversation asked."""
    if earlier and asks_another_step(question):
        return "lookup"  # "And at the plenary before that?": another passage on the conversation's subject
    meeting_named = any(meta.sessions or meta.places or meta.years for meta in named[:-1]) or _SESSION_NOUN.search(
        fold(question))
    own = intent_of(question, named[-1], periods, bool(meeting_named) and is_follow_up(question))
    moves = bool(named[-1].sessions or named[-1].years or named[-1].places or periods)
    if earlier and own in ("lookup", "list_session") and moves and not subject_words(question, named[-1]):
        return intent_of(earlier[0], named[0], _periods(earlier[0]))
    return own


_SESSION_NOUN = re.compile(r"\b(?:" + "|".join(numbers.data()["session_nouns"]) + r")\b")


def _periods(question: str) -> tuple[str, ...]:
    return tuple(dict.fromkeys([*_YEAR.findall(question), *sorted(named_sessions(question))]))


def follow_up_of(question: str, meta: QuestionMetadata) -> str:
    """How a question asked after others leans on them: "" when it does not."""
    if meta.points and not meta.sessions:
        return "ordinal"  # "What was the fourth one?", "¿Y el acuerdo noveno?"
    if asks_another_step(question):
        return "another_step"  # "What happened at the next plenary?"
    if not is_follow_up(question):
        return ""
    if phrases.has("detail", question) and not phrases.has("not_detail", question):
        return "detail"  # "Which state presented that success story?"
    return "continues"


_YEAR = re.compile(r"\b(19\d\d|20\d\d)\b")
_EVOLUTION = re.compile(
    r"evoluci[oó]n|evolucion[oó]|evolucionado|a lo largo de|con el tiempo|cronolog|historia de"
    r"|trayectoria (?:del?|de la) (?:tema|acuerdo|proyecto|protocolo|modelo)"
    r"|evolv|how (?:did|has|have) .{3,80} progress(?:ed)?\b|over time|timeline|how (?:did|has|have) .{3,80} developed"
    r"|history of|over the sessions|across the sessions|a trav[eé]s de las sesiones", re.IGNORECASE)


def asks_evolution(question: str) -> bool:
    """"¿Cómo evolucionó el tema de uso de la fuerza?", "How did the cyber police model progress?"."""
    if _EVOLUTION.search(question) or phrases.has("evolution", question):
        return True
    opening = phrases.first("evolution_opening", question)
    return opening >= 0 and phrases.first("evolution_verbs", fold(question)[opening:]) >= 0


# "How many agreements…?" is answered by the agreements themselves, listed
_CORPUS_COUNT = re.compile(
    r"\b(cu[aá]nt[oa]s|how many)\s+(acuerdos|agreements|sesiones|sessions|asambleas|assemblies)\b", re.I)


# "¿Cuántos policías…?", "How many new patrol cars…?": the words after it name what is counted
_COUNTED = re.compile(r"\b(?:cu[aá]nt[oa]s|how many)\s+(\w+(?:\s+\w+)?)", re.I)


# Nouns the corpus counts under more than one name: Mexico's states are also its "entidades federativas"
_SAME_COUNT = ({"entidad", "estad", "stat"}, {"polici", "element", "agent", "offic"})


def counted(question: str) -> set[str]:
    """Stems of what a "how many" question counts ("calls", "entidades"), with their other names; empty
    for "how much", "porcentaje" and the like, whose answer is a number of anything."""
    match = _COUNTED.search(question)
    stems = set(tokenize(match.group(1))) if match else set()
    return stems.union(*(names for names in _SAME_COUNT if names & stems))


def asks_name(question: str) -> bool:
    """"¿Cómo se llama…?", "What's the name of the…", "Who was the Attorney General…?" (a role), not "a nombre
    de la Comisión", "Who is the body in charge…?" nor "¿Cómo se llama el curso…?"."""
    named = phrases.has("name", question) or phrases.has("who_the", question) and phrases.has("roles", question)
    return named and not phrases.has("not_name", question) and not phrases.names_a("naming", "named_things", question)


def asks_person(question: str) -> bool:
    """Who, or a person's name."""
    return phrases.has("who", question) or asks_name(question)


ASKED_ANSWERS = ("number", "results", "person", "date", "place", "opinion", "reason")
STATED_BY_WORDS = ("opinion",)  # asked for, and stated, in words of intents.json
# What the first passage must state or the question is not answered, whatever the model says. A figure and a
# reason are left to the fitted number_missing and reason_missing features: a passage can give a reason in words
# no list holds, and a figure as a hard fact did worse leave one set out (docs/quality.md).
HARD_ANSWERS = tuple(kind for kind in ASKED_ANSWERS if kind not in ("number", "reason"))


def asked_answers(question: str) -> frozenset[str]:
    """What a passage must state to answer the question (ASKED_ANSWERS): a figure, results, a person's name,
    a date or a place ("date" and "place" only where the question opens asking them), an opinion, a reason."""
    asks = {kind for kind in STATED_BY_WORDS if phrases.has(kind, question)}
    if phrases.has("reason", question) and not phrases.has("not_reason", question):
        asks.add("reason")
    if asks_quantity(question):
        asks.add("number")
    if phrases.has("results", question) and not phrases.has("not_results", question):
        asks.add("results")
    if asks_name(question):
        asks.add("person")
    if phrases.opens_with("date", question):
        asks.add("date")
    if phrases.opens_with("place", question) and not phrases.has("not_place", question):
        asks.add("place")
    return frozenset(asks)


def about_own_act(question: str) -> bool:
    """"When did the conference approve its bylaws?": the session's own act, dated and placed by its
    citation; not "When will the registers be created?"."""
    return phrases.has("agreeing_acts", question) and not phrases.has("future", question)


def asks_quantity(question: str) -> bool:
    asks = phrases.has("count", question) or phrases.has("amount", question)
    return asks and not phrases.has("not_count", question) and not _CORPUS_COUNT.search(question)


_ANAPHORA = re.compile(
    r"\b(ese|esa|eso|esos|esas|dicho|dicha|él|ella|ellos|ellas|it|that|this|those|these|he|she|his|her"
    r"|they|them|their)\b|\b(?:la|lo|las|los|le|les)\s+\w+(?:an|en|aron|ieron|ó|ió)\b", re.I)


def is_keyword_query(question: str) -> bool:
    """"UMECAS", "robo de hidrocarburos", "date of the xvii plenary": a few words, not a sentence."""
    return (len(question.split()) <= KEYWORD_WORDS and "?" not in question and "¿" not in question
            and not phrases.has("sentence", question))


_WHAT_WAS_AGREED = re.compile(
    r"\b(qu[eé] acuerdos|qu[eé] (?:se )?(?:acord|aprob|decidi)\w*|what agreements|what (?:was|were) "
    r"(?:agreed|approved|adopted|decided)|what did .{0,80}\b(?:agree|approve|adopt|decide))\b", re.I)


_HELD = re.compile(
    r"\b(?:cu[aá]ndo|d[oó]nde|en qu[eé] (?:fecha|ciudad|lugar|estado|sede)|qu[eé] d[ií]as?)\b.{0,40}"
    r"\b(?:se (?:celebr|realiz|llev)\w*|tuvo lugar|sesion\w*|reuni\w*|sede"
    r"|(?:fue|ser[aá]) (?:la )?(?:\w+ )?(?:asamblea|sesi[oó]n|reuni[oó]n|plenaria))"
    r"|\b(?:when|where|what date|which (?:city|state|place|dates?)|in what (?:city|state|place))\b.{0,60}"
    r"\b(?:held|take place|took place|convene|convened|meet|met|hosted|host)\b", re.I)


# Stems that only say "the agreements" in a listing question; anything else is a subject to search for
LISTING_WORDS = frozenset(tokenize(
    "acuerdos acuerdo acordaron acordó tomaron tomó tomados aprobaron aprobó aprobados adoptaron decidieron "
    "agreements agreement agreed approved adopted decided took taken list lista enumera enlista all todos "
    "asamblea plenaria sesión sesiones assembly plenary session sessions consejo council conferencia "
    "conference secretarios secretaries"))


def asks_when_or_where_held(question: str) -> bool:
    """"¿Cuándo se celebró la XVII Asamblea?", "Where was the 18th plenary held?": the session's own date
    and place answer it, whatever its agreements say."""
    return bool(_HELD.search(question))


def asks_what_was_agreed(question: str) -> bool:
    """"¿Qué acuerdos se tomaron en la XXI Asamblea?", "What did the XXI agree regarding…?", not "¿Qué se
    acordó sobre la XXI Asamblea?"."""
    return bool(_WHAT_WAS_AGREED.search(question)) and not _about_a_session(question)


def _about_a_session(question: str) -> bool:
    """"…sobre la XXI Asamblea", "…about the next plenary": the session is what is asked about."""
    return any(after and (_SESSION_NOUN.fullmatch(after[0]) or named_sessions(" ".join(after[:2])))
               for after in phrases.following("about", question))


def asks_a_detail(question: str) -> bool:
    """"¿Y en qué sesión?", "Who presented it?", "When was that?": a detail of what the conversation found."""
    return len(question.split()) <= 6 and phrases.has("detail_asked", question)


def asks_another_step(question: str) -> bool:
    """Does the follow-up ask what came before or after ("¿Y se aprobó finalmente?", "And the assembly
    before?") rather than a detail of what the conversation found ("Who presented it?")?"""
    return phrases.has("another_step", question)


def is_follow_up(question: str) -> bool:
    """Does the question lean on the conversation ("¿Y en la XIX?", "Who gave that presentation?")?

    A self-contained question is searched on its own, whatever was asked before.
    """
    short_question = len(question.split()) <= 4 and question.rstrip().endswith("?")
    return bool(phrases.starts_with("follow_up_start", question) or _ANAPHORA.search(question) or short_question)


def conversation(history: list[str] | None) -> list[str]:
    """The earlier questions a follow-up leans on: back to the last self-contained one, at most three."""
    earlier: list[str] = []
    for turn in reversed((history or [])[-3:]):
        earlier.insert(0, turn)
        if not is_follow_up(turn):
            break
    return earlier
