"""Pure formatting for the web chat: answer messages, source cards, exports, labels (no gradio here).

Everything that comes from the person or from the corpus is treated as text: it is HTML-escaped before
it goes into a message, and Markdown-escaped before it goes into an export, so a question such as
``<img src=x onerror=alert(1)>`` or ``[link](javascript:...)`` is shown as those characters and never
becomes markup. Answers and hits may be given as records (``Answer``/``Hit``) or as their ``to_dict()``.
"""
from __future__ import annotations

import html
import json
import re
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import asdict, is_dataclass
from datetime import UTC, datetime
from typing import Any
from urllib.parse import urlencode

from acuerdos.answer.compose import FRAMES, MAX_QUESTION_CHARS, abstention_reason
from acuerdos.corpus.spanish import ordinal_word
from acuerdos.index.threads import WhyParts, why_parts

LANGUAGES = ("es", "en")
LANGUAGE_CHOICES = [("Español", "es"), ("English", "en")]
SESSIONS = ("XV", "XVI", "XVII", "XVIII", "XIX", "XX")
YEAR_MIN, YEAR_MAX = 2016, 2018
DEFAULT_SOURCES = [
    {"key": "cnssp", "label": "Conferencia Nacional de Secretarios de Seguridad Pública"},
    {"key": "cnsp40", "label": "Consejo Nacional de Seguridad Pública"},
]
# A passage longer than this is folded: its supporting sentence shows, the whole passage opens on demand.
FOLD_CHARS = 420
# A topic thread with more members than this is folded under its card (it opens on demand).
THREAD_FOLD = 4
# The compact line of a thread member without a title shows this many words of its note.
THREAD_NOTE_WORDS = 10

EXAMPLES = [
    "Which day was declared National Police Day?",
    "What was agreed about fentanyl?",
    "¿Qué se acordó sobre el número de emergencias 911?",
    "¿Qué acordó la XIX Asamblea sobre criptoactivos?",
    "How did the private security regulation evolve?",
    "UMECAS",
    "¿Cómo evolucionó el tema de uso de la fuerza?",
    "¿Se acordó algún homenaje a los policías fallecidos?",
]

# The engine labels what a thread member did in English; the Spanish interface says it in Spanish.
ACTIONS_ES = {
    "approved": "aprobó",
    "agreed": "acordó",
    "took note": "tomó conocimiento",
    "asked for": "solicitó",
    "instructed": "instruyó",
    "committed to": "se comprometió",
    "thanked": "agradeció",
    "validated": "validó",
    "concurred": "coincidió",
    "sent": "envió",
    "received": "recibió",
    "proposed": "propuso",
    "urged": "exhortó",
    "announced": "anunció",
    "welcomed": "celebró",
    "said": "dijo",
}

LABELS: dict[str, dict[str, str]] = {
    "es": {
        "title": "Acuerdos de seguridad pública",
        "subtitle": (
            "Pregunte en español o en inglés sobre los acuerdos de la Conferencia Nacional de Secretarios de "
            "Seguridad Pública (2016–2018) y la 40.ª sesión del Consejo Nacional de Seguridad Pública. "
            "Cada respuesta cita textualmente los pasajes de los documentos; nada se inventa."
        ),
        "language": "Idioma / Language",
        "chat": "Conversación",
        "chat_placeholder": "Las respuestas aparecen aquí, con sus fuentes citadas.",
        "input": "Pregunta",
        "input_placeholder": "Escriba su pregunta… p. ej. ¿Qué se acordó sobre el fentanilo?",
        "send": "Preguntar",
        "new": "Nueva conversación",
        "filters": "Filtros",
        "filters_help": "Se aplican a las siguientes preguntas.",
        "source": "Fuente",
        "session": "Sesión de la Conferencia (Asamblea Plenaria)",
        "year_min": "Desde el año",
        "year_max": "Hasta el año",
        "place": "Lugar",
        "place_any": "",
        "reset": "Quitar filtros",
        "active": "Filtros activos",
        "active_none": "ninguno: se busca en todo el corpus",
        "examples": "Preguntas de ejemplo",
        "export": "Exportar la conversación",
        "download_md": "Descargar Markdown",
        "download_json": "Descargar JSON",
        "answer": "Respuesta",
        "sources": "Fuentes",
        "related": "Pasajes posiblemente relacionados",
        "others": "Otros pasajes encontrados",
        "abstain": "Los documentos del corpus no responden a esta pregunta.",
        "abstain_none": (
            "Los documentos del corpus no responden a esta pregunta y no hay pasajes relacionados."
        ),
        "no_results": "No se encontró ningún pasaje.",
        "copy_citation": "Copiar cita",
        "copy_answer": "Copiar respuesta en Markdown",
        "copied": "Copiado ✓",
        "full_passage": "Ver el pasaje completo",
        "section": "Sección",
        "question": "Pregunta",
        "searching": "Buscando en los documentos…",
        "error": "No se pudo responder",
        "filters_used": "Filtros",
        "conversation": "Conversación",
        "exported": "Exportado",
        "year": "año",
        "years": "años",
        "from": "desde",
        "to": "hasta",
        "feedback_thanks": "Gracias por su opinión.",
        "thread": "Relacionado en otras sesiones",
        "thread_here": "este pasaje",
        "thread_see": "véase",
        # why a thread member is linked; the quotes are the passages' own words
        "why_label": "por qué está enlazado",
        "why_cites": "cita «{quote}» ({other})",
        "why_cited": "citado por {other}",
        "why_cited_quote": "citado por {other}: «{other_quote}»",
        "why_point": "mismo punto del discurso que {other}: «{quote}»",
        "why_name": "nombra «{quote}»{translated}{theirs}, como {other}",
        "why_translated": " (en su traducción)",
        "label_answers": "responde a su pregunta",
        "label_related": "relacionado",
        "label_possible": "posiblemente relacionado",
        "mt_label": "Traducción automática (Apertium), para leer; la cita es la fuente",
        "mt_short": "Traducción automática (Apertium)",
        "more_agreements": "{n} acuerdos más sobre este tema: {sessions}",
        "more_agreement": "1 acuerdo más sobre este tema: {sessions}",
        "more_passages": "{n} pasajes más sobre este tema: {sessions}",
        "more_passage": "1 pasaje más sobre este tema: {sessions}",
        "council_session": "Consejo, 40.ª sesión",
        "filters_exclude": "Sus filtros excluyen todos los pasajes; no se buscó nada.",
        "clear_filters": "Quitar los filtros",
        "unknown_place": "El lugar «{place}» no está en el corpus. Elija uno de estos {n}:",
        "copy_link": "Copiar enlace a esta respuesta",
        "like": "Me gusta",
        "dislike": "No me gusta",
        "chars": "caracteres",
    },
    "en": {
        "title": "Public-security agreements",
        "subtitle": (
            "Ask in Spanish or English about the agreements of Mexico's National Conference of Public "
            "Security Secretaries (2016–2018) and the 40th session of the National Public Security Council. "
            "Every answer quotes the documents' passages word for word; nothing is made up."
        ),
        "language": "Idioma / Language",
        "chat": "Conversation",
        "chat_placeholder": "Answers appear here, with their sources cited.",
        "input": "Question",
        "input_placeholder": "Type your question… e.g. What was agreed about fentanyl?",
        "send": "Ask",
        "new": "New conversation",
        "filters": "Filters",
        "filters_help": "They apply to the next questions.",
        "source": "Source",
        "session": "Conference session (Plenary Assembly)",
        "year_min": "From year",
        "year_max": "To year",
        "place": "Place",
        "place_any": "",
        "reset": "Clear filters",
        "active": "Active filters",
        "active_none": "none: searching the whole corpus",
        "examples": "Example questions",
        "export": "Export the conversation",
        "download_md": "Download Markdown",
        "download_json": "Download JSON",
        "answer": "Answer",
        "sources": "Sources",
        "related": "Possibly related passages",
        "others": "Other passages found",
        "abstain": "The documents in the corpus do not answer this question.",
        "abstain_none": "The documents in the corpus do not answer this question, and no passage is related.",
        "no_results": "No passage was found.",
        "copy_citation": "Copy citation",
        "copy_answer": "Copy answer as Markdown",
        "copied": "Copied ✓",
        "full_passage": "Show the whole passage",
        "section": "Section",
        "question": "Question",
        "searching": "Searching the documents…",
        "error": "Could not answer",
        "filters_used": "Filters",
        "conversation": "Conversation",
        "exported": "Exported",
        "year": "year",
        "years": "years",
        "from": "from",
        "to": "to",
        "feedback_thanks": "Thank you for your feedback.",
        "thread": "Related across sessions",
        "thread_here": "this passage",
        "thread_see": "see",
        "why_label": "why linked",
        "why_cites": "cites «{quote}» ({other})",
        "why_cited": "cited by {other}",
        "why_cited_quote": "cited by {other}: «{other_quote}»",
        "why_point": "same point of the speech as {other}: «{quote}»",
        "why_name": "names «{quote}»{translated}{theirs}, as {other} does",
        "why_translated": " (in its translation)",
        "label_answers": "answers your question",
        "label_related": "related",
        "label_possible": "possibly related",
        "mt_label": "Machine translation (Apertium), for reading; the quote is the source",
        "mt_short": "Machine translation (Apertium)",
        "more_agreements": "{n} more agreements on this topic: {sessions}",
        "more_agreement": "1 more agreement on this topic: {sessions}",
        "more_passages": "{n} more passages on this topic: {sessions}",
        "more_passage": "1 more passage on this topic: {sessions}",
        "council_session": "Council, 40th session",
        "filters_exclude": "Your filters exclude every passage; nothing was searched.",
        "clear_filters": "Clear the filters",
        "unknown_place": "The place «{place}» is not in the corpus. Choose one of these {n}:",
        "copy_link": "Copy link to this answer",
        "like": "Like",
        "dislike": "Dislike",
        "chars": "characters",
    },
}

SOURCE_LABELS = {
    "es": {"cnssp": "Acuerdos de la CNSSP (2016–2018)", "cnsp40": "Informe del Consejo (40.ª sesión, 2016)"},
    "en": {"cnssp": "CNSSP agreements (2016–2018)", "cnsp40": "Council report (40th session, 2016)"},
}

_MARKER = re.compile(r"\[(\d{1,3})\]")
_QUOTE = re.compile(r"«([^«»]*)»\s*\[(\d{1,3})\]")


# --------------------------------------------------------------------------- small helpers
def lang_of(value: Any) -> str:
    """'es' or 'en' from a language code or a choice label ("Español", "English")."""
    text = str(value or "").strip().lower()
    return "en" if text.startswith("en") else "es"


def t(lang: str, key: str) -> str:
    return LABELS[lang_of(lang)][key]


def as_dict(record: Any) -> dict[str, Any]:
    """An Answer/Hit record or its dict, as a dict."""
    if record is None:
        return {}
    if hasattr(record, "to_dict") and not isinstance(record, type):  # Answer, Hit: the one JSON shape
        return record.to_dict()
    if is_dataclass(record) and not isinstance(record, type):
        return asdict(record)
    if isinstance(record, Mapping):
        return dict(record)
    raise TypeError(f"cannot format {type(record).__name__}")


def esc(text: Any) -> str:
    """HTML-escaped text with its line breaks kept."""
    escaped = html.escape(str(text if text is not None else ""), quote=True)
    return escaped.replace("\r\n", "\n").replace("\n", "<br>")


def source_label(key: str, lang: str, sources: Sequence[Mapping[str, str]] | None = None) -> str:
    local = SOURCE_LABELS[lang_of(lang)].get(key)
    if local:
        return local
    for source in sources or ():
        if source.get("key") == key:
            return str(source.get("label") or key)
    return key


def citation_text(hit: Any, lang: str = "") -> str:
    """The citation as it is copied: the citation line (in the page's language), then the agreement title."""
    h = as_dict(hit)
    citation = citation_in(h.get("citation"), lang) if lang else str(h.get("citation") or "")
    title = str(h.get("title") or "")
    return f"{citation} — {title}" if title else citation


def cited_ranks(answer: Any) -> list[int]:
    """Ranks referred to by [n] markers in the answer text, in order of first mention."""
    a = as_dict(answer)
    known = {int(h.get("rank", 0)) for h in a.get("results") or []}
    ranks: list[int] = []
    for match in _MARKER.finditer(str(a.get("answer") or "")):
        rank = int(match.group(1))
        if rank in known and rank not in ranks:
            ranks.append(rank)
    return ranks


def _split_hits(answer: Mapping[str, Any]) -> tuple[list[dict], list[dict]]:
    """(cards to show as sources, other passages found) for an answer that did not abstain."""
    hits = [as_dict(h) for h in answer.get("results") or []]
    ranks = cited_ranks(answer)
    if not ranks:
        return hits, []
    by_rank = {int(h.get("rank", 0)): h for h in hits}
    cited = [by_rank[r] for r in ranks]
    others = [h for h in hits if int(h.get("rank", 0)) not in ranks]
    return cited, others


# --------------------------------------------------------------------------- one language per page
# Citations are built by the corpus parsers in the source's language; the page says them in its own.
# Only the frame is rendered (session, date, section, agreement number): names and quotes stay as written.
SECTIONS_ES = {
    "highlights": "puntos destacados",
    "the president's five measures": "las cinco medidas del presidente",
    "the Interior Secretary's remarks": "palabras del secretario de Gobernación",
    "Renato Sales's four points": "los cuatro puntos de Renato Sales",
    "attendees": "asistentes",
    "approved agreements": "acuerdos aprobados",
}
POINTS_ES = {"First": "primero", "Second": "segundo", "Third": "tercero", "Fourth": "cuarto", "Fifth": "quinto"}
FEMININE_ES = frozenset({"the president's five measures"})  # "medidas": la primera
MONTHS_EN = {"ene": "Jan", "feb": "Feb", "mar": "Mar", "abr": "Apr", "may": "May", "jun": "Jun", "jul": "Jul",
             "ago": "Aug", "sep": "Sep", "oct": "Oct", "nov": "Nov", "dic": "Dec"}
_ORDINALS = {ordinal_word(n).lower(): n for n in range(1, 40)}
_COUNCIL_CITATION = re.compile(
    r"^(?P<body>.+?), (?P<n>\d+)(?:st|nd|rd|th) session \((?P<year>\d{4})\)(?:, (?P<rest>.+))?$")
_CONFERENCE_CITATION = re.compile(
    r"^(?P<body>.+?), (?P<roman>[IVXLC]+) Asamblea Plenaria \((?P<where>.+), (?P<days>[\d–-]+) (?P<month>[a-z]{3}) "
    r"(?P<year>\d{4})\), Acuerdo (?P<word>.+)$")
_APPROVED = re.compile(r"^approved agreement (\d+) of (\d+)$")


def section_text(section: Any, lang: str) -> str:
    """A report section ("the president's five measures, First") in the page's language."""
    text = str(section or "")
    if lang_of(lang) != "es" or not text:
        return text
    if found := _APPROVED.match(text):
        return f"acuerdo aprobado {found.group(1)} de {found.group(2)}"
    name, _, point = text.partition(", ")
    if name not in SECTIONS_ES or (point and point not in POINTS_ES):
        return text
    word = POINTS_ES.get(point, "")
    if word and name in FEMININE_ES:
        word = word[:-1] + "a"
    return SECTIONS_ES[name] + (f", {word}" if word else "")


def citation_in(citation: Any, lang: str) -> str:
    """The citation in the page's language: "Consejo Nacional de Seguridad Pública, 40.ª sesión (2016),
    acuerdo aprobado 14 de 17"; "CNSSP, XX Plenary Assembly (Saltillo, Coahuila, 15–16 Nov 2018), Agreement 8".
    A citation of another shape is returned as it is."""
    text = str(citation or "")
    if lang_of(lang) == "es" and (found := _COUNCIL_CITATION.match(text)):
        rest = f", {section_text(found['rest'], 'es')}" if found["rest"] else ""
        return f"{found['body']}, {found['n']}.ª sesión ({found['year']}){rest}"
    if lang_of(lang) == "en" and (found := _CONFERENCE_CITATION.match(text)):
        number = _ORDINALS.get(found["word"].lower())
        agreement = f"Agreement {number}" if number else f"Acuerdo {found['word']}"
        month = MONTHS_EN.get(found["month"], found["month"])
        return (f"{found['body']}, {found['roman']} Plenary Assembly ({found['where']}, {found['days']} {month} "
                f"{found['year']}), {agreement}")
    return text


def _frame_pattern(template: str) -> re.Pattern:
    pattern = re.escape(template)
    for name in ("name", "session"):
        pattern = pattern.replace(re.escape("{" + name + "}"), f"(?P<{name}>.+?)")
    return re.compile("^" + pattern)


_FRAME_KEYS = ("timeline", "listing", "held", "answer")


def reframe(text: Any, lang: str) -> str:
    """The answer's frame ("According to the sources:") in the page's language, whatever the question's."""
    text = str(text or "")
    lang = lang_of(lang)
    for other in LANGUAGES:
        if other == lang:
            continue
        for key in _FRAME_KEYS:
            if found := _frame_pattern(FRAMES[other][key]).match(text):
                return FRAMES[lang][key].format(**found.groupdict()) + text[found.end():]
    return text


def notice_in(message: Any, lang: str) -> str:
    """A notice about the question ("The question was cut to 2000 characters.") in the page's language."""
    text = str(message or "")
    lang = lang_of(lang)
    for other in LANGUAGES:
        if other != lang:
            for key, frame in FRAMES[other].items():
                if "{" not in frame.replace("{n}", ""):
                    text = text.replace(frame.format(n=MAX_QUESTION_CHARS),
                                        FRAMES[lang][key].format(n=MAX_QUESTION_CHARS))
    return text


# --------------------------------------------------------------------------- card labels
# A card's label says whether its passage answers the question. The engine sets Hit.relevance from the
# calibrated probability Hit.p_answer with the thresholds fitted beside it (search/answerability.json):
# "high" answers, "medium" related, "low" possibly related, never "high" in an abstention. A record with
# p_answer but no relevance is read with these bars, placeholders until the UI reads the fitted ones.
P_ANSWERS = 0.5  # placeholder: at or above, "answers your question"
P_RELATED = 0.2  # placeholder: at or above, "related"; below, "possibly related"
_LABEL_OF_RELEVANCE = {"high": "answers", "medium": "related", "low": "possible", "related": "possible"}


def answer_label(hit: Any, abstained: bool = False) -> str:
    """"answers", "related" or "possible". A card of an answer that abstains never says it answers."""
    h = as_dict(hit)
    p = h.get("p_answer")
    relevance = str(h.get("relevance") or "")
    if relevance in _LABEL_OF_RELEVANCE:
        label = _LABEL_OF_RELEVANCE[relevance]
    elif isinstance(p, (int, float)) and not isinstance(p, bool):
        label = "answers" if p >= P_ANSWERS else "related" if p >= P_RELATED else "possible"
    else:
        label = "possible"
    return "related" if abstained and label == "answers" else label


def translation_for(hit: Any, lang: str) -> dict[str, str] | None:
    """The hit's machine translation when it is into the page's language (the quote is in the other)."""
    tr = as_dict(hit).get("translation")
    if isinstance(tr, Mapping) and tr.get("language") == lang_of(lang) and tr.get("text"):
        return {key: str(tr.get(key) or "") for key in ("language", "engine", "text", "title", "highlight")}
    return None


# --------------------------------------------------------------------------- HTML
def highlight_html(text: str, highlight: str) -> str:
    """The passage, escaped, with its supporting sentence inside <mark>."""
    text = str(text or "")
    highlight = str(highlight or "").strip()
    if highlight:
        start = text.find(highlight)
        if start < 0:  # tolerate whitespace differences
            pattern = r"\s+".join(re.escape(word) for word in highlight.split())
            found = re.search(pattern, text)
            if found:
                start, end = found.start(), found.end()
            else:
                start = -1
        else:
            end = start + len(highlight)
        if start >= 0:
            return f"{esc(text[:start])}<mark>{esc(text[start:end])}</mark>{esc(text[end:])}"
    return esc(text)


def _badges(escaped: str) -> str:
    return _MARKER.sub(r'<span class="acu-ref">[\1]</span>', escaped)


def _other(lang: str) -> str:
    return "en" if lang_of(lang) == "es" else "es"


def _quote_translation(hit: Mapping[str, Any] | None, quoted: str, lang: str) -> str:
    """The translation of a quote of the answer: the hit's supporting sentence, or its title."""
    tr = translation_for(hit, lang) if hit else None
    if not tr or not hit:
        return ""
    quoted = " ".join(quoted.split())
    if quoted == " ".join(str(hit.get("highlight") or "").split()):
        return tr["highlight"]
    if quoted == " ".join(str(hit.get("title") or "").split()):
        return tr["title"]
    return ""


def answer_text(answer: Mapping[str, Any], lang: str) -> str:
    """The answer's text as the page says it: its frame and any citation it quotes in the page's language."""
    text = reframe(answer.get("answer") or "", lang)
    for hit in answer.get("results") or []:
        citation = str(as_dict(hit).get("citation") or "")
        if citation and citation in text:
            text = text.replace(citation, citation_in(citation, lang))
    return text


def answer_text_html(text: str, hits: Iterable[Any] = (), lang: str = "es") -> str:
    """The extractive answer, escaped, with its [n] markers as reference badges. After each quote in the
    other language, its machine translation on a muted line of its own, labelled."""
    by_rank = {int(h.get("rank") or 0): h for h in map(as_dict, hits)}
    out, last = [], 0
    for found in _QUOTE.finditer(text):
        out.append(_badges(esc(text[last:found.end()])))
        if translated := _quote_translation(by_rank.get(int(found.group(2))), found.group(1), lang):
            out.append(f'<span class="acu-tr-line" lang="{lang_of(lang)}"><span class="acu-tr-tag">'
                       f'{esc(t(lang, "mt_short"))}:</span> {esc(translated)}</span>')
        last = found.end()
    out.append(_badges(esc(text[last:])))
    return "".join(out)


def shown_question(question: Any) -> str:
    """The question as the chat shows it: no longer than the assistant reads it."""
    text = str(question or "")
    return text if len(text) <= MAX_QUESTION_CHARS else text[:MAX_QUESTION_CHARS] + " …"


def user_message_html(question: str) -> str:
    return f'<div class="acu-question">{esc(shown_question(question))}</div>'


def translation_html(tr: Mapping[str, str], text: str, highlight: str = "") -> str:
    """A labelled machine translation: the title's, then the text's with the supporting sentence marked."""
    lang = tr["language"]
    parts = [f'<div class="acu-tr" lang="{esc(lang)}"><div class="acu-tr-label">{esc(t(lang, "mt_label"))}</div>']
    if tr.get("title"):
        parts.append(f'<div class="acu-tr-title">{esc(tr["title"])}</div>')
    parts.append(f'<div class="acu-tr-text">{highlight_html(text, highlight)}</div></div>')
    return "".join(parts)


def action_label(action: Any, lang: str) -> str:
    """What a thread member did ("approved", "took note", …), said in the interface language."""
    text = str(action or "").strip()
    if lang_of(lang) == "es":
        return ACTIONS_ES.get(text.lower(), text)
    return text


def _thread_members(hit: Mapping[str, Any]) -> list[dict[str, Any]]:
    thread = hit.get("thread")
    if not isinstance(thread, Mapping):
        return []
    return [dict(m) for m in thread.get("members") or [] if isinstance(m, Mapping)]


def _first_words(text: str, words: int = THREAD_NOTE_WORDS) -> str:
    parts = str(text or "").split()
    if len(parts) <= words:
        return " ".join(parts)
    return " ".join(parts[:words]).rstrip(" ,;:.…") + " …"


def thread_member_label(member: Mapping[str, Any]) -> str:
    """The member's title, else the first words of its note."""
    title = str(member.get("title") or "").strip()
    return title or _first_words(member.get("note") or member.get("text") or "")


def _member_name(passage_id: str, members: Sequence[Mapping[str, Any]], current: str, lang: str) -> str:
    """How a why line names the other member: "this passage", its session and date, else its id."""
    if passage_id == current:
        return t(lang, "thread_here")
    for member in members:
        if str(member.get("id") or "") == passage_id:
            session, date = str(member.get("session") or ""), str(member.get("date") or "")
            return f"{session} ({date})" if session and date else session or date or passage_id
    return passage_id


def _why_key(parts: WhyParts) -> str:
    if parts.kind == "reference":
        return "why_cites" if parts.quote else "why_cited_quote" if parts.other_quote else "why_cited"
    return "why_point" if parts.kind == "point" else "why_name"


def why_text(member: Mapping[str, Any], members: Sequence[Mapping[str, Any]], current: str, lang: str) -> str:
    """Why the member is in the thread, in the page's language, quoting the shared reference or name."""
    why = str(member.get("why") or "").strip()
    parts = why_parts(why) if why else None
    if parts is None:
        return why
    theirs = f" / «{parts.other_quote}»" if parts.other_quote and parts.other_quote != parts.quote else ""
    return t(lang, _why_key(parts)).format(
        quote=parts.quote, other_quote=parts.other_quote, theirs=theirs,
        translated=t(lang, "why_translated") if parts.translated else "",
        other=_member_name(parts.other, members, current, lang))


def why_html(member: Mapping[str, Any], members: Sequence[Mapping[str, Any]], current: str, lang: str) -> str:
    text = why_text(member, members, current, lang)
    if not text:
        return ""
    return (f'<span class="acu-tl-why"><span class="acu-tl-why-label">{esc(t(lang, "why_label"))}:</span> '
            f"{esc(text)}</span>")


def thread_html(hit: Any, lang: str, fold: bool | None = None) -> str:
    """The passage's topic thread across sessions as a compact timeline; "" without a thread of 2 or more.

    Each member is a <details>: the <summary> is "date · session · title" (the hit's own passage marked)
    over the line that says why it is linked, the body its citation, what it did ("action: note") and its
    whole text. A thread of more than
    THREAD_FOLD members (or any thread when `fold` is true) sits folded in an outer <details>.
    """
    h = as_dict(hit)
    members = _thread_members(h)
    if len(members) < 2:
        return ""
    lang = lang_of(lang)
    thread = h.get("thread") or {}
    name = str(thread.get("name") or "")
    current = str(h.get("id") or "")
    items = []
    for member in members:
        here = bool(current) and str(member.get("id") or "") == current
        line = [f'<span class="acu-tl-date">{esc(member.get("date", ""))}</span>']
        if member.get("session"):
            line.append(f'<span class="acu-tl-session">{esc(member["session"])}</span>')
        line.append(f'<span class="acu-tl-label">{esc(thread_member_label(member))}</span>')
        summary = " · ".join(line)
        if here:
            summary += f' <span class="acu-tl-here">({esc(t(lang, "thread_here"))})</span>'
        summary += why_html(member, members, current, lang)
        body = [f'<div class="acu-tl-cite">{esc(citation_in(member.get("citation", ""), lang))}</div>']
        translated = translation_for(member, lang)
        # the note quotes the member's own words: on a page in the other language only what it did is said
        note = "" if translated else str(member.get("note") or "")
        action = action_label(member.get("action"), lang)
        if note or action:
            said = f"{esc(action)}: {esc(note)}" if note and action else esc(note or action)
            body.append(f'<div class="acu-tl-note">{said}</div>')
        if member.get("text"):
            body.append(f'<div class="acu-tl-text"{_lang_attr(translated)}>{esc(member["text"])}</div>')
            if translated:
                body.append(translation_html(translated, translated["text"]))
        items.append(
            f'<li class="acu-tl-item{" acu-tl-current" if here else ""}"'
            + (' aria-current="true"' if here else "")
            + f'><details class="acu-tl"><summary>{summary}</summary>'
            + f'<div class="acu-tl-body">{"".join(body)}</div></details></li>'
        )
    timeline = f'<ol class="acu-timeline">{"".join(items)}</ol>'
    title = esc(t(lang, "thread"))
    if name:
        title += f': <span class="acu-thread-name">«{esc(name)}»</span>'
    if fold is None:
        fold = len(members) > THREAD_FOLD
    if fold:
        return (f'<details class="acu-thread acu-thread-folded"><summary class="acu-thread-head">{title} '
                f'({len(members)})</summary>{timeline}</details>')
    return f'<div class="acu-thread"><div class="acu-thread-head">{title}</div>{timeline}</div>'


def _lang_attr(translated: Mapping[str, str] | None) -> str:
    """The source's lang attribute, when a translation into the page's language says it is the other."""
    return f' lang="{_other(translated["language"])}"' if translated else ""


def _thread_id(hit: Mapping[str, Any]) -> str:
    thread = hit.get("thread")
    if not isinstance(thread, Mapping):
        return ""
    return str(thread.get("id") or thread.get("name") or "")


def label_html(hit: Mapping[str, Any], lang: str, abstained: bool = False) -> str:
    label = answer_label(hit, abstained)
    return f'<span class="acu-rel acu-rel-{label}">{esc(t(lang, "label_" + label))}</span>'


def card_html(hit: Any, lang: str, threads_shown: set[str] | None = None, abstained: bool = False) -> str:
    """One source card: number, citation + copy button, label, title or section, passage, its machine
    translation when the passage is in the other language, thread.

    `threads_shown` collects the threads already laid out in the same message: a card whose thread is
    already there shows it folded, so an answer whose cards all share one thread stays short.
    """
    h = as_dict(hit)
    rank = int(h.get("rank") or 0)
    title = str(h.get("title") or "")
    section = str(h.get("section") or "")
    text = str(h.get("text") or "")
    highlight = str(h.get("highlight") or "")
    translated = translation_for(h, lang)
    source_lang = _lang_attr(translated)
    parts = [f'<div class="acu-card" id="acu-hit-{esc(h.get("id", ""))}">']
    parts.append('<div class="acu-card-head">')
    parts.append(f'<span class="acu-num">[{rank}]</span>')
    parts.append(f'<span class="acu-cite">{esc(citation_in(h.get("citation", ""), lang))}</span>')
    if h.get("relevance") or h.get("p_answer") is not None:
        parts.append(label_html(h, lang, abstained))
    parts.append(
        f'<button type="button" class="acu-copy" title="{esc(t(lang, "copy_citation"))}" '
        f'value="{esc(t(lang, "copied"))}">{esc(t(lang, "copy_citation"))}</button>'
    )
    parts.append("</div>")
    parts.append(f'<span class="acu-copytext" hidden>{esc(citation_text(h, lang))}</span>')
    if title:
        parts.append(f'<div class="acu-title"{source_lang}>{esc(title)}</div>')
    elif section:
        parts.append(f'<div class="acu-title">{esc(t(lang, "section"))}: {esc(section_text(section, lang))}</div>')
    folded = len(text) > FOLD_CHARS and highlight and len(highlight) < 0.8 * len(text)
    if folded:
        parts.append(f'<div class="acu-passage acu-preview"{source_lang}>… <mark>{esc(highlight)}</mark> …</div>')
        if translated and translated["highlight"]:
            parts.append(translation_html(dict(translated, title=""), translated["highlight"],
                                          translated["highlight"]))
        whole = f'<div class="acu-passage"{source_lang}>{highlight_html(text, highlight)}</div>'
        if translated:
            whole += translation_html(translated, translated["text"], translated["highlight"])
        parts.append(f'<details class="acu-more"><summary>{esc(t(lang, "full_passage"))}</summary>{whole}</details>')
    else:
        parts.append(f'<div class="acu-passage"{source_lang}>{highlight_html(text, highlight)}</div>')
        if translated:
            parts.append(translation_html(translated, translated["text"], translated["highlight"]))
    thread_id = _thread_id(h)
    repeated = bool(thread_id) and threads_shown is not None and thread_id in threads_shown
    parts.append(thread_html(h, lang, fold=True if repeated else None))
    if thread_id and threads_shown is not None and len(_thread_members(h)) >= 2:
        threads_shown.add(thread_id)
    parts.append("</div>")
    return "".join(parts)


def _nothing_searched(a: dict[str, Any], hits: list) -> bool:
    """An empty question or small talk ("¡Hola!"): a notice, and no answer to frame."""
    return not (a.get("answer") or hits) and bool(a.get("message"))


def on_topic(hit: Mapping[str, Any]) -> bool:
    """A passage the search found above the "related" bar."""
    return answer_label(hit) in ("answers", "related")


def more_on_topic_text(hits: Sequence[Mapping[str, Any]], lang: str) -> str:
    """"3 more agreements on this topic: XVI, XIX, XX" (or passages, when not all are agreements)."""
    sessions: list[str] = []
    for hit in hits:
        name = t(lang, "council_session") if hit.get("source") == "cnsp40" else str(hit.get("session") or "")
        if name and name not in sessions:
            sessions.append(name)
    kind = "agreement" if all(hit.get("agreement") is not None for hit in hits) else "passage"
    key = f"more_{kind}" if len(hits) == 1 else f"more_{kind}s"
    return t(lang, key).format(n=len(hits), sessions=", ".join(sessions))


def share_query(question: Any, lang: str) -> str:
    """The query string of a link that opens the page and asks the question: "?q=…&lang=en"."""
    return "?" + urlencode({"q": shown_question(question)[:MAX_QUESTION_CHARS], "lang": lang_of(lang)})


def message_html(answer: Any, lang: str) -> str:
    """The assistant message for one answer: notice, answer text, numbered source cards, copy buttons."""
    a = as_dict(answer)
    lang = lang_of(lang)
    hits = [as_dict(h) for h in a.get("results") or []]
    shown: set[str] = set()  # threads laid out so far in this message
    parts = ['<div class="acu-answer">']
    if a.get("message"):
        parts.append(f'<div class="acu-notice">{esc(notice_in(a["message"], lang))}</div>')
    if _nothing_searched(a, hits):
        pass  # the notice says what to do
    elif a.get("abstained"):
        key = "abstain" if hits else "abstain_none"
        if why := abstention_reason(a.get("reason") or "", a.get("periods") or [], lang):
            parts.append(f'<div class="acu-abstain acu-why">{esc(why)}</div>')
        parts.append(f'<div class="acu-abstain">{esc(t(lang, key))}</div>')
        if hits:
            parts.append(f'<div class="acu-section-title">{esc(t(lang, "related"))}</div>')
            parts.extend(card_html(h, lang, shown, abstained=True) for h in hits)
    elif not hits:
        if a.get("answer"):
            parts.append(f'<div class="acu-text">{answer_text_html(answer_text(a, lang), hits, lang)}</div>')
        parts.append(f'<div class="acu-abstain">{esc(t(lang, "no_results"))}</div>')
    else:
        cited, others = _split_hits(a)
        topic = [h for h in others if on_topic(h)]
        rest = [h for h in others if not on_topic(h)]
        if a.get("answer"):
            parts.append(f'<div class="acu-text">{answer_text_html(answer_text(a, lang), hits, lang)}</div>')
        parts.append(f'<div class="acu-section-title">{esc(t(lang, "sources"))}</div>')
        parts.extend(card_html(h, lang, shown) for h in cited)
        if topic:
            parts.append(
                f'<details class="acu-topic"><summary>{esc(more_on_topic_text(topic, lang))}</summary>'
                + "".join(card_html(h, lang, shown) for h in topic) + "</details>"
            )
        if rest:
            parts.append(
                f'<details class="acu-others"><summary>{esc(t(lang, "others"))} ({len(rest)})</summary>'
                + "".join(card_html(h, lang, shown) for h in rest)
                + "</details>"
            )
    if a.get("filters"):
        parts.append(f'<div class="acu-filters-used">{esc(active_filters_text(a["filters"], lang))}</div>')
    parts.append('<div class="acu-actions">')
    parts.append(
        f'<button type="button" class="acu-copy-link" title="{esc(t(lang, "copy_link"))}" '
        f'value="{esc(t(lang, "copied"))}">{esc(t(lang, "copy_link"))}</button>'
    )
    parts.append(f'<span class="acu-link" hidden>{esc(share_query(a.get("question", ""), lang))}</span>')
    parts.append(
        f'<button type="button" class="acu-copy-md" title="{esc(t(lang, "copy_answer"))}" '
        f'value="{esc(t(lang, "copied"))}">{esc(t(lang, "copy_answer"))}</button>'
    )
    parts.append(f'<pre class="acu-md" hidden>{html.escape(answer_markdown(a, lang))}</pre>')
    parts.append("</div></div>")
    return "".join(parts)


def problem_html(problem: Mapping[str, Any], lang: str) -> str:
    """What stopped the question before it was searched: filters that exclude every passage (with a
    button that clears them), or a place the corpus does not have (with the places it has, one a line)."""
    parts = ['<div class="acu-answer acu-problem">']
    if problem.get("kind") == "unknown_place":
        places = [str(p) for p in problem.get("places") or []]
        said = t(lang, "unknown_place").format(place=problem.get("place", ""), n=len(places))
        parts.append(f'<div class="acu-abstain">{esc(said)}</div>')
        parts.append('<ul class="acu-places">' + "".join(f"<li>{esc(p)}</li>" for p in places) + "</ul>")
    else:
        parts.append(f'<div class="acu-abstain">{esc(t(lang, "filters_exclude"))}</div>')
        parts.append(f'<div class="acu-filters-used">{esc(active_filters_text(problem.get("filters"), lang))}</div>')
    parts.append(f'<div class="acu-actions"><button type="button" class="acu-clear-filters">'
                 f'{esc(t(lang, "clear_filters"))}</button></div></div>')
    return "".join(parts)


def problem_text(problem: Mapping[str, Any], lang: str) -> str:
    """The same, as one plain line (for the Markdown export)."""
    if problem.get("kind") == "unknown_place":
        places = [str(p) for p in problem.get("places") or []]
        return t(lang, "unknown_place").format(place=problem.get("place", ""), n=len(places)) + " " + "; ".join(places)
    return f"{t(lang, 'filters_exclude')} {active_filters_text(problem.get('filters'), lang)}"


def error_html(error: str, lang: str) -> str:
    return f'<div class="acu-answer"><div class="acu-error">{esc(t(lang, "error"))}: {esc(error)}</div></div>'


def pending_html(lang: str) -> str:
    return f'<div class="acu-answer"><div class="acu-pending">{esc(t(lang, "searching"))}</div></div>'


def chat_messages(turns: Iterable[Mapping[str, Any]], lang: str) -> list[dict[str, str]]:
    """Chatbot messages (role/content) for the conversation so far, in the interface language.

    Each turn is {"question": str} with "answer" (an Answer dict), "problem" (filters that stopped it) or
    "error" (str); every turn
    gives exactly two messages, so the assistant message of turn i is message 2*i+1.
    """
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": user_message_html(turn.get("question", ""))})
        if turn.get("answer") is not None:
            content = message_html(turn["answer"], lang)
        elif turn.get("problem"):
            content = problem_html(turn["problem"], lang)
        elif turn.get("error"):
            content = error_html(turn["error"], lang)
        else:
            content = pending_html(lang)
        messages.append({"role": "assistant", "content": content})
    return messages


# --------------------------------------------------------------------------- filters
def filters_from_ui(sources: Sequence[str] | None, sessions: Sequence[str] | None,
                    year_min: Any, year_max: Any, place: str | None,
                    all_sources: Sequence[str] = ("cnssp", "cnsp40"),
                    years: tuple[int, int] = (YEAR_MIN, YEAR_MAX)) -> dict[str, Any]:
    """The engine's filters dict from the sidebar values; choices that exclude nothing are left out."""
    filters: dict[str, Any] = {}
    chosen = [s for s in (sources or []) if s]
    if chosen and set(chosen) != set(all_sources):
        filters["source"] = chosen
    chosen_sessions = [s for s in (sessions or []) if s]
    if chosen_sessions:
        filters["session"] = chosen_sessions
    low, high = _int(year_min), _int(year_max)
    if low is not None and high is not None and low > high:
        low, high = high, low
    if low is not None and low > years[0]:
        filters["year_min"] = low
    if high is not None and high < years[1]:
        filters["year_max"] = high
    if place and str(place).strip():
        filters["place"] = str(place).strip()
    return filters


def _int(value: Any) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError, OverflowError):
        return None


def active_filters_text(filters: Mapping[str, Any] | None, lang: str,
                        sources: Sequence[Mapping[str, str]] | None = None) -> str:
    """One line naming the filters in force, e.g. "Filtros activos: Sesión XIX, XX · años 2017–2018"."""
    lang = lang_of(lang)
    filters = filters or {}
    parts: list[str] = []
    if filters.get("source"):
        names = ", ".join(source_label(s, lang, sources) for s in filters["source"])
        parts.append(f"{t(lang, 'source')}: {names}")
    if filters.get("session"):
        parts.append(f"{t(lang, 'session')}: " + ", ".join(str(s) for s in filters["session"]))
    low, high = filters.get("year_min"), filters.get("year_max")
    if low is not None and high is not None:
        parts.append(f"{t(lang, 'years')} {low}–{high}" if low != high else f"{t(lang, 'year')} {low}")
    elif low is not None:
        parts.append(f"{t(lang, 'years')}: {t(lang, 'from')} {low}")
    elif high is not None:
        parts.append(f"{t(lang, 'years')}: {t(lang, 'to')} {high}")
    if filters.get("place"):
        parts.append(f"{t(lang, 'place')}: {filters['place']}")
    return f"{t(lang, 'active')}: " + (" · ".join(parts) if parts else t(lang, "active_none"))


# --------------------------------------------------------------------------- exports
_MD_SPECIAL = re.compile(r"([\\`*_\[\]|~@])")
_MD_LINE_START = re.compile(r"^(\s*)([#+=-]|\d+[.)])", re.MULTILINE)


def md_escape(text: Any) -> str:
    """Markdown-inert text: HTML escaped and Markdown punctuation backslash-escaped.

    Rendered by any Markdown viewer it reads as the original characters: no links, images, HTML or emphasis.
    """
    value = html.escape(str(text if text is not None else ""), quote=False)
    value = _MD_SPECIAL.sub(r"\\\1", value)
    value = _MD_LINE_START.sub(lambda m: m.group(1) + (m.group(2)[:-1] + "\\" + m.group(2)[-1]), value)
    # bare URLs would become links in GitHub-flavoured Markdown
    return value.replace("://", ":\\/\\/").replace("www.", "www\\.")


def _md_quote(text: str) -> str:
    lines = str(text or "").replace("\r\n", "\n").split("\n")
    return "\n".join(f"> {md_escape(line)}" if line.strip() else ">" for line in lines)


def _thread_markdown(hit: Mapping[str, Any], lang: str, listed: dict[str, int]) -> list[str]:
    """The card's thread, briefly: one line per member (date, citation); a thread already listed under an
    earlier card of the same answer is only named, with the number of that card."""
    members = _thread_members(hit)
    if len(members) < 2:
        return []
    thread = hit.get("thread") or {}
    name = str(thread.get("name") or "")
    head = f"*{md_escape(t(lang, 'thread'))}*" + (f": «{md_escape(name)}»" if name else "")
    thread_id = _thread_id(hit)
    if thread_id in listed:
        return [f"{head} ({md_escape(t(lang, 'thread_see'))} \\[{listed[thread_id]}\\])", ""]
    listed[thread_id] = int(hit.get("rank") or 0)
    current = str(hit.get("id") or "")
    lines = [head, ""]
    for member in members:
        line = f"- {md_escape(member.get('date', ''))} — {md_escape(member.get('citation', ''))}"
        if current and str(member.get("id") or "") == current:
            line += f" ({md_escape(t(lang, 'thread_here'))})"
        lines.append(line)
    return lines + [""]


def answer_markdown(answer: Any, lang: str, heading: str = "###") -> str:
    """One answer as Markdown: the question, the answer with its markers, and each cited passage quoted."""
    a = as_dict(answer)
    lang = lang_of(lang)
    out = [f"{heading} {t(lang, 'question')}: {md_escape(shown_question(a.get('question', '')))}", ""]
    if a.get("message"):
        out += [f"*{md_escape(notice_in(a['message'], lang))}*", ""]
    hits = [as_dict(h) for h in a.get("results") or []]
    if _nothing_searched(a, hits):
        shown, title = [], ""  # the notice above says what to do
    elif a.get("abstained"):
        why = abstention_reason(a.get("reason") or "", a.get("periods") or [], lang)
        out += [md_escape(" ".join(filter(None, [why, t(lang, "abstain" if hits else "abstain_none")]))), ""]
        shown, title = hits, t(lang, "related")
    else:
        if a.get("answer"):
            out += [md_escape(answer_text(a, lang)), ""]
            out += _answer_translations_markdown(a, hits, lang)
        shown, _others = _split_hits(a)
        title = t(lang, "sources")
        if not hits:
            out += [md_escape(t(lang, "no_results")), ""]
    if shown:
        out += [f"**{md_escape(title)}**", ""]
        listed: dict[str, int] = {}  # thread id -> rank of the card under which it was listed
        for h in shown:
            line = f"\\[{int(h.get('rank') or 0)}\\] **{md_escape(citation_in(h.get('citation', ''), lang))}**"
            if h.get("title"):
                line += f" — {md_escape(h['title'])}"
            elif h.get("section"):
                line += f" — {md_escape(t(lang, 'section'))}: {md_escape(section_text(h['section'], lang))}"
            if h.get("relevance") or h.get("p_answer") is not None:
                line += f" ({md_escape(t(lang, 'label_' + answer_label(h, bool(a.get('abstained')))))})"
            out += [line, "", _md_quote(h.get("text", "")), ""]
            if translated := translation_for(h, lang):
                title = f"{md_escape(translated['title'])} — " if translated["title"] else ""
                out += [f"*{md_escape(t(lang, 'mt_label'))}:* {title}{md_escape(translated['text'])}", ""]
            out += _thread_markdown(h, lang, listed)
    if a.get("filters"):
        out += [f"*{md_escape(active_filters_text(a['filters'], lang))}*", ""]
    return "\n".join(out).rstrip() + "\n"


def _answer_translations_markdown(a: Mapping[str, Any], hits: list[dict], lang: str) -> list[str]:
    """Under the answer, each quote's machine translation, one a line: "*[1] Machine translation …:* …"."""
    by_rank = {int(h.get("rank") or 0): h for h in hits}
    lines = []
    for found in _QUOTE.finditer(str(a.get("answer") or "")):
        if translated := _quote_translation(by_rank.get(int(found.group(2))), found.group(1), lang):
            lines.append(f"*\\[{found.group(2)}\\] {md_escape(t(lang, 'mt_short'))}:* {md_escape(translated)}")
    return [line + "  " for line in lines[:-1]] + lines[-1:] + [""] if lines else []


def conversation_markdown(turns: Iterable[Mapping[str, Any]], lang: str, now: datetime | None = None) -> str:
    lang = lang_of(lang)
    now = now or datetime.now(UTC)
    out = [f"# {md_escape(t(lang, 'title'))} — {md_escape(t(lang, 'conversation'))}", "",
           f"{t(lang, 'exported')}: {now.isoformat(timespec='seconds')}", ""]
    for number, turn in enumerate(turns, 1):
        if turn.get("answer") is not None:
            body = answer_markdown(turn["answer"], lang, heading="##")
            out.append(body.replace("## ", f"## {number}. ", 1))
        else:
            out.append(f"## {number}. {t(lang, 'question')}: {md_escape(shown_question(turn.get('question', '')))}\n")
            if turn.get("problem"):
                out.append(f"*{md_escape(problem_text(turn['problem'], lang))}*\n")
            if turn.get("error"):
                out.append(f"*{md_escape(t(lang, 'error'))}: {md_escape(turn['error'])}*\n")
    return "\n".join(out).rstrip() + "\n"


def conversation_json(turns: Iterable[Mapping[str, Any]], now: datetime | None = None) -> str:
    now = now or datetime.now(UTC)
    data = {
        "exported": now.isoformat(timespec="seconds"),
        "turns": [
            {"question": turn.get("question", ""),
             **({"answer": as_dict(turn["answer"])} if turn.get("answer") is not None else {}),
             **({"problem": dict(turn["problem"])} if turn.get("problem") else {}),
             **({"error": turn["error"]} if turn.get("error") else {})}
            for turn in turns
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
