"""The chat in a real headless Chromium: ask, see cited cards, copy, like, export, no XSS, nothing off-host.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser); saves docs/screenshot.png under
`make screenshots`.
"""
from __future__ import annotations

import time
from pathlib import Path
from urllib.parse import urlsplit

import pytest

from acuerdos.app.feedback import read_feedback

pytestmark = pytest.mark.browser

TIMEOUT = 60_000  # ms; an answer takes about a second on two cores
# an English question answered from a Spanish agreement that has a thread across sessions
SCREENSHOT_QUESTION = "What did the secretaries agree about the legitimate use of force?"



@pytest.fixture
def page(browser, live_server):
    origin = live_server.rstrip("/")
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX")
    context.grant_permissions(["clipboard-read", "clipboard-write"], origin=origin)
    page = context.new_page()
    page.requests = []  # every URL the page asks for, websockets included
    page.on("request", lambda request: page.requests.append(request.url))
    page.on("websocket", lambda socket: page.requests.append(socket.url))
    page.errors = []
    page.on("pageerror", lambda error: page.errors.append(str(error)))
    page.goto(live_server)
    page.wait_for_selector("#acu-question textarea", timeout=TIMEOUT)
    yield page
    context.close()


def ask(page, question: str) -> None:
    before = page.locator(".acu-answer:not(:has(.acu-pending))").count()
    page.fill("#acu-question textarea", question)
    page.keyboard.press("Enter")
    page.wait_for_function(
        "n => document.querySelectorAll('.acu-answer').length > n"
        " && !document.querySelector('.acu-pending')", arg=before, timeout=TIMEOUT)


def assert_local_only(page, live_server) -> None:
    host = urlsplit(live_server).netloc
    assert page.requests, "no request recorded"
    outside = sorted({url for url in page.requests
                      if urlsplit(url).scheme not in ("data", "blob") and urlsplit(url).netloc != host})
    assert not outside, f"requests left {host}: {outside}"
    assert all(urlsplit(url).hostname == "127.0.0.1" for url in page.requests if urlsplit(url).hostname)


def question_offset(page) -> tuple[float, float]:
    """How far (px) the last question is below the top of the chat's scrolled viewport, and that
    viewport's scrollTop."""
    return page.evaluate("""() => {
        const questions = document.querySelectorAll('#acu-chat .acu-question');
        const last = questions[questions.length - 1];
        let box = last.parentElement;
        while (box && !(['auto', 'scroll'].includes(getComputedStyle(box).overflowY)
                        && box.scrollHeight > box.clientHeight + 2)) box = box.parentElement;
        if (!box) return [last.getBoundingClientRect().top, 0];
        return [last.getBoundingClientRect().top - box.getBoundingClientRect().top, box.scrollTop];
    }""")


def test_answer_with_cards_copy_like_timeline_and_export(page, live_server):
    assert page.title() == "Acuerdos — CNSSP / CNSP"
    started = time.perf_counter()
    ask(page, "¿Qué día se instituyó como Día Nacional del Policía?")
    answer_seconds = time.perf_counter() - started
    card = page.locator(".acu-answer").last.locator(".acu-card").first
    card.wait_for(state="visible")
    citation = card.locator(".acu-cite").inner_text()
    assert "XX Asamblea Plenaria" in citation and "Acuerdo Octavo" in citation
    assert "Día Nacional del Policía" in card.locator(".acu-title").inner_text()
    assert card.locator("mark").count() >= 1 and card.locator("mark").first.is_visible()
    assert page.locator(".acu-answer").last.locator(".acu-ref").first.inner_text() == "[1]"

    # one-click copy of the citation
    card.locator("button.acu-copy").click()
    page.wait_for_function("() => window.__acuerdosCopied !== undefined", timeout=5_000)
    copied = page.evaluate("navigator.clipboard.readText()")
    assert "Acuerdo Octavo" in copied and "Día Nacional del Policía" in copied

    # copy the whole answer as Markdown
    page.locator(".acu-answer").last.locator("button.acu-copy-md").click()
    page.wait_for_function("() => (window.__acuerdosCopied || '').startsWith('### ')", timeout=5_000)
    markdown = page.evaluate("navigator.clipboard.readText()")
    assert markdown.startswith("### Pregunta:") and "Acuerdo Octavo" in markdown

    # a new conversation, then an English question about a Spanish agreement
    page.locator("#acu-new").click()
    page.wait_for_function("() => document.querySelectorAll('.acu-answer').length === 0", timeout=10_000)
    ask(page, "What was agreed about fentanyl?")
    last = page.locator(".acu-answer").last
    assert "XVIII Asamblea Plenaria" in last.locator(":scope > .acu-card .acu-cite").first.inner_text()

    # a follow-up from the examples: how a subject evolved, answered with its thread in date order
    example = "¿Cómo evolucionó el tema de uso de la fuerza?"
    page.locator("#acu-examples").get_by_text(example).click()
    page.wait_for_function("() => document.querySelectorAll('.acu-answer .acu-card').length > 0"
                           " && !document.querySelector('.acu-pending')", timeout=TIMEOUT)
    page.wait_for_function("() => document.querySelectorAll('.acu-answer').length === 2", timeout=TIMEOUT)
    assert page.locator(".acu-question").last.inner_text().strip() == example
    last = page.locator(".acu-answer").last
    assert last.locator(".acu-text").inner_text().startswith("Así evolucionó el tema «")
    cited = last.locator(":scope > .acu-card")
    assert cited.count() >= 2
    shown_ids = [card.get_attribute("id").removeprefix("acu-hit-")
                 for card in last.locator(".acu-card").all()]

    # the long answer is shown from its top (not scrolled to its end): its question is at the top of the chat
    time.sleep(0.8)  # past the page script's placing of the new answer
    offset, scrolled = question_offset(page)
    assert scrolled > 0 and 0 <= offset < 80, (offset, scrolled)

    # under the first card, its thread as a timeline, the card's own passage marked
    thread = cited.first.locator(".acu-thread")
    thread.scroll_into_view_if_needed()
    assert thread.is_visible()
    assert "Relacionado en otras sesiones" in thread.locator(".acu-thread-head").inner_text()
    entries = thread.locator("li.acu-tl-item")
    assert entries.count() >= 2
    assert thread.locator("li.acu-tl-current").count() == 1
    assert "(este pasaje)" in thread.locator("li.acu-tl-current summary").inner_text()
    # clicking an entry opens it: the member's citation, what it did, its whole text
    entry = entries.nth(entries.count() - 1)
    body = entry.locator(".acu-tl-body")
    assert not body.is_visible()
    entry.locator("summary").click()
    body.wait_for(state="visible", timeout=5_000)
    member_citation = entry.locator(".acu-tl-cite").inner_text()
    assert "Asamblea Plenaria" in member_citation and "Acuerdo" in member_citation
    assert entry.locator(".acu-tl-note").inner_text().split(":")[0] in (
        "aprobó", "acordó", "tomó conocimiento", "solicitó", "instruyó", "se comprometió", "agradeció")
    assert entry.locator(".acu-tl-text").is_visible()

    # thumbs up on the answer is stored locally: the question, the ids shown, the verdict
    # (gradio labels the thumbs in the browser's language: locale es-MX here)
    page.locator(".message-buttons button:is([aria-label='Me gusta'], [aria-label='Like'])").last.click()
    deadline = time.time() + 10
    while not read_feedback() and time.time() < deadline:
        time.sleep(0.1)
    records = read_feedback()
    assert len(records) == 1 and records[0]["verdict"] == "up"
    assert records[0]["question"] == example
    assert records[0]["ids"] == shown_ids

    # the conversation downloads as Markdown, with its citations and the thread, one line per member
    with page.expect_download() as download:
        page.locator("#acu-dl-md").click()
    exported = Path(download.value.path()).read_text(encoding="utf-8")
    assert download.value.suggested_filename == "acuerdos-conversacion.md"
    assert f"## 2. Pregunta: {example}" in exported
    assert cited.first.locator(".acu-cite").inner_text() in exported
    assert "*Relacionado en otras sesiones*: «" in exported
    assert f"— {member_citation}" in exported
    assert not page.errors, page.errors
    assert_local_only(page, live_server)
    print(f"\nfirst answer in the browser: {answer_seconds:.1f} s")


def test_screenshot_english_question_spanish_card_with_timeline(page, live_server, screenshot_path):
    """docs/screenshot.png: an English question, answered from a Spanish agreement, its thread below."""
    page.get_by_label("English").check()
    page.wait_for_function("() => document.querySelector('#acu-send').innerText.trim() === 'Ask'",
                           timeout=10_000)
    ask(page, SCREENSHOT_QUESTION)
    last = page.locator(".acu-answer").last
    card = last.locator(":scope > .acu-card").first
    assert "Plenary Assembly" in card.locator(".acu-cite").inner_text()  # a Spanish agreement, cited in English
    assert card.locator(".acu-tr").first.is_visible()  # and its machine translation, labelled
    thread = card.locator(".acu-thread")
    assert "Related across sessions" in thread.locator(".acu-thread-head").inner_text()
    # open the entry of the other session, to show what a timeline entry holds
    other = thread.locator("li.acu-tl-item:not(.acu-tl-current)").first
    other.locator("summary").click()
    other.locator(".acu-tl-cite").wait_for(state="visible", timeout=5_000)
    time.sleep(0.8)  # past the page script's placing of the new answer
    page.evaluate("window.scrollTo(0, 0)")
    page.mouse.move(0, 0)
    time.sleep(0.3)
    assert thread.is_visible() and thread.bounding_box()["y"] + 40 < 900  # in the picture
    picture = screenshot_path("screenshot.png")
    page.screenshot(path=str(picture))
    assert picture.stat().st_size > 10_000
    assert not page.errors, page.errors
    assert_local_only(page, live_server)


def test_injected_markup_is_shown_as_text_and_runs_nothing(page, live_server):
    payload = ('<img src=x onerror="window.__xss=1"> <script>window.__xss=2</script> '
               "[enlace](http://evil.example)")
    ask(page, payload)
    time.sleep(0.5)
    assert page.evaluate("window.__xss") is None
    question = page.locator(".acu-question").last
    assert question.inner_text().strip() == payload
    assert question.locator("img, script, a").count() == 0
    assert page.locator("#acu-chat img").count() == 0
    assert_local_only(page, live_server)


def test_language_switch_relabels_the_page(page, live_server):
    page.get_by_label("English").check()
    page.wait_for_function("() => document.querySelector('#acu-send').innerText.trim() === 'Ask'",
                           timeout=10_000)
    assert "Public-security agreements" in page.locator("#acu-title").inner_text()
    placeholder = page.locator("#acu-question textarea").get_attribute("placeholder")
    assert placeholder.startswith("Type your question")
    assert "Active filters" in page.locator("#acu-active").inner_text()
    page.get_by_label("XIX").check()
    page.wait_for_function("() => document.querySelector('#acu-active').innerText.includes('XIX')",
                           timeout=10_000)
    ask(page, "What did the assembly agree about crypto-assets?")
    last = page.locator(".acu-answer").last
    cites = last.locator(".acu-card .acu-cite").all_text_contents()  # folded cards included
    assert cites and all("XIX Plenary Assembly" in c for c in cites), cites  # cited in the page's language
    assert "Active filters" in last.locator(".acu-filters-used").inner_text()
    assert_local_only(page, live_server)


def test_text_typed_while_an_answer_is_computed_is_kept(page):
    """The box empties when the question moves to the chat; the next question, typed while the answer
    is computed, is still in the box when the answer arrives."""
    page.evaluate("""() => new MutationObserver((changes, observer) => {
        if (!document.querySelector('.acu-pending')) return;
        observer.disconnect();
        const box = document.querySelector('#acu-question textarea');
        box.value = 'and in 2018?';
        box.dispatchEvent(new Event('input', {bubbles: true}));
        window.typedWhilePending = true;
    }).observe(document.body, {childList: true, subtree: true})""")
    ask(page, "¿Qué se acordó sobre el fentanilo?")
    time.sleep(0.5)
    assert page.evaluate("window.typedWhilePending") is True
    assert page.input_value("#acu-question textarea") == "and in 2018?"
