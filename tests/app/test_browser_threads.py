"""Issue 16 in a real headless Chromium: under a card, every member of its thread says why it is linked,
in the page's language, quoting the shared reference or name.

Uses Debian's /usr/bin/chromium through Playwright (never a downloaded browser); the server is the suite's
live_server (tests/app/conftest.py) over the real index.
"""
from __future__ import annotations

import re
from urllib.parse import quote

import pytest

from tests.app.test_browser import TIMEOUT, assert_local_only

pytestmark = pytest.mark.browser

QUESTIONS = {
    "es": ("¿Qué se aprobó sobre el protocolo de uso de la fuerza en la XIX?", "por qué está enlazado:"),
    "en": ("What did the XIX plenary approve about the use of force protocol?", "why linked:"),
}
# the other member, as the line names it: "XX (2018-11-15)", this passage, or a passage id
OTHER = r"(?:[XLVI]+ \(\d{4}-\d\d-\d\d\)|este pasaje|this passage|cnsp\w*-[\w-]+)"



@pytest.mark.parametrize("lang", list(QUESTIONS))
def test_why_linked_line_under_each_member_of_a_cards_thread(browser, live_server, lang):
    question, label = QUESTIONS[lang]
    context = browser.new_context(viewport={"width": 1280, "height": 900}, locale="es-MX")
    try:
        page = context.new_page()
        page.requests = []
        page.on("request", lambda request: page.requests.append(request.url))
        page.goto(live_server + "?q=" + quote(question) + "&lang=" + lang)
        page.wait_for_function("() => document.querySelectorAll('.acu-answer .acu-card .acu-thread').length > 0"
                               " && !document.querySelector('.acu-pending')", timeout=TIMEOUT)
        card = page.locator(".acu-answer").last.locator(".acu-card:has(.acu-thread)").first
        thread = card.locator(".acu-thread").first
        thread.scroll_into_view_if_needed()
        if thread.evaluate("e => e.tagName") == "DETAILS":
            thread.locator(":scope > summary").click()
        members = thread.locator("li.acu-tl-item")
        assert members.count() >= 2
        for n in range(members.count()):
            member = members.nth(n)
            why = member.locator(".acu-tl-why")
            assert why.count() == 1
            why.scroll_into_view_if_needed()
            assert why.is_visible()  # under the member's line, without opening it
            text = why.inner_text().strip()
            assert text.startswith(label), text
            assert re.search(r"«[^»]+»", text) or re.search(r"(cited by|citado por) " + OTHER + "$", text), text
            assert re.search(OTHER, text), text
            # under the member's date · session · title line, not beside it
            line = member.locator("summary .acu-tl-date").bounding_box()
            assert why.bounding_box()["y"] >= line["y"] + line["height"] - 1
        assert page.evaluate("document.documentElement.lang") == lang
        assert_local_only(page, live_server)
    finally:
        context.close()
