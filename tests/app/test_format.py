"""Formatting of chat messages, source cards and exports (no server)."""
from __future__ import annotations

import json
import re
from dataclasses import replace

import pytest

from acuerdos.app import format as fmt
from acuerdos.records import Answer, Hit, ThreadSummary
from tests.app.fakes import FENTANYL, FORCE_HITS, FORCE_THREAD, POLICE_DAY, REPORT, FakeAssistant

XSS = '<img src=x onerror="window.__xss=1"> [link](http://evil.example) ![i](x.png) **bold**'


def answered(question="¿Qué día se instituyó como Día Nacional del Policía?"):
    return FakeAssistant().ask(question)


def abstained(language: str) -> Answer:
    hits = [replace(REPORT, rank=1, relevance="related"), replace(FENTANYL, rank=2, relevance="related")]
    return Answer("¿Cuánto cuesta un helado?" if language == "es" else "How much is an ice cream?",
                  "", True, language, hits)


# --------------------------------------------------------------------------- escaping
def test_question_is_escaped_in_user_message():
    out = fmt.user_message_html(XSS)
    assert "<img" not in out
    assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt;" in out
    assert "<a " not in out and "<strong>" not in out


def test_corpus_and_question_text_are_escaped_everywhere_in_the_answer():
    evil = replace(POLICE_DAY, text='Texto <script>alert(1)</script> & "comillas" <b>negrita</b>.',
                   highlight="<b>negrita</b>", citation="Cita <i>x</i>", title="<u>Título</u>")
    answer = Answer(XSS, "Según las fuentes: «<b>negrita</b>» [1]", False, "es", [evil],
                    message="<em>aviso</em>")
    out = fmt.message_html(answer, "es")
    for raw in ("<script", "<img", "<b>", "<i>", "<u>", "<em>"):
        assert raw not in out
    assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;comillas&quot;" in out
    assert "<mark>&lt;b&gt;negrita&lt;/b&gt;</mark>" in out
    # the Markdown copy inside the message is escaped too (and Markdown-inert)
    pre = re.search(r'<pre class="acu-md" hidden>(.*?)</pre>', out, re.S).group(1)
    assert "<" not in pre


def test_line_breaks_are_kept_as_br():
    assert fmt.esc("a\nb") == "a<br>b"


# --------------------------------------------------------------------------- highlight
def test_highlight_marks_the_supporting_sentence_once():
    out = fmt.highlight_html(FENTANYL.text, FENTANYL.highlight)
    assert out.count("<mark>") == 1
    assert "<mark>sobre los cursos de capacitación en materia de Fentanilo</mark>" in out
    assert out.startswith("Los miembros de la Conferencia")


def test_highlight_tolerates_whitespace_and_is_absent_when_not_found():
    assert fmt.highlight_html("cero uno\n dos tres", "uno dos") == "cero <mark>uno<br> dos</mark> tres"
    assert "<mark>" not in fmt.highlight_html("cero uno dos", "cuatro")
    assert "<mark>" not in fmt.highlight_html("cero uno dos", "")


# --------------------------------------------------------------------------- cards and numbering
def test_answer_message_numbers_cards_and_markers():
    answer = answered()
    out = fmt.message_html(answer, "es")
    assert '<span class="acu-ref">[1]</span>' in out
    assert out.count('class="acu-card"') == 3
    first_card = out.index('class="acu-card"')
    assert out.index('<span class="acu-num">[1]</span>') > first_card
    assert "CNSSP, XX Asamblea Plenaria (Saltillo, Coahuila, 15–16 nov 2018), Acuerdo Octavo" in out
    assert "Día Nacional del Policía" in out
    assert '<span class="acu-rel acu-rel-answers">responde a su pregunta</span>' in out
    assert "Fuentes" in out
    # uncited hits on the topic are counted, one click lists them; the rest are folded under "other passages"
    topic = out.index('<details class="acu-topic"><summary>1 acuerdo más sobre este tema: XVIII</summary>')
    assert topic < out.index('<span class="acu-num">[2]</span>') < out.index('<details class="acu-others">')
    assert out.index('<span class="acu-num">[3]</span>') > out.index('<details class="acu-others">')
    assert "Otros pasajes encontrados (1)" in out


def test_cited_ranks_follow_the_markers():
    answer = Answer("q", "«a» [2] «b» [1] [2] [9]", False, "es",
                    [replace(POLICE_DAY, rank=1), replace(FENTANYL, rank=2)])
    assert fmt.cited_ranks(answer) == [2, 1]
    out = fmt.message_html(answer, "en")
    assert out.index('<span class="acu-num">[2]</span>') < out.index('<span class="acu-num">[1]</span>')
    assert "acu-others" not in out


def test_all_hits_are_sources_when_the_answer_has_no_markers():
    answer = Answer("q", "", False, "en", [replace(POLICE_DAY, rank=1), replace(FENTANYL, rank=2)])
    out = fmt.message_html(answer, "en")
    assert out.count('class="acu-card"') == 2 and "acu-others" not in out


def test_card_has_copy_button_and_copy_text_with_title():
    out = fmt.card_html(POLICE_DAY, "en")
    assert '<button type="button" class="acu-copy"' in out and ">Copy citation</button>" in out
    # the English page says the citation in English: the frame only, names and title as written
    assert ('<span class="acu-copytext" hidden>CNSSP, XX Plenary Assembly (Saltillo, Coahuila, '
            "15–16 Nov 2018), Agreement 8 — Día Nacional del Policía</span>") in out
    assert ">answers your question</span>" in out
    spanish = fmt.card_html(POLICE_DAY, "es")
    assert ('<span class="acu-copytext" hidden>CNSSP, XX Asamblea Plenaria (Saltillo, Coahuila, '
            "15–16 nov 2018), Acuerdo Octavo — Día Nacional del Policía</span>") in spanish


def test_report_card_shows_its_section_and_long_passages_fold():
    out = fmt.card_html(REPORT, "en")
    assert "Section: the president&#x27;s five measures" in out
    assert len(REPORT.text) > fmt.FOLD_CHARS
    assert '<details class="acu-more"><summary>Show the whole passage</summary>' in out
    assert out.count("<mark>") == 2  # the preview and the highlighted full passage
    short = fmt.card_html(POLICE_DAY, "en")
    assert "<details" not in short


def test_an_abstention_says_why_when_it_knows_in_the_chosen_language():
    from dataclasses import replace

    answer = replace(abstained("en"), reason="out_of_range", periods=["2020", "XLI"])
    assert '<div class="acu-abstain acu-why">El corpus no tiene documentos de 2020, la sesión XLI.</div>' in (
        fmt.message_html(answer, "es"))
    figure = replace(abstained("es"), reason="no_number")
    assert "it does not give the figure asked for" in fmt.message_html(figure, "en")
    assert "it does not give the figure asked for" in fmt.answer_markdown(figure, "en")
    assert "acu-why" not in fmt.message_html(abstained("en"), "en")


@pytest.mark.parametrize("lang, says, related", [
    ("es", "Los documentos del corpus no responden a esta pregunta.", "Pasajes posiblemente relacionados"),
    ("en", "The documents in the corpus do not answer this question.", "Possibly related passages"),
])
def test_abstention_is_said_plainly_in_each_language(lang, says, related):
    out = fmt.message_html(abstained(lang), lang)
    assert f'<div class="acu-abstain">{says}</div>' in out
    assert related in out
    assert out.count('class="acu-card"') == 2
    assert fmt.t(lang, "label_possible") in out
    assert fmt.t(lang, "label_answers") not in out  # an abstention's cards never say they answer
    assert fmt.t(lang, "sources") + "<" not in out


def test_abstention_without_passages():
    out = fmt.message_html(Answer("q", "", True, "en", []), "en")
    assert fmt.t("en", "abstain_none") in out and "acu-card" not in out


def test_nothing_searched_shows_only_the_notice():
    out = fmt.message_html(Answer("¡Hola!", "", True, "es", [], message="Respondo preguntas sobre los acuerdos"), "es")
    assert "Respondo preguntas" in out and fmt.t("es", "abstain_none") not in out


def test_notice_is_shown():
    answer = replace(answered(), message="La pregunta se recortó a 2000 caracteres.")
    out = fmt.message_html(answer, "es")
    assert '<div class="acu-notice">La pregunta se recortó a 2000 caracteres.</div>' in out


def test_records_and_dicts_give_the_same_message():
    answer = answered()
    assert fmt.message_html(answer, "es") == fmt.message_html(answer.to_dict(), "es")
    assert fmt.message_html(json.loads(json.dumps(answer.to_dict())), "es") == fmt.message_html(answer, "es")


def test_chat_messages_alternate_two_per_turn():
    turns = [{"question": "uno", "answer": answered().to_dict()}, {"question": XSS, "error": "boom <b>"},
             {"question": "pendiente"}]
    messages = fmt.chat_messages(turns, "es")
    assert [m["role"] for m in messages] == ["user", "assistant"] * 3
    assert "acu-card" in messages[1]["content"]
    assert "boom &lt;b&gt;" in messages[3]["content"] and "<img" not in messages[2]["content"]
    assert fmt.t("es", "searching") in messages[5]["content"]


# --------------------------------------------------------------------------- topic thread timeline
def timeline_items(out: str) -> list[str]:
    return re.findall(r'<li class="acu-tl-item.*?</li>', out, re.S)


def test_card_shows_its_thread_as_a_timeline_with_the_passage_marked():
    hit = FORCE_HITS[1]  # the XVI agreement, second of three in date order
    out = fmt.card_html(hit, "es")
    assert '<div class="acu-thread"><div class="acu-thread-head">Relacionado en otras sesiones: ' in out
    assert "«Protocolo Nacional de Uso de la Fuerza»" in out
    assert out.index('class="acu-passage"') < out.index('class="acu-thread"')  # under the passage
    items = timeline_items(out)
    assert len(items) == 3
    assert [("acu-tl-current" in item) for item in items] == [False, True, False]
    assert items[1].count('aria-current="true"') == 1 and "(este pasaje)" in items[1]
    assert "(este pasaje)" not in items[0] + items[2]
    # each entry is a <details>: the compact line, then citation, "action: note" and the whole text
    summary = re.search(r"<summary>(.*?)</summary>", items[1], re.S).group(1)
    line, why = summary.split('<span class="acu-tl-why">')
    assert re.sub(r"<[^>]+>", "", line) == (
        "2016-11-24 · XVI · Regulación del uso de la fuerza de los cuerpos policiacos (este pasaje)")
    # under it, why it is linked, in the page's language, quoting the shared name
    assert re.sub(r"<[^>]+>", "", why) == (
        "por qué está enlazado: nombra «uso de la fuerza» / «Uso Legítimo de la Fuerza», como XIX (2018-06-07)")
    member = FORCE_THREAD.members[1]
    assert f'<div class="acu-tl-cite">{member.citation}</div>' in items[1]
    assert f'<div class="acu-tl-note">tomó conocimiento: {member.note}</div>' in items[1]
    assert f'<div class="acu-tl-text">{member.text}</div>' in items[1]
    assert all(item.count('<details class="acu-tl"><summary>') == 1 for item in items)
    assert "<details open" not in out  # closed until clicked


def test_timeline_in_english_keeps_the_action_and_uses_the_note_when_there_is_no_title():
    out = fmt.thread_html(FORCE_HITS[0], "en")
    assert "Related across sessions: " in out and "(this passage)" in out
    items = timeline_items(out)
    summary = re.search(r"<summary>(.*?)</summary>", items[0], re.S).group(1).split('<span class="acu-tl-why">')[0]
    untitled = re.sub(r"<[^>]+>", "", summary)
    # the first words of the note stand for the missing title
    assert untitled == ("2016-08-30 · XL · The 911 emergency number will begin to operate gradually as … "
                        "(this passage)")
    assert '<div class="acu-tl-note">announced: The 911 emergency number' in items[0]
    assert '<div class="acu-tl-note">approved: aprueban el Proyecto' in items[2]
    assert '<div class="acu-tl-note">took note: toman conocimiento' in items[1]


@pytest.mark.parametrize("action, spanish", [
    ("approved", "aprobó"), ("agreed", "acordó"), ("took note", "tomó conocimiento"),
    ("asked for", "solicitó"),
    ("instructed", "instruyó"), ("committed to", "se comprometió"), ("thanked", "agradeció"),
    ("validated", "validó"), ("concurred", "coincidió"), ("sent", "envió"), ("received", "recibió"),
    ("proposed", "propuso"), ("urged", "exhortó"), ("announced", "anunció"), ("welcomed", "celebró"),
    ("said", "dijo"), ("pondered", "pondered"), ("", ""),
])
def test_action_labels_in_spanish(action, spanish):
    assert fmt.action_label(action, "es") == spanish
    assert fmt.action_label(action, "en") == action


def test_timeline_is_escaped():
    evil = '<img src=x onerror="window.__xss=1">'
    members = tuple(replace(m, title=f"{evil} título", note=f"<b>nota</b> {evil}", citation=f"<i>cita</i>{evil}",
                            text=f"<script>alert(1)</script> & {evil}", action="<u>did</u>", session="<s>X</s>",
                            date="<em>2016</em>", id=f'{m.id}"><script>',
                            why=f"names «{evil}» / «<b>x</b>», as <q>y</q> does")
                    for m in FORCE_THREAD.members)
    hit = replace(FORCE_HITS[0], id=members[0].id, thread=ThreadSummary("<t>", f"<h1>{evil}</h1>", members))
    message = fmt.message_html(Answer("q", "«x» [1]", False, "es", [hit]), "es")
    for out in (fmt.thread_html(hit, "es"), message):
        for raw in ("<img", "<script", "<b>", "<i>", "<u>", "<s>", "<em>", "<h1>", "<q>"):
            assert raw not in out
        assert "&lt;img src=x onerror=&quot;window.__xss=1&quot;&gt; título" in out
        assert "&lt;script&gt;alert(1)&lt;/script&gt; &amp;" in out
        assert "&lt;u&gt;did&lt;/u&gt;: &lt;b&gt;nota&lt;/b&gt;" in out
    assert "(este pasaje)" in fmt.thread_html(hit, "es")  # matched on the raw id, shown escaped
    md = fmt.answer_markdown(Answer("q", "«x» [1]", False, "es", [hit]), "es")
    assert "<" not in md and "&lt;h1&gt;" in md and "&lt;i&gt;cita&lt;/i&gt;" in md


@pytest.mark.parametrize("thread", [
    None, ThreadSummary("t", "Uno", ()), ThreadSummary("t", "Uno", FORCE_THREAD.members[:1]),
])
def test_no_timeline_without_a_thread_of_two(thread):
    hit = replace(FORCE_HITS[0], thread=thread)
    assert fmt.thread_html(hit, "es") == ""
    assert "acu-thread" not in fmt.card_html(hit, "es") and "acu-timeline" not in fmt.card_html(hit, "en")
    md = fmt.answer_markdown(Answer("q", "«x» [1]", False, "es", [hit]), "es")
    assert "Relacionado en otras sesiones" not in md
    assert "acu-thread" not in fmt.message_html(answered(), "es")  # the fixture hits have no thread


def test_a_long_thread_is_folded():
    members = tuple(replace(FORCE_THREAD.members[0], id=f"m{i}", date=f"2017-0{i}-01") for i in range(1, 6))
    hit = replace(FORCE_HITS[0], id="m3", thread=ThreadSummary("t", "Cinco", members))
    out = fmt.thread_html(hit, "en")
    assert out.startswith('<details class="acu-thread acu-thread-folded"><summary class="acu-thread-head">'
                          "Related across sessions: ")
    assert "«Cinco»</span> (5)</summary>" in out and len(timeline_items(out)) == 5
    short = replace(hit, thread=ThreadSummary("t", "Cuatro", members[:4]))
    assert fmt.thread_html(short, "en").startswith('<div class="acu-thread">')


def test_a_thread_shared_by_several_cards_is_laid_out_once_then_folded():
    answer = FakeAssistant().ask("¿Cómo evolucionó el tema de uso de la fuerza?")
    out = fmt.message_html(answer, "es")
    assert out.count('class="acu-card"') == 3
    assert out.count('<div class="acu-thread">') == 1
    assert out.count('<details class="acu-thread acu-thread-folded">') == 2
    # every card still marks its own passage
    assert out.count('class="acu-tl-item acu-tl-current"') == 3
    assert fmt.message_html(answer, "es") == fmt.message_html(answer.to_dict(), "es")


def test_markdown_lists_the_thread_briefly_once_per_answer():
    answer = FakeAssistant().ask("How did the use-of-force protocol evolve?")
    md = fmt.answer_markdown(answer, "en")
    members = FORCE_THREAD.members
    block = ("*Related across sessions*: «Protocolo Nacional de Uso de la Fuerza»\n\n"
             + "\n".join(f"- {m.date} — {m.citation}" + (" (this passage)" if i == 0 else "")
                         for i, m in enumerate(members)) + "\n")
    assert block in md
    assert md.count("- 2016-11-24 — ") == 1  # listed under card [1] only
    assert md.count("*Related across sessions*: «Protocolo Nacional de Uso de la Fuerza» (see \\[1\\])") == 2
    es = fmt.answer_markdown(answer, "es")
    assert "*Relacionado en otras sesiones*:" in es and "(este pasaje)" in es and "(véase \\[1\\])" in es
    turns = [{"question": answer.question, "answer": answer.to_dict()}]
    assert block in fmt.conversation_markdown(turns, "en")


def test_examples_include_a_timeline_question_in_both_languages():
    assert 6 <= len(fmt.EXAMPLES) <= 8 and len(set(fmt.EXAMPLES)) == len(fmt.EXAMPLES)
    assert "¿Cómo evolucionó el tema de uso de la fuerza?" in fmt.EXAMPLES
    spanish = [q for q in fmt.EXAMPLES if "¿" in q]
    english = [q for q in fmt.EXAMPLES if q.split()[0] in ("What", "Which", "How")]
    assert len(spanish) >= 2 and len(english) >= 2


# --------------------------------------------------------------------------- labels and filters
def test_labels_exist_in_both_languages():
    assert set(fmt.LABELS["es"]) == set(fmt.LABELS["en"])
    assert fmt.lang_of("English") == "en" and fmt.lang_of("Español") == "es" and fmt.lang_of(None) == "es"


def test_filters_from_ui_leave_out_what_excludes_nothing():
    assert fmt.filters_from_ui([], [], 2016, 2018, "") == {}
    assert fmt.filters_from_ui(["cnssp", "cnsp40"], None, None, None, None) == {}
    assert fmt.filters_from_ui(["cnssp"], ["XIX", "XX"], 2017, 2018, " Saltillo ") == {
        "source": ["cnssp"], "session": ["XIX", "XX"], "year_min": 2017, "place": "Saltillo"}
    assert fmt.filters_from_ui([], [], 2018, 2017, "") == {"year_min": 2017}  # swapped, 2018 is the top


def test_active_filters_line():
    assert fmt.active_filters_text({}, "es") == "Filtros activos: ninguno: se busca en todo el corpus"
    line = fmt.active_filters_text({"source": ["cnsp40"], "session": ["XX"], "year_min": 2017,
                                    "year_max": 2018, "place": "Saltillo"}, "en")
    assert line == ("Active filters: Source: Council report (40th session, 2016) · "
                    "Conference session (Plenary Assembly): XX · years 2017–2018 · Place: Saltillo")


# --------------------------------------------------------------------------- exports
def test_answer_markdown_contents():
    md = fmt.answer_markdown(answered(), "es")
    assert md.startswith("### Pregunta: ¿Qué día se instituyó como Día Nacional del Policía?")
    assert "Según las fuentes:" in md and "\\[1\\]" in md
    assert "**Fuentes**" in md
    assert ("\\[1\\] **CNSSP, XX Asamblea Plenaria (Saltillo, Coahuila, 15–16 nov 2018), Acuerdo Octavo** — "
            "Día Nacional del Policía (responde a su pregunta)") in md
    assert "> Los integrantes de la Asamblea Plenaria" in md
    assert "Fentanilo y capacitación" not in md  # only cited passages are exported


def test_markdown_export_is_inert():
    md = fmt.answer_markdown(Answer(XSS, "", True, "en", []), "en")
    assert "<img" not in md and "**bold**" not in md
    assert not re.search(r"(?<!\\)\]\(", md) and not re.search(r"!(?!\\)\[", md)  # no link or image syntax
    assert "&lt;img src=x" in md and "http:\\/\\/evil" in md


def test_abstained_markdown_lists_related_passages():
    md = fmt.answer_markdown(abstained("en"), "en")
    assert "The documents in the corpus do not answer this question." in md
    assert "**Possibly related passages**" in md and md.count("> ") >= 2


def test_conversation_exports():
    fentanyl = "What was agreed about fentanyl?"
    police_day = "¿Qué día se instituyó como Día Nacional del Policía?"
    turns = [{"question": police_day, "answer": answered().to_dict()},
             {"question": fentanyl, "answer": FakeAssistant().ask(fentanyl).to_dict()},
             {"question": "falló", "error": "sin índice"}]
    md = fmt.conversation_markdown(turns, "en")
    assert md.startswith("# Public-security agreements — Conversation\n\nExported: ")
    assert "## 1. Question: ¿Qué día" in md and "## 2. Question: What was agreed about fentanyl?" in md
    assert "## 3. Question: falló" in md and "sin índice" in md
    assert "Agreement 8" in md and "Agreement 11" in md  # the English export cites in English
    assert "Acuerdo Octavo" in fmt.conversation_markdown(turns, "es")
    data = json.loads(fmt.conversation_json(turns))
    assert [t["question"] for t in data["turns"]] == [t["question"] for t in turns]
    assert data["turns"][0]["answer"]["results"][0]["citation"].endswith("Acuerdo Octavo")
    assert data["turns"][2]["error"] == "sin índice"
    assert Answer(**{**data["turns"][0]["answer"], "results": [
        Hit(**h) for h in data["turns"][0]["answer"]["results"]]}) == answered()


# --------------------------------------------------------------------------- issue 14: reading in one language
_TRANSLATION = {"language": "en", "engine": "Apertium", "title": "National day of the Police",
                "text": "The members approve to institute 15 November like the National Day of the Police.",
                "highlight": "The members approve to institute 15 November like the National Day of the Police."}
TRANSLATED = replace(POLICE_DAY, translation=_TRANSLATION)


def test_translation_is_shown_labelled_beside_the_quote_and_only_into_the_page_language():
    answer = Answer("Which day is National Police Day?", f"According to the sources: «{POLICE_DAY.highlight}» [1]",
                    False, "en", [TRANSLATED])
    out = fmt.message_html(answer, "en")
    assert "Machine translation (Apertium), for reading; the quote is the source" in out
    # the answer: the source sentence, then its translation on a muted line of its own
    line = '<span class="acu-tr-line" lang="en"><span class="acu-tr-tag">Machine translation (Apertium):</span> '
    assert out.index(line) > out.index('<span class="acu-ref">[1]</span>')
    assert out.index("«Los integrantes") < out.index(line)
    # the card: the quote stays the source, marked Spanish; the translation is marked English
    assert f'<div class="acu-passage" lang="es"><mark>{fmt.esc(POLICE_DAY.text)}</mark></div>' in out
    assert '<div class="acu-tr" lang="en">' in out and "National day of the Police" in out
    assert fmt.citation_in(POLICE_DAY.citation, "en") in out
    # the Spanish page shows no English translation of a Spanish quote
    assert "acu-tr" not in fmt.message_html(answer, "es")


def test_translation_goes_into_the_markdown_and_json_export_as_its_own_field():
    answer = Answer("Which day?", f"According to the sources: «{POLICE_DAY.highlight}» [1]", False, "en",
                    [TRANSLATED])
    md = fmt.answer_markdown(answer, "en")
    assert "*\\[1\\] Machine translation (Apertium):* The members approve" in md
    assert "*Machine translation (Apertium), for reading; the quote is the source:* National day" in md
    assert "> Los integrantes de la Asamblea Plenaria" in md
    data = json.loads(fmt.conversation_json([{"question": "Which day?", "answer": answer}]))
    hit = data["turns"][0]["answer"]["results"][0]
    assert hit["translation"] == _TRANSLATION and hit["text"] == POLICE_DAY.text
    assert hit["citation"] == POLICE_DAY.citation  # the source's citation, never translated


def test_council_citation_and_sections_in_spanish():
    cite = "Consejo Nacional de Seguridad Pública, 40th session (2016), approved agreement 14 of 17"
    assert fmt.citation_in(cite, "es") == ("Consejo Nacional de Seguridad Pública, 40.ª sesión (2016), "
                                           "acuerdo aprobado 14 de 17")
    assert fmt.citation_in(cite, "en") == cite
    assert fmt.section_text("the president's five measures, First", "es") == "las cinco medidas del presidente, primera"
    assert fmt.section_text("Renato Sales's four points, Third", "es") == "los cuatro puntos de Renato Sales, tercero"
    assert fmt.section_text("something new", "es") == "something new"
    out = fmt.card_html(REPORT, "es")
    assert "40.ª sesión (2016), las cinco medidas del presidente" in out
    assert "Sección: las cinco medidas del presidente" in out and "the president" not in out


def test_frames_and_notices_follow_the_page_language():
    english = Answer("What was agreed?", f"According to the sources: «{POLICE_DAY.highlight}» [1]", False, "en",
                     [POLICE_DAY], message="The question was cut to 2000 characters.")
    out = fmt.message_html(english, "es")
    assert "Según las fuentes: «Los integrantes" in out and "According to" not in out
    assert "La pregunta se recortó a 2000 caracteres." in out
    timeline = "Así evolucionó el tema «Uso de la fuerza», en orden cronológico: 2016-11-24 «x» [1]"
    assert fmt.reframe(timeline, "en") == ("How the subject «Uso de la fuerza» developed, in date order: "
                                           "2016-11-24 «x» [1]")
    held = Answer("¿Cuándo?", f"Las fuentes registran la sesión así: {REPORT.citation} [1]", False, "es",
                  [replace(REPORT, rank=1)])
    text = fmt.answer_text(fmt.as_dict(held), "es")
    assert text.startswith("Las fuentes registran la sesión así: Consejo Nacional de Seguridad Pública, 40.ª sesión")
    assert fmt.reframe(held.answer, "en").startswith("The sources record the session as: ")


def test_timeline_on_the_other_language_page_says_what_was_done_in_its_language():
    members = tuple(replace(m, translation={"language": "en", "engine": "Apertium", "text": "The members approve.",
                                            "title": "", "highlight": ""}) if m.id.startswith("cnssp") else m
                    for m in FORCE_THREAD.members)
    hit = replace(FORCE_HITS[0], thread=replace(FORCE_THREAD, members=members))
    out = fmt.thread_html(hit, "en")
    assert "approved: aprueban" not in out and "took note: toman" not in out
    assert '<div class="acu-tl-note">approved</div>' in out
    assert "The members approve." in out and "Machine translation (Apertium)" in out
    assert "XIX Plenary Assembly" in out
    assert "aprobó: aprueban el Proyecto" in fmt.thread_html(hit, "es")


@pytest.mark.parametrize("p, relevance, abstained, label", [
    (0.9, "low", False, "possible"), (fmt.P_ANSWERS, "", False, "answers"), (0.3, "", False, "related"),
    (0.01, "", False, "possible"), (None, "high", False, "answers"), (None, "medium", False, "related"),
    (None, "low", False, "possible"), (None, "related", True, "possible"), (0.99, "high", True, "related"),
    (None, "", False, "possible"),
])
def test_card_label_reads_the_engine_label_else_p_answer(p, relevance, abstained, label):
    assert fmt.answer_label(replace(POLICE_DAY, p_answer=p, relevance=relevance), abstained) == label


def test_more_on_this_topic_names_the_sessions():
    hits = [fmt.as_dict(replace(FENTANYL, session=s)) for s in ("XVI", "XIX", "XIX")]
    assert fmt.more_on_topic_text(hits, "en") == "3 more agreements on this topic: XVI, XIX"
    assert fmt.more_on_topic_text(hits[:1] + [fmt.as_dict(REPORT)], "es") == (
        "2 pasajes más sobre este tema: XVI, Consejo, 40.ª sesión")


def test_problems_say_what_to_do():
    out = fmt.problem_html({"kind": "filters_exclude", "filters": {"session": ["XX"], "year_max": 2016}}, "en")
    assert "Your filters exclude every passage" in out and 'class="acu-clear-filters">Clear the filters' in out
    assert "Session: XX" in out.replace("Conference session (Plenary Assembly)", "Session")
    places = ["Mérida, Yucatán", "Morelia, Michoacán"]
    out = fmt.problem_html({"kind": "unknown_place", "place": "Tijuana", "places": places}, "es")
    assert "El lugar «Tijuana» no está en el corpus. Elija uno de estos 2:" in out
    assert '<ul class="acu-places"><li>Mérida, Yucatán</li><li>Morelia, Michoacán</li></ul>' in out
    turns = [{"question": "x", "problem": {"kind": "unknown_place", "place": "Tijuana", "places": places}}]
    assert "Mérida, Yucatán; Morelia, Michoacán" in fmt.conversation_markdown(turns, "en")
    assert json.loads(fmt.conversation_json(turns))["turns"][0]["problem"]["place"] == "Tijuana"


def test_long_questions_are_shown_cut_and_links_carry_the_question():
    question = "¿" + "a" * 4999
    assert len(fmt.user_message_html(question)) < fmt.MAX_QUESTION_CHARS + 100
    assert fmt.share_query("¿Qué & <b>?", "en") == "?q=%C2%BFQu%C3%A9+%26+%3Cb%3E%3F&lang=en"
    out = fmt.message_html(answered(), "es")
    assert 'class="acu-copy-link"' in out and '<span class="acu-link" hidden>?q=' in out


# --------------------------------------------------------------------------- why a member is linked
WHY_LINES = [
    ("cites «the decision by members of the Council to» (cnsp40-acuerdo-03)",
     "cites «the decision by members of the Council to» (cnsp40-acuerdo-03)",
     "cita «the decision by members of the Council to» (cnsp40-acuerdo-03)"),
    ("cited by cnssp-xvi-11: «19/XI/16»", "cited by XVI (2016-11-24): «19/XI/16»",
     "citado por XVI (2016-11-24): «19/XI/16»"),
    ("cited by cnssp-xix-14", "cited by this passage", "citado por este pasaje"),
    ("same point of the speech as cnsp40-p002: «Fifth: As regards …»",
     "same point of the speech as XL (2016-08-30): «Fifth: As regards …»",
     "mismo punto del discurso que XL (2016-08-30): «Fifth: As regards …»"),
    ("names «Single Police Certificate» (in its translation) / «Certificado Único Policial», as cnssp-xvii-10 does",
     "names «Single Police Certificate» (in its translation) / «Certificado Único Policial», as cnssp-xvii-10 does",
     "nombra «Single Police Certificate» (en su traducción) / «Certificado Único Policial», como cnssp-xvii-10"),
    ("something the index did not write", "something the index did not write", "something the index did not write"),
    ("", "", ""),
]


@pytest.mark.parametrize("why, english, spanish", WHY_LINES)
def test_why_linked_is_said_in_the_pages_language_with_the_quotes_as_they_are(why, english, spanish):
    members = [m.__dict__ for m in FORCE_THREAD.members]
    member = dict(members[0], why=why)
    assert fmt.why_text(member, members, "cnssp-xix-14", "en") == english
    assert fmt.why_text(member, members, "cnssp-xix-14", "es") == spanish
    out = fmt.why_html(member, members, "cnssp-xix-14", "es")
    assert (out == "") == (why == "")


def test_every_member_of_the_card_says_why_it_is_linked():
    out = fmt.card_html(FORCE_HITS[0], "en")
    items = timeline_items(out)
    assert all(item.count('<span class="acu-tl-why-label">why linked:</span>') == 1 for item in items)
    assert "names «Uso Legítimo de la Fuerza» / «uso de la fuerza», as XVI (2016-11-24) does" in items[2]
    assert "por qué está enlazado:" in fmt.card_html(FORCE_HITS[0], "es")


def test_hit_thread_is_a_record_with_the_same_json_shape():
    data = FORCE_HITS[0].to_dict()["thread"]
    assert list(data) == ["id", "name", "members"] and isinstance(data["members"], list)
    assert list(data["members"][0]) == ["id", "date", "citation", "title", "note", "action", "session", "joined",
                                        "why", "text", "translation"]
    assert ThreadSummary.from_dict(json.loads(json.dumps(data))) == FORCE_THREAD
