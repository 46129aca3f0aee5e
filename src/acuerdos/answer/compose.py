"""The extractive answer: sentences quoted from the top passages, each with its [n] marker.

Nothing here writes a sentence of its own about the corpus: the only words that are not quoted
are the frame ("Según las fuentes:") and notices, in the question's language.
"""
from __future__ import annotations

import re
import unicodedata

from acuerdos.index.lexical import tokenize
from acuerdos.records import Hit
from acuerdos.search.rank import quantities

MAX_QUESTION_CHARS = 2000

_SENTENCE_END = re.compile(r"(?<=[.!?;])\s+(?=[“\"¿¡(]?[A-ZÁÉÍÓÚÑ0-9])")

FRAMES = {
    "es": {
        "answer": "Según las fuentes:",
        "timeline": "Así evolucionó el tema «{name}», en orden cronológico:",
        "held": "Las fuentes registran la sesión así:",
        "listing": "Los acuerdos de la sesión {session}, en orden:",
        "abstain": "Los documentos del corpus no responden a esta pregunta. Pasajes posiblemente relacionados:",
        "abstain_none": "Los documentos del corpus no responden a esta pregunta.",
        "out_of_range": "El corpus no tiene documentos de {periods}.",
        "no_agreement": "La sesión {session} tiene {count} acuerdos: no hay un acuerdo {number}.",
        "session": "la sesión {}",
        "no_number": "El pasaje más cercano trata el tema, pero no da la cifra que se pregunta.",
        "no_results": "El pasaje más cercano trata el tema, pero no informa de resultados: los acuerdos "
                      "dicen qué se acordó, no qué resultó de ello.",
        "no_person": "El pasaje más cercano trata el tema, pero no da el nombre que se pregunta.",
        "no_date": "El pasaje más cercano trata el tema, pero no da la fecha que se pregunta.",
        "no_place": "El pasaje más cercano trata el tema, pero no nombra el lugar que se pregunta.",
        "no_opinion": "El pasaje más cercano trata el tema, pero no recoge opiniones ni críticas.",
        "no_reason": "El pasaje más cercano trata el tema, pero no dice por qué.",
        "unknown_name": "El corpus no menciona {terms}.",
        "no_match": "Ningún pasaje usa {terms}.",
        "not_in_nearest": "El pasaje más cercano no menciona {terms}.",
        "lost_topic": "Los pasajes de {where} no tratan de «{topic}».",
        "weak": "Los pasajes más cercanos no bastan para responder con seguridad.",
        "empty": "La pregunta está vacía. Escribe una pregunta sobre los acuerdos.",
        "small_talk": "Respondo preguntas sobre los acuerdos de seguridad pública, por ejemplo: "
                      "«¿Qué se acordó sobre el fentanilo?»",
        "truncated": "La pregunta se recortó a {n} caracteres.",
        "cleaned": "Se quitaron caracteres de control de la pregunta.",
        "language": "Solo entiendo español e inglés; busqué de todos modos.",
    },
    "en": {
        "answer": "According to the sources:",
        "timeline": "How the subject «{name}» developed, in date order:",
        "held": "The sources record the session as:",
        "listing": "The agreements of session {session}, in order:",
        "abstain": "The documents in the corpus do not answer this question. Possibly related passages:",
        "abstain_none": "The documents in the corpus do not answer this question.",
        "out_of_range": "The corpus has no documents from {periods}.",
        "no_agreement": "Session {session} has {count} agreements: there is no agreement {number}.",
        "session": "session {}",
        "no_number": "The nearest passage is about this subject, but it does not give the figure asked for.",
        "no_results": "The nearest passage is about this subject, but it reports no results: the "
                      "agreements say what was agreed, not what came of it.",
        "no_person": "The nearest passage is about this subject, but it does not give the name asked for.",
        "no_date": "The nearest passage is about this subject, but it does not give the date asked for.",
        "no_place": "The nearest passage is about this subject, but it does not name the place asked for.",
        "no_opinion": "The nearest passage is about this subject, but it reports no opinion or criticism.",
        "no_reason": "The nearest passage is about this subject, but it does not say why.",
        "unknown_name": "The corpus never mentions {terms}.",
        "no_match": "No passage uses {terms}.",
        "not_in_nearest": "The nearest passage does not mention {terms}.",
        "lost_topic": "The passages of {where} say nothing about «{topic}».",
        "weak": "The nearest passages are not close enough to answer with confidence.",
        "empty": "The question is empty. Type a question about the agreements.",
        "small_talk": "I answer questions about the public-security agreements, for example: "
                      "«What was agreed about driving licences?»",
        "truncated": "The question was cut to {n} characters.",
        "cleaned": "Control characters were removed from the question.",
        "language": "I only understand Spanish and English; I searched anyway.",
    },
}





def clean_question(raw: str) -> tuple[str, list[str]]:
    """Remove control characters, collapse whitespace and cap the length. Returns (question, notices)."""
    notices = []
    cut = len(raw) > MAX_QUESTION_CHARS * 100  # bound the work on a huge question: only the start is read
    kept, removed = [], False
    for c in raw[:MAX_QUESTION_CHARS * 100] if cut else raw:
        category = unicodedata.category(c)
        if c in "\t\n\r" or (category[0] != "C" and c != "\ufffd"):
            kept.append(c)
        elif category != "Cf":  # control characters, lone surrogates, U+FFFD (bytes that were not UTF-8)
            kept.append(" ")
            removed = True
        # invisible format characters (zero-width joiners in emoji, soft hyphens, BOM) just go
    if removed:
        notices.append("cleaned")
    question = unicodedata.normalize("NFC", " ".join("".join(kept).split()))  # "é" as one character, as the corpus
    if cut or len(question) > MAX_QUESTION_CHARS:
        if len(question) > MAX_QUESTION_CHARS:
            question = question[:MAX_QUESTION_CHARS].rsplit(" ", 1)[0] or question[:MAX_QUESTION_CHARS]
        notices.append("truncated")
    return question, notices


def notice_text(notices: list[str], language: str) -> str:
    frames = FRAMES["es" if language == "es" else "en"]
    return " ".join(frames[n].format(n=MAX_QUESTION_CHARS) for n in notices)


def split_sentences(text: str) -> list[str]:
    return [s for s in _SENTENCE_END.split(text) if s.strip()]


def supporting_sentence(text: str, question: str, asks_number: bool = False) -> str:
    """The sentence of the passage that shares the most words with the question (verbatim); for a question
    asking a figure (Query.asks), the one stating the number, when one does."""
    sentences = split_sentences(text)
    if len(sentences) <= 1:
        return text
    if asks_number:
        sentences = [s for s in sentences if quantities(s, question)] or sentences
    wanted = set(tokenize(question, drop_boilerplate=True))
    if not wanted:
        return sentences[0]

    def overlap(sentence: str) -> float:
        words = set(tokenize(sentence, drop_boilerplate=True))
        return len(words & wanted) / (1 + 0.02 * len(words))

    return max(sentences, key=overlap)


# Phrases only: "trayectoria" alone is a career ("agentes por su trayectoria"), "progress" alone a
# status report ("which registry did they report progress on?").




def abstention_reason(reason: str, periods: list[str], language: str) -> str:
    """The sentence that says why the corpus does not answer, or "" when there is nothing more to say
    than that the passages are too far from the question."""
    frames = FRAMES["es" if language == "es" else "en"]
    if reason == "out_of_range":
        named = ", ".join(p if p.isdigit() else frames["session"].format(p) for p in periods)
        return frames[reason].format(periods=named) if named else ""
    if reason == "no_agreement" and len(periods) == 3:
        return frames[reason].format(session=periods[0], number=periods[1], count=periods[2])
    if reason == "lost_topic" and len(periods) == 2:
        sessions = periods[0] or ("el corpus" if language == "es" else "the corpus")
        where = frames["session"].format(sessions) if periods[0] else sessions
        return frames[reason].format(where=where, topic=periods[1])
    if reason in ("unknown_name", "no_match", "not_in_nearest"):
        terms = (" ni " if language == "es" else " or ").join(f"«{term}»" for term in periods)  # none of them
        return frames[reason].format(terms=terms) if terms else frames["weak"]
    return frames.get(reason, "")


def compose(hits: list[Hit], language: str, abstained: bool, answer_count: int, timeline: str = "",
            reason: str = "", periods: list[str] | None = None, held: bool = False, listing: str = "") -> str:
    """The answer text: a frame, then quoted sentences with markers that match the hit ranks.

    With `timeline` (a thread's name, quoted from the corpus), every hit is quoted in date order. An
    abstention says why when it can (`reason`, one of docs/answer.schema.json's, with its terms in `periods`).
    With `held` (the question asks when or where the first hit's session was held), its citation answers.
    With `listing` (a session whose agreements are asked for), each hit's title, or its supporting sentence.
    """
    frames = FRAMES["es" if language == "es" else "en"]
    if abstained:
        verdict = frames["abstain"] if hits else frames["abstain_none"]
        return " ".join(filter(None, [abstention_reason(reason, periods or [], language), verdict]))
    if held and hits:
        return f"{frames['held']} {hits[0].citation} [{hits[0].rank}]"
    if listing:
        quotes = [f"«{hit.title or hit.highlight}» [{hit.rank}]" for hit in hits]
        return " ".join([frames["listing"].format(session=listing), *quotes])
    if timeline:
        quotes = [f"{hit.date} «{hit.highlight}» [{hit.rank}]" for hit in hits]
        return " ".join([frames["timeline"].format(name=timeline), *quotes])
    quotes = [f"«{hit.highlight}» [{hit.rank}]" for hit in hits[:answer_count]]
    return " ".join([frames["answer"], *quotes])

