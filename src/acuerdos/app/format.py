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

from acuerdos.answer.compose import abstention_reason

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
        "relevance": "Relevancia",
        "rel_high": "alta",
        "rel_medium": "media",
        "rel_low": "baja",
        "rel_related": "posiblemente relacionado",
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
        "relevance": "Relevance",
        "rel_high": "high",
        "rel_medium": "medium",
        "rel_low": "low",
        "rel_related": "possibly related",
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
    },
}

SOURCE_LABELS = {
    "es": {"cnssp": "Acuerdos de la CNSSP (2016–2018)", "cnsp40": "Informe del Consejo (40.ª sesión, 2016)"},
    "en": {"cnssp": "CNSSP agreements (2016–2018)", "cnsp40": "Council report (40th session, 2016)"},
}

_MARKER = re.compile(r"\[(\d{1,3})\]")
_RELEVANCE = ("high", "medium", "low", "related")


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


def relevance_label(relevance: str, lang: str) -> str:
    return t(lang, f"rel_{relevance}") if relevance in _RELEVANCE else str(relevance or "")


def citation_text(hit: Any) -> str:
    """The citation as it is copied: the citation line, then the agreement title if there is one."""
    h = as_dict(hit)
    citation = str(h.get("citation") or "")
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


def answer_text_html(text: str) -> str:
    """The extractive answer, escaped, with its [n] markers as reference badges."""
    return _MARKER.sub(r'<span class="acu-ref">[\1]</span>', esc(text))


def user_message_html(question: str) -> str:
    return f'<div class="acu-question">{esc(question)}</div>'


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


def thread_html(hit: Any, lang: str, fold: bool | None = None) -> str:
    """The passage's topic thread across sessions as a compact timeline; "" without a thread of 2 or more.

    Each member is a <details>: the <summary> is "date · session · title" (the hit's own passage marked),
    the body its citation, what it did ("action: note") and its whole text. A thread of more than
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
        body = [f'<div class="acu-tl-cite">{esc(member.get("citation", ""))}</div>']
        note = str(member.get("note") or "")
        action = action_label(member.get("action"), lang)
        if note or action:
            said = f"{esc(action)}: {esc(note)}" if note and action else esc(note or action)
            body.append(f'<div class="acu-tl-note">{said}</div>')
        if member.get("text"):
            body.append(f'<div class="acu-tl-text">{esc(member["text"])}</div>')
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


def _thread_id(hit: Mapping[str, Any]) -> str:
    thread = hit.get("thread")
    if not isinstance(thread, Mapping):
        return ""
    return str(thread.get("id") or thread.get("name") or "")


def card_html(hit: Any, lang: str, threads_shown: set[str] | None = None) -> str:
    """One source card: number, citation + copy button, relevance, title or section, passage, thread.

    `threads_shown` collects the threads already laid out in the same message: a card whose thread is
    already there shows it folded, so an answer whose cards all share one thread stays short.
    """
    h = as_dict(hit)
    rank = int(h.get("rank") or 0)
    relevance = str(h.get("relevance") or "")
    rel_class = relevance if relevance in _RELEVANCE else "other"
    title = str(h.get("title") or "")
    section = str(h.get("section") or "")
    text = str(h.get("text") or "")
    highlight = str(h.get("highlight") or "")
    parts = [f'<div class="acu-card" id="acu-hit-{esc(h.get("id", ""))}">']
    parts.append('<div class="acu-card-head">')
    parts.append(f'<span class="acu-num">[{rank}]</span>')
    parts.append(f'<span class="acu-cite">{esc(h.get("citation", ""))}</span>')
    if relevance:
        parts.append(
            f'<span class="acu-rel acu-rel-{rel_class}">{esc(t(lang, "relevance"))}: '
            f"{esc(relevance_label(relevance, lang))}</span>"
        )
    parts.append(
        f'<button type="button" class="acu-copy" title="{esc(t(lang, "copy_citation"))}" '
        f'value="{esc(t(lang, "copied"))}">{esc(t(lang, "copy_citation"))}</button>'
    )
    parts.append("</div>")
    parts.append(f'<span class="acu-copytext" hidden>{esc(citation_text(h))}</span>')
    if title:
        parts.append(f'<div class="acu-title">{esc(title)}</div>')
    elif section:
        parts.append(f'<div class="acu-title">{esc(t(lang, "section"))}: {esc(section)}</div>')
    folded = len(text) > FOLD_CHARS and highlight and len(highlight) < 0.8 * len(text)
    if folded:
        parts.append(f'<div class="acu-passage acu-preview">… <mark>{esc(highlight)}</mark> …</div>')
        parts.append(
            f'<details class="acu-more"><summary>{esc(t(lang, "full_passage"))}</summary>'
            f'<div class="acu-passage">{highlight_html(text, highlight)}</div></details>'
        )
    else:
        parts.append(f'<div class="acu-passage">{highlight_html(text, highlight)}</div>')
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


def message_html(answer: Any, lang: str) -> str:
    """The assistant message for one answer: notice, answer text, numbered source cards, copy button."""
    a = as_dict(answer)
    lang = lang_of(lang)
    hits = [as_dict(h) for h in a.get("results") or []]
    shown: set[str] = set()  # threads laid out so far in this message
    parts = ['<div class="acu-answer">']
    if a.get("message"):
        parts.append(f'<div class="acu-notice">{esc(a["message"])}</div>')
    if _nothing_searched(a, hits):
        pass  # the notice says what to do
    elif a.get("abstained"):
        key = "abstain" if hits else "abstain_none"
        if why := abstention_reason(a.get("reason") or "", a.get("periods") or [], lang):
            parts.append(f'<div class="acu-abstain acu-why">{esc(why)}</div>')
        parts.append(f'<div class="acu-abstain">{esc(t(lang, key))}</div>')
        if hits:
            parts.append(f'<div class="acu-section-title">{esc(t(lang, "related"))}</div>')
            parts.extend(card_html(h, lang, shown) for h in hits)
    elif not hits:
        if a.get("answer"):
            parts.append(f'<div class="acu-text">{answer_text_html(a["answer"])}</div>')
        parts.append(f'<div class="acu-abstain">{esc(t(lang, "no_results"))}</div>')
    else:
        cited, others = _split_hits(a)
        if a.get("answer"):
            parts.append(f'<div class="acu-text">{answer_text_html(a["answer"])}</div>')
        parts.append(f'<div class="acu-section-title">{esc(t(lang, "sources"))}</div>')
        parts.extend(card_html(h, lang, shown) for h in cited)
        if others:
            parts.append(
                f'<details class="acu-others"><summary>{esc(t(lang, "others"))} ({len(others)})</summary>'
                + "".join(card_html(h, lang, shown) for h in others)
                + "</details>"
            )
    if a.get("filters"):
        parts.append(f'<div class="acu-filters-used">{esc(active_filters_text(a["filters"], lang))}</div>')
    parts.append('<div class="acu-actions">')
    parts.append(
        f'<button type="button" class="acu-copy-md" title="{esc(t(lang, "copy_answer"))}" '
        f'value="{esc(t(lang, "copied"))}">{esc(t(lang, "copy_answer"))}</button>'
    )
    parts.append(f'<pre class="acu-md" hidden>{html.escape(answer_markdown(a, lang))}</pre>')
    parts.append("</div></div>")
    return "".join(parts)


def error_html(error: str, lang: str) -> str:
    return f'<div class="acu-answer"><div class="acu-error">{esc(t(lang, "error"))}: {esc(error)}</div></div>'


def pending_html(lang: str) -> str:
    return f'<div class="acu-answer"><div class="acu-pending">{esc(t(lang, "searching"))}</div></div>'


def chat_messages(turns: Iterable[Mapping[str, Any]], lang: str) -> list[dict[str, str]]:
    """Chatbot messages (role/content) for the conversation so far, in the interface language.

    Each turn is {"question": str, "answer": Answer dict} or {"question": str, "error": str}; every turn
    gives exactly two messages, so the assistant message of turn i is message 2*i+1.
    """
    messages: list[dict[str, str]] = []
    for turn in turns:
        messages.append({"role": "user", "content": user_message_html(turn.get("question", ""))})
        if turn.get("answer") is not None:
            content = message_html(turn["answer"], lang)
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
    out = [f"{heading} {t(lang, 'question')}: {md_escape(a.get('question', ''))}", ""]
    if a.get("message"):
        out += [f"*{md_escape(a['message'])}*", ""]
    hits = [as_dict(h) for h in a.get("results") or []]
    if _nothing_searched(a, hits):
        shown, title = [], ""  # the notice above says what to do
    elif a.get("abstained"):
        why = abstention_reason(a.get("reason") or "", a.get("periods") or [], lang)
        out += [md_escape(" ".join(filter(None, [why, t(lang, "abstain" if hits else "abstain_none")]))), ""]
        shown, title = hits, t(lang, "related")
    else:
        if a.get("answer"):
            out += [md_escape(a["answer"]), ""]
        shown, _others = _split_hits(a)
        title = t(lang, "sources")
        if not hits:
            out += [md_escape(t(lang, "no_results")), ""]
    if shown:
        out += [f"**{md_escape(title)}**", ""]
        listed: dict[str, int] = {}  # thread id -> rank of the card under which it was listed
        for h in shown:
            line = f"\\[{int(h.get('rank') or 0)}\\] **{md_escape(h.get('citation', ''))}**"
            if h.get("title"):
                line += f" — {md_escape(h['title'])}"
            elif h.get("section"):
                line += f" — {md_escape(t(lang, 'section'))}: {md_escape(h['section'])}"
            if h.get("relevance"):
                relevance = relevance_label(h["relevance"], lang)
                line += f" ({md_escape(t(lang, 'relevance').lower())}: {md_escape(relevance)})"
            out += [line, "", _md_quote(h.get("text", "")), ""]
            out += _thread_markdown(h, lang, listed)
    if a.get("filters"):
        out += [f"*{md_escape(active_filters_text(a['filters'], lang))}*", ""]
    return "\n".join(out).rstrip() + "\n"


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
            out.append(f"## {number}. {t(lang, 'question')}: {md_escape(turn.get('question', ''))}\n")
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
             **({"error": turn["error"]} if turn.get("error") else {})}
            for turn in turns
        ],
    }
    return json.dumps(data, ensure_ascii=False, indent=2) + "\n"
