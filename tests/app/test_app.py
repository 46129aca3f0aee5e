"""The Blocks built over a fake assistant, checked without starting a server."""
from __future__ import annotations

import json
import os

import gradio as gr
import pytest

from acuerdos.app import server as app_module
from acuerdos.app.feedback import read_feedback
from acuerdos.app.server import build_app, launch_options

POLICE_DAY_ES = "¿Qué día se instituyó como Día Nacional del Policía?"


@pytest.fixture
def demo(fake_assistant):
    blocks = build_app(fake_assistant)
    yield blocks
    blocks.close(verbose=False)


def fn_named(demo, name):
    found = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == name]
    assert found, f"no event handler {name}"
    return found[0]


def test_analytics_off_and_queue_bounded(demo):
    assert os.environ["GRADIO_ANALYTICS_ENABLED"] == "False"
    assert demo.analytics_enabled is False
    assert demo._queue.default_concurrency_limit == app_module.CONCURRENCY
    assert demo._queue.max_size == app_module.QUEUE_MAX


def test_only_ask_is_a_public_endpoint(demo):
    public = {f.api_name for f in demo.fns.values() if f.api_visibility == "public"}
    assert public == {"ask"}
    ask = [f for f in demo.fns.values() if f.api_name == "ask"][0]
    assert ask.concurrency_limit == app_module.CONCURRENCY


def test_a_question_sent_while_an_answer_finishes_is_kept(demo):
    """Enter pressed while the answer before is still pending runs after it instead of being dropped."""
    asks = [f for f in demo.fns.values() if getattr(f.fn, "__name__", "") == "respond"]
    assert len(asks) == 4  # Enter, the send button, an example, a shared link
    assert {f.trigger_mode for f in asks} == {"always_last"}


def test_chatbot_renders_sanitized_html_only(demo):
    chatbot = [b for b in demo.blocks.values() if isinstance(b, gr.Chatbot)][0]
    assert chatbot.sanitize_html is True
    assert chatbot.render_markdown is False  # messages are escaped HTML; Markdown in a question stays text
    assert chatbot.latex_delimiters == []
    assert "share" not in (chatbot.buttons or [])
    assert chatbot.feedback_options == ("Like", "Dislike")
    assert chatbot.autoscroll is False  # the page script shows the top of a new answer instead


def test_tab_title(demo):
    assert demo.title == "Acuerdos — CNSSP / CNSP"
    assert demo.config["title"] == "Acuerdos — CNSSP / CNSP"


def test_launch_options_keep_the_page_offline():
    options = launch_options()
    theme = options["theme"]
    # gradio.themes.Base keeps font stylesheet URLs (Google Fonts) in _stylesheets,
    # local @font-face rules in _font_css
    assert theme._stylesheets == []
    font_css = "\n".join(theme._font_css)
    assert "url('static/fonts/SourceSansPro/SourceSansPro-Regular.woff2')" in font_css
    assert "SemiBold" not in font_css  # gradio's SemiBold files are subsets missing most letters
    assert "http" not in font_css and "googleapis" not in theme._get_theme_css()
    assert options["footer_links"] == ["api"]
    assert options["run_history"] is False and options["mcp_server"] is False


def test_api_ask_accepts_lists_or_json_text(demo, fake_assistant):
    ask = [f for f in demo.fns.values() if f.api_name == "ask"][0].fn
    result = ask(POLICE_DAY_ES)
    assert result["results"][0]["citation"].endswith("Acuerdo Octavo")
    assert json.loads(json.dumps(result)) == result
    ask("What was agreed about fentanyl?", '["¿Y la policía?"]', '{"session": ["XVIII"]}', 3)
    assert fake_assistant.calls[-1] == {"question": "What was agreed about fentanyl?",
                                        "history": ["¿Y la policía?"], "k": 3,
                                        "filters": {"session": ["XVIII"]}}
    ask("q", ["uno", "dos"], {"year_min": 2017})
    assert fake_assistant.calls[-1]["history"] == ["uno", "dos"]
    assert fake_assistant.calls[-1]["filters"] == {"year_min": 2017}
    with pytest.raises(gr.Error):
        ask("q", None, "{not json")


def test_chat_turns_pass_history_and_filters(demo, fake_assistant):
    respond = fn_named(demo, "respond").fn
    steps = list(respond(POLICE_DAY_ES, [], "es", [], [], 2016, 2018, "", None))
    assert len(steps) == 2
    pending_messages, cleared = steps[0][0], steps[0][2]
    assert "Buscando" in pending_messages[-1]["content"] and cleared == ""
    messages, turns, box, md_update, json_update = steps[1]
    assert box == gr.skip()  # what was typed while the answer was computed stays in the box
    assert len(messages) == 2 and "Acuerdo Octavo" in messages[1]["content"]
    assert turns[0]["answer"]["results"][0]["id"] == "cnssp-xx-08"
    assert md_update["value"].endswith(".md") and json_update["value"].endswith(".json")
    with open(md_update["value"], encoding="utf-8") as handle:
        assert "Acuerdo Octavo" in handle.read()
    # a follow-up carries the earlier question, and the sidebar filters
    steps = list(respond("What was agreed about fentanyl?", turns, "en", ["cnssp"], ["XVIII"], 2017, 2018,
                         "Puerto Peñasco", None))
    assert fake_assistant.calls[-1]["history"] == [POLICE_DAY_ES]
    assert fake_assistant.calls[-1]["filters"] == {"source": ["cnssp"], "session": ["XVIII"],
                                                   "year_min": 2017, "place": "Puerto Peñasco"}
    messages, turns = steps[-1][0], steps[-1][1]
    assert len(messages) == 4 and len(turns) == 2
    assert "Active filters: Source: CNSSP agreements" in messages[3]["content"]


def test_evolution_answer_shows_the_thread_and_exports_it(demo):
    respond = fn_named(demo, "respond").fn
    question = "¿Cómo evolucionó el tema de uso de la fuerza?"
    messages, turns, _, md_update, _ = list(respond(question, [], "es", [], [], 2016, 2018, "", None))[-1]
    content = messages[1]["content"]
    assert content.count('class="acu-card"') == 3
    assert "Relacionado en otras sesiones" in content and 'class="acu-timeline"' in content
    assert turns[0]["answer"]["results"][0]["thread"]["name"] == "Protocolo Nacional de Uso de la Fuerza"
    with open(md_update["value"], encoding="utf-8") as handle:
        exported = handle.read()
    assert "*Relacionado en otras sesiones*: «Protocolo Nacional de Uso de la Fuerza»" in exported
    assert "- 2018-06-07 — CNSSP, XIX Asamblea Plenaria" in exported


def test_blank_question_changes_nothing(demo):
    respond = fn_named(demo, "respond").fn
    steps = list(respond("   ", [], "es", [], [], 2016, 2018, "", None))
    assert len(steps) == 1 and all(value == gr.skip() for value in steps[0])


def test_engine_errors_show_in_the_chat(demo, fake_assistant):
    def broken(*args, **kwargs):
        raise RuntimeError("índice <roto>")

    fake_assistant.ask = broken
    respond = fn_named(demo, "respond").fn
    messages, turns = list(respond("hola", [], "es", [], [], 2016, 2018, "", None))[-1][:2]
    assert "No se pudo responder: índice &lt;roto&gt;" in messages[1]["content"]
    assert turns[0]["error"] == "índice <roto>"


def test_like_records_question_ids_and_verdict(demo, fake_assistant):
    respond = fn_named(demo, "respond").fn
    turns = list(respond(POLICE_DAY_ES, [], "es", [], [], 2016, 2018, "", None))[-1][1]
    on_like = fn_named(demo, "on_like").fn
    on_like(turns, "es", gr.LikeData(None, {"index": 1, "value": "…", "liked": True}))
    on_like(turns, "es", gr.LikeData(None, {"index": 1, "value": "…", "liked": False}))
    on_like(turns, "es", gr.LikeData(None, {"index": 1, "value": "…", "liked": ""}))
    on_like(turns, "es", gr.LikeData(None, {"index": 7, "value": "…", "liked": True}))  # no such answer
    records = read_feedback()
    assert [r["verdict"] for r in records] == ["up", "down", "withdrawn"]
    assert records[0]["question"] == POLICE_DAY_ES
    assert records[0]["ids"] == ["cnssp-xx-08", "cnssp-xviii-11", "cnsp40-p006"]
    assert set(records[0]) == {"time", "question", "ids", "verdict"}


def test_language_switch_relabels_and_rerenders(demo):
    respond = fn_named(demo, "respond").fn
    turns = list(respond(POLICE_DAY_ES, [], "es", [], [], 2016, 2018, "", None))[-1][1]
    switch = fn_named(demo, "switch_language").fn
    out = switch("en", turns, [], ["XX"], 2016, 2018, "", None)
    assert out[0].startswith("# Public-security agreements")
    assert out[2]["label"] == "Conversation" and "Sources" in out[2]["value"][1]["content"]
    assert out[3]["placeholder"].startswith("Type your question")
    assert out[4]["value"] == "Ask"
    assert "Active filters: Conference session (Plenary Assembly): XX" in out[7]
    assert out[8]["choices"] == [("CNSSP agreements (2016–2018)", "cnssp"),
                                 ("Council report (40th session, 2016)", "cnsp40")]
    assert out[15]["value"].endswith("acuerdos-conversation.md")


def test_launch_serves_on_loopback_and_prints_the_url(fake_assistant, monkeypatch, capsys):
    from tests.app.conftest import free_port

    seen = {}

    def fake_block_thread(self):  # instead of blocking: check the server, then return
        seen["config"] = self.config
        seen["local_url"] = self.local_url
        seen["share"] = self.share

    monkeypatch.setattr(gr.Blocks, "block_thread", fake_block_thread)
    port = free_port()
    app_module.launch(fake_assistant, port=port)
    assert seen["local_url"] == f"http://127.0.0.1:{port}/"
    assert not seen["share"]
    assert f"http://127.0.0.1:{port}/" in capsys.readouterr().out
    assert seen["config"]["footer_links"] == ["api"]
    assert seen["config"]["analytics_enabled"] is False


def test_the_session_filter_offers_the_sessions_of_the_index():
    from acuerdos.app.server import session_choices
    from tests.app.fakes import HITS

    assert session_choices([]) == ["XV", "XVI", "XVII", "XVIII", "XIX", "XX"]
    assert session_choices(HITS) == ["XVIII", "XX", "XL"]  # the Council's 40th (XL) too: the filter takes it
