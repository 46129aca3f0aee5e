"""Issue 14 in a real headless Chromium, at 1280×900 and at 390×844 (a phone): reading in your language,
one language per page, the phone layout, labels that mean what they say, messages, shared links.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser); saves
docs/screenshot-phone.png under `make screenshots`. The server is the suite's live_server (tests/app/conftest.py).
"""
from __future__ import annotations

import json
import time
from pathlib import Path
from urllib.parse import quote, urlsplit

import pytest

from tests.app.test_browser import TIMEOUT, ask, assert_local_only

pytestmark = pytest.mark.browser

VIEWPORTS = {"desktop": {"width": 1280, "height": 900}, "phone": {"width": 390, "height": 844}}
CYBER_EN = "Did the state security secretaries create a committee on cybersecurity?"
COUNCIL_EN = "Which agreement of the Council approved the Single Police Certificate?"



@pytest.fixture(params=list(VIEWPORTS))
def screen(request):
    return request.param


@pytest.fixture
def open_page(browser, live_server, screen):
    """open_page(query="", locale="es-MX") -> a page at live_server + query, ready for a question."""
    contexts = []

    def opener(query: str = "", locale: str = "es-MX"):
        context = browser.new_context(viewport=VIEWPORTS[screen], locale=locale)
        context.grant_permissions(["clipboard-read", "clipboard-write"], origin=live_server.rstrip("/"))
        contexts.append(context)
        page = context.new_page()
        page.requests, page.errors = [], []
        page.on("request", lambda request: page.requests.append(request.url))
        page.on("pageerror", lambda error: page.errors.append(str(error)))
        page.goto(live_server + query)
        page.wait_for_selector("#acu-question textarea", timeout=TIMEOUT)
        return page

    yield opener
    for context in contexts:
        context.close()


def english(page) -> None:
    page.get_by_label("English").check()
    page.wait_for_function("() => document.querySelector('#acu-send').innerText.trim() === 'Ask'"
                           " && document.documentElement.lang === 'en'", timeout=10_000)


def last_answer(page):
    return page.locator(".acu-answer").last


def thumbs(page, names: set[str]) -> bool:
    """The thumbs' names become `names` (the page script renames them shortly after they are drawn)."""
    page.wait_for_function(
        """names => { const labels = [...document.querySelectorAll('#acu-chat .message-buttons button')]
            .map(b => b.getAttribute('aria-label'));
            return labels.length > 0 && labels.every(l => names.includes(l)); }""", arg=sorted(names),
        timeout=5_000)
    return True


def no_horizontal_scroll(page) -> None:
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), "horizontal scroll"


# --------------------------------------------------------------------------- 1. read in your language
def test_read_in_your_language(open_page, live_server, screen, screenshot_path):
    page = open_page()
    english(page)
    ask(page, CYBER_EN)
    answer = last_answer(page)
    # the answer: the Spanish source sentence, then its English translation on a muted line, labelled
    text = answer.locator(".acu-text")
    assert text.inner_text().startswith("According to the sources: «Los miembros")
    line = text.locator(".acu-tr-line").first
    assert line.is_visible() and line.get_attribute("lang") == "en"
    assert line.inner_text().startswith("Machine translation (Apertium): The members")
    # the card: the quote in Spanish (marked so), its translation labelled, the citation not translated
    card = answer.locator(":scope > .acu-card").first
    assert card.locator(".acu-passage").first.get_attribute("lang") == "es"
    assert "Los miembros" in card.locator(".acu-passage").first.inner_text()
    translated = card.locator(".acu-tr").first
    assert translated.is_visible() and translated.get_attribute("lang") == "en"
    assert ("Machine translation (Apertium), for reading; the quote is the source"
            in translated.locator(".acu-tr-label").inner_text())
    assert translated.locator("mark").count() == 1  # the highlighted sentence's translation lines up with it
    if screen == "phone":  # docs/screenshot-phone.png: the top of the page, the answer and its translation
        page.evaluate("window.scrollTo(0, 0)")
        page.mouse.move(0, 0)
        time.sleep(0.3)
        picture = screenshot_path("screenshot-phone.png")
        page.screenshot(path=str(picture))
        assert picture.stat().st_size > 10_000
    # the exports carry it: Markdown under the quote, JSON as its own field, never in text
    with page.expect_download() as download:
        page.locator("#acu-dl-md").click()
    markdown = Path(download.value.path()).read_text(encoding="utf-8")
    assert "Machine translation (Apertium)" in markdown and "> Los miembros" in markdown
    with page.expect_download() as download:
        page.locator("#acu-dl-json").click()
    hit = json.loads(Path(download.value.path()).read_text(encoding="utf-8"))["turns"][0]["answer"]["results"][0]
    assert hit["translation"]["language"] == "en" and hit["translation"]["engine"] == "Apertium"
    assert hit["text"].startswith("Los miembros") and hit["translation"]["text"] not in hit["text"]
    assert "Asamblea Plenaria" in hit["citation"]  # the source's citation
    # the Spanish page shows no translation of a Spanish quote
    page.get_by_label("Español").check()
    page.wait_for_function("() => document.documentElement.lang === 'es'", timeout=10_000)
    page.wait_for_function("() => !document.querySelector('#acu-chat [lang=en].acu-tr, #acu-chat .acu-tr-line')",
                           timeout=10_000)
    assert not page.errors, page.errors
    assert_local_only(page, live_server)


# --------------------------------------------------------------------------- 2. one language per page
def test_one_language_per_page(open_page, live_server, screen):
    page = open_page(locale="en-US")  # the browser's language is not the page's
    page.wait_for_function("() => document.documentElement.lang === 'es'", timeout=5_000)
    ask(page, COUNCIL_EN)
    answer = last_answer(page)
    assert answer.locator(".acu-text").inner_text().startswith("Según las fuentes:")
    assert answer.locator(".acu-section-title").first.inner_text().strip().lower() == "fuentes"
    cites = answer.locator(".acu-cite").all_text_contents()
    council = [c for c in cites if c.startswith("Consejo Nacional de Seguridad Pública")]
    assert council and all("40.ª sesión (2016)" in c and "session" not in c for c in council), cites
    assert any("acuerdo aprobado" in c and " de 17" in c for c in council), council
    for section in answer.locator(".acu-title").all_text_contents():
        assert "approved agreements" not in section and "highlights" not in section
    assert thumbs(page, {"Me gusta", "No me gusta"})
    # the same conversation on the English page: English labels, frames, citations, timeline verbs
    english(page)
    page.wait_for_function("() => document.querySelector('.acu-answer .acu-text').innerText"
                           ".startsWith('According to the sources:')", timeout=10_000)
    assert thumbs(page, {"Like", "Dislike"})
    ask(page, "How did the subject of the use of force evolve?")
    answer = last_answer(page)
    assert answer.locator(".acu-text").inner_text().startswith("How the subject «")
    cites = answer.locator(".acu-card-head .acu-cite").all_text_contents()
    assert cites and not any("Asamblea Plenaria" in c or "Acuerdo " in c for c in cites), cites
    notes = answer.locator(".acu-tl-note").all_text_contents()
    assert notes and not any(n.split(":")[0] in ("approved", "took note", "agreed") and ":" in n
                             and any(w in n for w in ("aprueban", "toman", "acuerdan")) for n in notes), notes
    assert not page.errors, page.errors
    assert_local_only(page, live_server)


# --------------------------------------------------------------------------- 3. phone and small screens
def test_layout_opens_at_the_top_without_overlap(open_page, live_server, screen):
    page = open_page()
    time.sleep(0.5)
    assert page.evaluate("window.scrollY") == 0
    no_horizontal_scroll(page)
    width = VIEWPORTS[screen]["width"]
    title = page.locator("#acu-title h1").bounding_box()
    language = page.locator("#acu-lang").bounding_box()
    assert language["height"] < 130, language
    assert title["height"] < 80, title  # one or two lines, not a syllable per line
    if screen == "phone":
        assert title["width"] > 0.8 * width and language["width"] > 0.8 * width
        assert language["y"] >= title["y"] + title["height"]
    ask(page, "¿Qué se acordó sobre el fentanilo?")
    ask(page, CYBER_EN)
    no_horizontal_scroll(page)
    chat = page.locator("#acu-chat")
    nested = chat.evaluate("""chat => [...chat.querySelectorAll('*')].filter(el => {
        const style = getComputedStyle(el).overflowY;
        return (style === 'auto' || style === 'scroll') && el.scrollHeight > el.clientHeight + 2;
    }).length""")
    if screen == "phone":
        assert nested == 0  # the chat grows with the page
        box = chat.bounding_box()
        assert box["height"] > 844
    assert page.locator("#acu-chat [data-testid=block-label]").count() == 0  # no floating label to overlap
    # the question's row is not covered by anything: the element at its centre is inside it
    question = page.locator(".acu-question").last
    question.scroll_into_view_if_needed()
    assert question.evaluate("""q => { const r = q.getBoundingClientRect();
        const hit = document.elementFromPoint(r.left + r.width / 2, r.top + r.height / 2);
        return !!hit && (q.contains(hit) || hit.contains(q)); }""")
    assert not page.errors, page.errors
    assert_local_only(page, live_server)


# --------------------------------------------------------------------------- 4. labels that mean what they say
def test_labels_and_more_on_this_topic(open_page, live_server, screen):
    page = open_page()
    english(page)
    ask(page, "What was agreed about the single police report (Informe Policial Homologado)?")
    answer = last_answer(page)
    allowed = {"answers your question", "related", "possibly related"}
    labels = answer.locator(".acu-rel").all_text_contents()
    assert labels and set(labels) <= allowed, labels
    topic = answer.locator("details.acu-topic")
    if topic.count():
        summary = open_topic(topic)
        assert " more agreement" in summary or " more passage" in summary
        count = int(summary.split()[0])
        assert topic.locator(":scope > .acu-card").count() == count
    # an answer that abstains never says a card answers
    ask(page, "How much does an ice cream cost in Paris?")
    answer = last_answer(page)
    assert answer.locator(".acu-abstain").count() >= 1
    assert "answers your question" not in answer.locator(".acu-rel").all_text_contents()
    assert_local_only(page, live_server)


def test_more_agreements_on_the_topic_are_counted(open_page, live_server, screen):
    """A question that several agreements deal with: the answer quotes some and counts the rest."""
    page = open_page()
    english(page)
    ask(page, "What was agreed about the 911 emergency number?")
    answer = last_answer(page)
    topic = answer.locator("details.acu-topic")
    assert topic.count() == 1, answer.inner_text()
    open_topic(topic)
    assert_local_only(page, live_server)


def open_topic(topic) -> str:
    """Open a "more on this topic" list, closed at first, with one click: its summary line."""
    summary = topic.locator(":scope > summary").inner_text()
    assert " on this topic: " in summary
    assert not topic.locator(".acu-card").first.is_visible()
    topic.locator(":scope > summary").click()
    topic.locator(".acu-card").first.wait_for(state="visible", timeout=5_000)
    return summary


# --------------------------------------------------------------------------- 5. messages
def test_filters_that_exclude_everything_and_unknown_places(open_page, live_server, screen):
    page = open_page()
    english(page)
    page.get_by_label("XX", exact=True).check()
    page.locator("#acu-f-ymax input").click()
    page.get_by_role("option", name="2016").click()
    page.wait_for_function("() => document.querySelector('#acu-active').innerText.includes('2016')",
                           timeout=10_000)
    ask(page, "What was agreed about fentanyl?")
    answer = last_answer(page)
    assert "Your filters exclude every passage" in answer.inner_text()
    assert "no passage is related" not in answer.inner_text()
    answer.locator("button.acu-clear-filters").click()
    page.wait_for_function("() => document.querySelector('#acu-active').innerText.includes('none')",
                           timeout=10_000)
    # a place the corpus does not have: the valid ones, one a line
    page.locator("#acu-f-place input").fill("Tijuana")
    page.locator("#acu-f-place input").press("Enter")
    page.wait_for_function("() => document.querySelector('#acu-active').innerText.includes('Tijuana')",
                           timeout=10_000)
    ask(page, "What was agreed about fentanyl?")
    answer = last_answer(page)
    assert "The place «Tijuana» is not in the corpus" in answer.inner_text()
    places = answer.locator("ul.acu-places li").all_text_contents()
    assert len(places) >= 6 and "Mérida, Yucatán" in places and all("," in p for p in places), places
    assert_local_only(page, live_server)


def test_question_box_counter_and_focus_ring(open_page, live_server, screen):
    page = open_page()
    box = page.locator("#acu-question textarea")
    assert box.get_attribute("maxlength") == "2000"
    box.fill("")
    box.type("abc")
    # Gradio may redraw the counter after the keys; the page script recounts it on its next tidy
    page.wait_for_function("() => document.getElementById('acu-count').innerText.startsWith('3 / 2000')",
                           timeout=5_000)
    box.fill("x" * 5000)
    assert len(box.input_value()) == 2000
    page.wait_for_function("() => document.getElementById('acu-count').innerText.startsWith('2000 / 2000')",
                           timeout=5_000)
    box.fill("")
    box.focus()
    page.keyboard.press("Tab")  # to the Ask button, by keyboard: the ring shows
    assert page.evaluate("document.activeElement.id") == "acu-send"
    ring = page.evaluate("""() => { const s = getComputedStyle(document.activeElement);
        return [s.outlineStyle, parseFloat(s.outlineWidth)]; }""")
    assert ring[0] != "none" and ring[1] >= 2, ring
    assert_local_only(page, live_server)


def test_a_long_question_is_shown_cut(open_page, live_server, screen):
    page = open_page()
    page.evaluate("""() => { const box = document.querySelector('#acu-question textarea');
        box.removeAttribute('maxlength'); }""")
    ask(page, "¿Qué se acordó sobre el fentanilo? " + "muy " * 1250)
    shown = page.locator(".acu-question").last.inner_text()
    assert len(shown) <= 2002
    no_horizontal_scroll(page)


# --------------------------------------------------------------------------- 6. share a question
def test_a_link_opens_the_page_and_asks(open_page, live_server, screen):
    page = open_page("?q=" + quote(CYBER_EN) + "&lang=en")
    page.wait_for_function("() => document.querySelectorAll('.acu-answer .acu-card').length > 0"
                           " && !document.querySelector('.acu-pending')", timeout=TIMEOUT)
    # the page script sets <html lang> on its next tidy, a moment after the relabelling
    page.wait_for_function("() => document.documentElement.lang === 'en'", timeout=5_000)
    assert page.locator(".acu-question").last.inner_text().strip() == CYBER_EN
    assert page.locator("#acu-send").inner_text().strip() == "Ask"
    # copy link to this answer, then open it: the same question is asked again
    last_answer(page).locator("button.acu-copy-link").click()
    page.wait_for_function("() => (window.__acuerdosCopied || '').includes('?q=')", timeout=5_000)
    link = page.evaluate("navigator.clipboard.readText()")
    assert urlsplit(link).netloc == urlsplit(live_server).netloc and "lang=en" in link
    again = open_page(link.removeprefix(live_server.rstrip("/") + "/"))
    again.wait_for_function("() => document.querySelectorAll('.acu-answer .acu-card').length > 0",
                            timeout=TIMEOUT)
    assert again.locator(".acu-question").last.inner_text().strip() == CYBER_EN
    assert_local_only(page, live_server)


def test_a_hostile_or_huge_link_is_typed_input(open_page, live_server, screen):
    payload = '<img src=x onerror="window.__xss=1"><script>window.__xss=2</script>'
    page = open_page("?q=" + quote(payload + " fentanilo " + "a" * 5000) + "&lang=xx")
    page.wait_for_function("() => document.querySelectorAll('.acu-answer').length > 0"
                           " && !document.querySelector('.acu-pending')", timeout=TIMEOUT)
    time.sleep(0.3)
    assert page.evaluate("window.__xss") is None
    question = page.locator(".acu-question").last
    assert question.inner_text().startswith(payload)
    assert len(question.inner_text()) <= 2000
    assert question.locator("img, script").count() == 0
    assert page.evaluate("document.documentElement.lang") == "es"  # an unknown lang is ignored
    assert_local_only(page, live_server)
