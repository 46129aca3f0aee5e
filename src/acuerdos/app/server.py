"""The web chat: a Gradio 6 app over the Assistant, served on loopback, with nothing loaded from the internet.

``build_app(assistant)`` returns the Blocks; ``launch()`` serves it. The page uses only files served by
this process (the default theme's fonts are bundled with Gradio and served locally), analytics are
off, share links are off unless asked for, and every text from the person or the corpus reaches the
browser HTML-escaped (see ``app_format``). Besides the chat, the app exposes one API endpoint,
``/ask``: ``gradio_client.Client(url).predict("¿…?", api_name="/ask")`` returns ``Answer.to_dict()``.
"""
from __future__ import annotations

import os

# Before gradio is imported: no telemetry, no version check, no Hugging Face Hub calls.
os.environ["GRADIO_ANALYTICS_ENABLED"] = "False"
os.environ.setdefault("GRADIO_ANALYTICS_MAX_EVENTS", "1000")  # Gradio keeps them in memory
os.environ.setdefault("HF_HUB_DISABLE_TELEMETRY", "1")

import json  # noqa: E402
import logging  # noqa: E402
import re  # noqa: E402
import shutil  # noqa: E402
import tempfile  # noqa: E402
from pathlib import Path  # noqa: E402
from typing import Any  # noqa: E402

import gradio as gr  # noqa: E402

from acuerdos.app import format as fmt  # noqa: E402
from acuerdos.app.feedback import record_feedback  # noqa: E402
from acuerdos.corpus.spanish import fold  # noqa: E402
from acuerdos.errors import AcuerdosError  # noqa: E402
from acuerdos.search.filters import parse_filters  # noqa: E402

log = logging.getLogger(__name__)

CONCURRENCY = 2  # the machine has two cores; the engine is thread-safe for reads
QUEUE_MAX = 64  # waiting requests beyond this are refused instead of piling up
DEFAULT_K = 5
DEFAULT_LANGUAGE = "es"
STATIC_DIR = Path(__file__).parent / "static"
TITLE = "Acuerdos — CNSSP / CNSP"  # the browser tab

CSS = """
#acu-header h1 { margin-bottom: 0.2rem; }
#acu-header p { margin-top: 0; color: var(--body-text-color-subdued); }
.acu-answer { display: flex; flex-direction: column; gap: 0.55rem; }
.acu-text { font-size: 1.02rem; line-height: 1.5; }
.acu-ref { font-weight: 600; color: var(--color-accent); white-space: nowrap; }
.acu-notice { font-size: 0.9rem; padding: 0.35rem 0.6rem; border-radius: 6px;
  background: var(--background-fill-secondary); border-left: 3px solid var(--color-accent); }
.acu-abstain { font-weight: 600; padding: 0.45rem 0.7rem; border-radius: 6px;
  background: var(--background-fill-secondary); border-left: 3px solid #b45309; }
.acu-error { color: #b91c1c; font-weight: 600; }
.acu-pending { color: var(--body-text-color-subdued); font-style: italic; }
.acu-section-title { font-weight: 600; font-size: 0.85rem; text-transform: uppercase; letter-spacing: 0.04em;
  color: var(--body-text-color-subdued); margin-top: 0.2rem; }
.acu-card { border: 1px solid var(--border-color-primary); border-radius: 8px; padding: 0.55rem 0.75rem;
  background: var(--background-fill-primary); }
.acu-card-head { display: flex; flex-wrap: wrap; align-items: baseline; gap: 0.4rem 0.6rem; }
.acu-num { font-weight: 700; color: var(--color-accent); }
.acu-cite { font-weight: 600; flex: 1 1 16rem; }
.acu-rel { font-size: 0.75rem; padding: 0.05rem 0.45rem; border-radius: 999px; white-space: nowrap;
  border: 1px solid var(--border-color-primary); }
.acu-rel-answers { background: #dcfce7; color: #14532d; border-color: #86efac; }
.acu-rel-related { background: #fef9c3; color: #713f12; border-color: #fde047; }
.acu-rel-possible { background: #f3f4f6; color: #374151; }
.acu-tr { margin-top: 0.3rem; padding: 0.3rem 0.55rem; border-left: 3px solid var(--border-color-primary);
  color: var(--body-text-color-subdued); font-size: 0.92rem; line-height: 1.45; }
.acu-tr-label, .acu-tr-tag { font-size: 0.75rem; font-style: normal; font-weight: 600; letter-spacing: 0.02em;
  color: var(--body-text-color-subdued); }
.acu-tr-title { font-style: italic; }
.acu-tr mark { background: transparent; color: inherit; box-shadow: inset 0 -2px 0 #fcd34d; }
.acu-tr-line { display: block; margin: 0.1rem 0 0.35rem; color: var(--body-text-color-subdued);
  font-size: 0.92rem; }
.acu-topic summary { cursor: pointer; color: var(--color-accent); font-weight: 600; font-size: 0.92rem;
  margin-top: 0.25rem; }
.acu-topic .acu-card { margin-top: 0.4rem; }
ul.acu-places { columns: 2 14rem; margin: 0.2rem 0 0 1.1rem !important; padding: 0 !important; }
ul.acu-places li { margin: 0 !important; }
#acu-count { font-size: 0.78rem; color: var(--body-text-color-subdued); text-align: right; min-height: 1em; }
#acu-count.acu-full { color: #b91c1c; font-weight: 600; }
#acu-send:focus-visible, #acu-question textarea:focus-visible, .acu-answer button:focus-visible,
#acu-side button:focus-visible, #acu-lang input:focus-visible + span {
  outline: 3px solid #0f766e !important; outline-offset: 2px; box-shadow: 0 0 0 5px #99f6e4 !important; }
/* a phone: the title takes the full width, the language switch is one compact row, the chat grows with the
   page (no scroll box inside the scrolling page) */
@media (max-width: 640px) {
  #acu-header { flex-direction: column; align-items: stretch; gap: 0.3rem; }
  #acu-header > * { width: 100% !important; min-width: 0 !important; flex: 0 0 auto !important; }
  #acu-title h1 { font-size: 1.55rem; overflow-wrap: normal; word-break: normal; hyphens: none; }
  #acu-lang { padding: 0.3rem 0.5rem !important; }
  #acu-lang .wrap { flex-wrap: nowrap; gap: 0.4rem; }
  #acu-chat { height: auto !important; max-height: none !important; overflow: visible !important; }
  #acu-chat .panel-wrap, #acu-chat .bubble-wrap { height: auto !important; max-height: none !important;
    overflow: visible !important; }
  .acu-cite { flex-basis: 100%; }
}
.acu-title { font-style: italic; margin-top: 0.15rem; }
.acu-passage { margin-top: 0.3rem; line-height: 1.5; }
.acu-passage mark, .acu-preview mark { background: #fef3c7; color: #1f2937; padding: 0 0.1rem;
  border-radius: 2px; box-shadow: inset 0 -2px 0 #f59e0b; }
.acu-more summary, .acu-others summary { cursor: pointer; color: var(--body-text-color-subdued);
  font-size: 0.9rem; margin-top: 0.25rem; }
.acu-others .acu-card { margin-top: 0.4rem; }
.acu-filters-used { font-size: 0.8rem; color: var(--body-text-color-subdued); }
.acu-actions { display: flex; flex-wrap: wrap; justify-content: flex-end; align-items: center; gap: 0.4rem; }
button.acu-copy, button.acu-copy-md, button.acu-copy-link, button.acu-clear-filters {
  font-size: 0.75rem; padding: 0.1rem 0.5rem; border-radius: 6px;
  cursor: pointer; border: 1px solid var(--border-color-primary);
  background: var(--background-fill-secondary); color: var(--body-text-color); }
button.acu-copy:hover, button.acu-copy-md:hover, button.acu-copy-link:hover, button.acu-clear-filters:hover {
  border-color: var(--color-accent); }
.acu-active { font-size: 0.9rem; padding: 0.4rem 0.6rem; border-radius: 6px;
  background: var(--background-fill-secondary); }
.acu-question { white-space: normal; }
.acu-answer .acu-md, .acu-answer .acu-copytext, .acu-answer [hidden] { display: none !important; }
.acu-thread { margin-top: 0.45rem; font-size: 0.82rem; line-height: 1.35; }
.acu-thread-head { font-weight: 600; color: var(--body-text-color-subdued); }
summary.acu-thread-head { cursor: pointer; }
.acu-thread-name { font-weight: 400; font-style: italic; }
ol.acu-timeline { list-style: none; margin: 0.25rem 0 0 0.3rem !important; padding: 0 0 0 0.7rem !important;
  border-left: 2px solid var(--border-color-primary); }
li.acu-tl-item { position: relative; margin: 0.1rem 0 !important; padding: 0 !important; }
li.acu-tl-item::before { content: ""; position: absolute; left: -1.06rem; top: 0.42rem; width: 0.5rem;
  height: 0.5rem; border-radius: 50%; background: var(--background-fill-primary);
  border: 2px solid var(--border-color-primary); }
li.acu-tl-current::before { background: var(--color-accent); border-color: var(--color-accent); }
.acu-tl summary { cursor: pointer; color: var(--body-text-color); }
.acu-tl summary:hover { color: var(--color-accent); }
.acu-tl-current > .acu-tl > summary { font-weight: 600; }
.acu-tl-date { font-variant-numeric: tabular-nums; white-space: nowrap; }
.acu-tl-session { white-space: nowrap; color: var(--body-text-color-subdued); }
.acu-tl-here { color: var(--color-accent); white-space: nowrap; }
.acu-tl-body { margin: 0.2rem 0 0.4rem 0.9rem; display: flex; flex-direction: column; gap: 0.2rem; }
.acu-tl-cite { font-weight: 600; }
.acu-tl-note { font-style: italic; color: var(--body-text-color-subdued); }
.acu-tl-why { display: block; font-weight: normal; font-size: 0.9em; color: var(--body-text-color-subdued); }
.acu-tl-why-label { font-style: italic; }
"""

# Gradio does not run scripts inside messages (they are sanitized), so the buttons in the messages work
# through one click listener installed at page load (launch(js=...)): "copy" copies the text of the hidden
# element next to the button (a card's citation, an answer's Markdown, the link that asks the question
# again), "clear the filters" presses the sidebar's button.
# The same script replaces the chatbot's autoscroll (off: it jumps to the bottom of a long answer): while
# an answer is pending the chat shows its end, and when the answer arrives the question is put at the top
# (of the chat's scroll box on a wide screen, of the page on a phone, where the chat grows with the page).
# It also keeps <html lang> and the thumbs' names in the page's language, counts the question's characters,
# and focuses the question box on a wide screen only (on a phone that would open the page scrolled down).
COPY_JS = """
() => {
  if (window.__acuerdosCopy) return;
  window.__acuerdosCopy = true;
  const NAMES = %(names)s;
  const MAX = %(max)d;
  let answered = 0, pending = false, timer = null;
  const language = () => {
    const checked = document.querySelector("#acu-lang input:checked");
    return checked && checked.value === "en" ? "en" : "es";
  };
  const scroller = (node) => {
    for (let el = node && node.parentElement; el; el = el.parentElement) {
      const style = getComputedStyle(el).overflowY;
      if ((style === "auto" || style === "scroll") && el.scrollHeight > el.clientHeight + 2) return el;
      if (el.id === "acu-chat") return null;
    }
    return null;
  };
  const place = () => {
    const chat = document.getElementById("acu-chat");
    if (!chat) return;
    const now = chat.querySelectorAll(".acu-answer:not(:has(.acu-pending))").length;
    const waiting = !!chat.querySelector(".acu-pending");
    const questions = chat.querySelectorAll(".acu-question");
    const last = questions[questions.length - 1];
    if (waiting && !pending && last) {
      const box = scroller(last);
      if (box) box.scrollTop = box.scrollHeight;
    } else if (now > answered && last) {
      const row = last.closest(".message-row") || last;
      const box = scroller(last);
      if (box) {
        box.scrollTop = Math.max(0, row.getBoundingClientRect().top - box.getBoundingClientRect().top
                                     + box.scrollTop);
      } else {
        window.scrollTo(0, Math.max(0, row.getBoundingClientRect().top + window.scrollY - 8));
      }
    }
    answered = now;
    pending = waiting;
  };
  const tidy = () => {
    const lang = language();
    if (document.documentElement.lang !== lang) document.documentElement.lang = lang;
    document.querySelectorAll("#acu-chat .message-buttons").forEach((group) => {
      const buttons = [...group.querySelectorAll("button[aria-label]")];
      if (buttons.length !== 2) return;  // gradio draws the thumbs as [dislike, like]
      [["dislike", buttons[0]], ["like", buttons[1]]].forEach(([name, button]) => {
        const label = NAMES[lang][name];
        if (button.getAttribute("aria-label") !== label) {
          button.setAttribute("aria-label", label);
          button.setAttribute("title", label);
        }
      });
    });
    count();
  };
  const count = () => {
    const box = document.querySelector("#acu-question textarea");
    const counter = document.getElementById("acu-count");
    if (!box || !counter) return;
    const text = box.value.length + " / " + MAX + " " + NAMES[language()].chars;
    if (counter.textContent !== text) counter.textContent = text;
    counter.classList.toggle("acu-full", box.value.length >= MAX);
  };
  new MutationObserver(() => { clearTimeout(timer); timer = setTimeout(() => { place(); tidy(); }, 60); })
    .observe(document.body, { childList: true, subtree: true, attributes: true,
                              attributeFilter: ["aria-checked", "class"] });
  document.addEventListener("input", (event) => {
    if (event.target && event.target.closest && event.target.closest("#acu-question")) count();
  }, true);
  const focus = () => {
    const box = document.querySelector("#acu-question textarea");
    if (!box) { setTimeout(focus, 100); return; }
    if (window.matchMedia("(min-width: 641px)").matches && !location.search.includes("q="))
      box.focus({ preventScroll: true });
    tidy();
  };
  focus();
  const copyText = async (text) => {
    try { await navigator.clipboard.writeText(text); return true; } catch (error) {
      const area = document.createElement("textarea");
      area.value = text; area.style.position = "fixed"; area.style.left = "-9999px";
      document.body.appendChild(area); area.select();
      let ok = false;
      try { ok = document.execCommand("copy"); } catch (error2) { ok = false; }
      area.remove();
      return ok;
    }
  };
  const SOURCES = { "acu-copy": [".acu-card", ".acu-copytext"], "acu-copy-md": [".acu-answer", ".acu-md"],
                    "acu-copy-link": [".acu-answer", ".acu-link"] };
  document.addEventListener("click", async (event) => {
    const target = event.target && event.target.closest ? event.target : null;
    if (!target) return;
    if (target.closest("button.acu-clear-filters")) {
      event.preventDefault();
      const reset = document.getElementById("acu-reset");
      if (reset) reset.click();
      return;
    }
    const button = target.closest("button.acu-copy, button.acu-copy-md, button.acu-copy-link");
    if (!button) return;
    event.preventDefault();
    event.stopPropagation();
    const kind = Object.keys(SOURCES).find((name) => button.classList.contains(name));
    const scope = button.closest(SOURCES[kind][0]);
    const source = scope ? scope.querySelector(SOURCES[kind][1]) : null;
    if (!source) return;
    let text = source.textContent;
    if (kind === "acu-copy-link") text = new URL(text, location.origin + location.pathname).href;
    const ok = await copyText(text);
    window.__acuerdosCopied = text;
    if (!button.__label) button.__label = button.textContent;
    button.textContent = ok ? (button.getAttribute("value") || "OK") : "×";
    clearTimeout(button.__timer);
    button.__timer = setTimeout(() => { button.textContent = button.__label; }, 1600);
  }, true);
}
"""

COPY_JS = COPY_JS % {
    "names": json.dumps({lang: {key: fmt.t(lang, key) for key in ("like", "dislike", "chars")}
                         for lang in fmt.LANGUAGES}, ensure_ascii=False),
    "max": fmt.MAX_QUESTION_CHARS,
}


def _theme() -> gr.themes.Base:
    # Source Sans Pro / IBM Plex Mono ship inside gradio and are served by this server (static/fonts);
    # the rest are system fonts. No GoogleFont: nothing is fetched from fonts.googleapis.com.
    # Only the Regular and Bold files: gradio's SemiBold files are small subsets that lack most letters.
    return gr.themes.Default(
        primary_hue="teal",
        secondary_hue="slate",
        neutral_hue="slate",
        font=[gr.themes.LocalFont("Source Sans Pro", weights=(400, 700)), "system-ui", "sans-serif"],
        font_mono=[gr.themes.LocalFont("IBM Plex Mono", weights=(400, 700)), "ui-monospace", "monospace"],
    )


def launch_options() -> dict[str, Any]:
    """Keyword arguments for Blocks.launch() that keep the page offline and private."""
    return {
        "theme": _theme(),
        "css": CSS,
        "js": COPY_JS,
        "footer_links": ["api"],  # no "built with Gradio" link, no settings page
        "run_history": False,  # no run history kept in the browser
        "enable_monitoring": False,
        "mcp_server": False,
        "ssr_mode": False,
        "pwa": False,
        "favicon_path": None,
        # Every /ask API call is a Gradio session; keep few (a chat idle past 500 calls starts afresh).
        "state_session_capacity": 500,
        "max_file_size": "1mb",  # the app takes no uploads
    }


class ChatBlocks(gr.Blocks):
    """Blocks whose launch() defaults to the app's theme, styles and copy script (Gradio 6 takes these
    at launch, not in the constructor), so ``build_app(a).launch(prevent_thread_lock=True)`` just works."""

    def launch(self, *args: Any, **kwargs: Any):  # type: ignore[override]
        for key, value in launch_options().items():
            kwargs.setdefault(key, value)
        return super().launch(*args, **kwargs)


# --------------------------------------------------------------------------- corpus facets
def _facets(assistant: Any) -> dict[str, Any]:
    """Sources, places, sessions and years for the filter widgets (from the index, else the corpus)."""
    sources = fmt.DEFAULT_SOURCES
    try:
        found = assistant.sources() if hasattr(assistant, "sources") else None
        if found:
            sources = [{"key": str(s["key"]), "label": str(s.get("label") or s["key"])} for s in found]
    except Exception:  # noqa: BLE001 - a missing or failing sources() falls back to the known two
        log.debug("assistant.sources() failed", exc_info=True)
    passages = None
    index = getattr(assistant, "index", None)
    if index is not None and getattr(index, "passages", None):
        passages = index.passages
    if passages is None:
        try:
            from acuerdos import config
            from acuerdos.corpus import load_corpus

            passages = load_corpus(config.corpus_dir()).passages
        except Exception:  # noqa: BLE001
            log.debug("corpus not readable for the filter choices", exc_info=True)
            passages = []
    places = sorted({p.place for p in passages if getattr(p, "place", "")})
    years = sorted({p.year for p in passages if getattr(p, "year", None)})
    sessions = session_choices(passages)
    return {
        "passages": passages,
        "sources": sources,
        "places": places,
        "sessions": sessions,
        "years": (years[0], years[-1]) if years else (fmt.YEAR_MIN, fmt.YEAR_MAX),
    }


def session_choices(passages: Any) -> list[str]:
    """The sessions the index holds, in order (what the session filter accepts); the known six without one."""
    from acuerdos.corpus.spanish import roman_to_int

    present = {p.session for p in passages if getattr(p, "session", "")}
    return sorted(present, key=roman_to_int) if present else list(fmt.SESSIONS)


def shared_question(request: gr.Request) -> tuple[str, str]:
    """The language and question of a shared link (/?q=…&lang=en), as typed input would be."""
    params = getattr(request, "query_params", None) or {}
    if "lang" not in params and "q" not in params:
        return "", ""  # no shared link: the page keeps whatever language the reader picks meanwhile
    language = str(params.get("lang") or "").strip().lower()
    question = str(params.get("q") or "")[: fmt.MAX_QUESTION_CHARS]
    return (language if language in fmt.LANGUAGES else DEFAULT_LANGUAGE), question


def filter_problem(filters: dict[str, Any], facets: dict[str, Any]) -> dict[str, Any] | None:
    """Why the filters leave nothing to search: a place the corpus does not have, or filters that exclude
    every passage. None when something is left (or when the engine should judge the filters itself)."""
    if not filters:
        return None
    place = str(filters.get("place") or "").strip()
    if place and not any(fold(place) in fold(known) for known in facets["places"]):
        return {"kind": "unknown_place", "place": place, "places": list(facets["places"])}
    passages = facets["passages"]
    try:
        parsed = parse_filters(filters, passages)
    except AcuerdosError:
        return None  # the engine says what is wrong
    if passages and not any(parsed.admits(passage) for passage in passages):
        return {"kind": "filters_exclude", "filters": filters}
    return None


def _source_choices(sources: list[dict[str, str]], lang: str) -> list[tuple[str, str]]:
    return [(fmt.source_label(s["key"], lang, sources), s["key"]) for s in sources]


def _header_md(lang: str) -> str:
    return f"# {fmt.t(lang, 'title')}\n{fmt.t(lang, 'subtitle')}"


def _active_html(filters: dict[str, Any], lang: str, sources: list[dict[str, str]]) -> str:
    return f'<div class="acu-active">{fmt.esc(fmt.active_filters_text(filters, lang, sources))}</div>'


def _parse_json_arg(value: Any, name: str) -> Any:
    if isinstance(value, str):
        text = value.strip()
        if not text:
            return None
        try:
            return json.loads(text)
        except json.JSONDecodeError as error:
            if name == "history":  # a bare string is one earlier question
                return [value]
            raise gr.Error(f"{name} must be JSON: {error}", print_exception=False) from error
    return value


def _export_dir(request: gr.Request | None) -> Path:
    session = re.sub(r"[^A-Za-z0-9_-]", "", getattr(request, "session_hash", "") or "") or "anonymous"
    folder = Path(tempfile.gettempdir()) / "acuerdos-exports" / session[:64]
    folder.mkdir(parents=True, exist_ok=True)
    return folder


def _write_exports(turns: list[dict[str, Any]], lang: str, request: gr.Request | None) -> tuple[str, str]:
    folder = _export_dir(request)
    stem = "acuerdos-conversacion" if fmt.lang_of(lang) == "es" else "acuerdos-conversation"
    md_path, json_path = folder / f"{stem}.md", folder / f"{stem}.json"
    texts = {md_path: fmt.conversation_markdown(turns, lang), json_path: fmt.conversation_json(turns)}
    for path, text in texts.items():
        temporary = path.with_suffix(path.suffix + ".tmp")
        temporary.write_text(text, encoding="utf-8")
        os.replace(temporary, path)
    return str(md_path), str(json_path)


# --------------------------------------------------------------------------- the app
def build_app(assistant: Any) -> gr.Blocks:
    """The chat UI over `assistant` (anything with ask(question, history, k, filters) -> Answer)."""
    facets = _facets(assistant)
    sources: list[dict[str, str]] = facets["sources"]
    source_keys = [s["key"] for s in sources]
    year_low, year_high = facets["years"]
    year_choices = list(range(year_low, year_high + 1))
    lang0 = DEFAULT_LANGUAGE

    def ask_engine(question: str, history: list[str], filters: dict[str, Any], k: int = DEFAULT_K):
        return assistant.ask(question, history=history, k=k, filters=filters or None)

    def ui_filters(src, sessions, ymin, ymax, place) -> dict[str, Any]:
        return fmt.filters_from_ui(src, sessions, ymin, ymax, place, source_keys, (year_low, year_high))

    with ChatBlocks(title=TITLE, analytics_enabled=False, fill_width=True,
                    delete_cache=(3600, 3600)) as demo:
        turns = gr.State([])
        with gr.Row(elem_id="acu-header", equal_height=True):
            header = gr.Markdown(_header_md(lang0), elem_id="acu-title")
            lang = gr.Radio(choices=fmt.LANGUAGE_CHOICES, value=lang0, label=fmt.t(lang0, "language"),
                            scale=0, min_width=230, elem_id="acu-lang")
        with gr.Row():
            with gr.Column(scale=3, min_width=480):
                # no floating label: it covered the placeholder and the messages scrolled under it
                chatbot = gr.Chatbot(
                    value=[], label=fmt.t(lang0, "chat"), show_label=False, elem_id="acu-chat", height=560,
                    layout="panel", sanitize_html=True, render_markdown=False, allow_tags=False,
                    autoscroll=False,  # COPY_JS shows the top of each new answer instead
                    latex_delimiters=[], buttons=[], feedback_options=("Like", "Dislike"),
                    group_consecutive_messages=False, placeholder=fmt.t(lang0, "chat_placeholder"),
                )
                with gr.Row(equal_height=True):
                    # autofocus would open a phone's page scrolled down to the box: COPY_JS focuses it on
                    # wide screens only
                    question = gr.Textbox(show_label=False, label=fmt.t(lang0, "input"),
                                          placeholder=fmt.t(lang0, "input_placeholder"), lines=1, max_lines=6,
                                          scale=6, max_length=fmt.MAX_QUESTION_CHARS, elem_id="acu-question")
                    send = gr.Button(fmt.t(lang0, "send"), variant="primary", scale=1, min_width=110,
                                     elem_id="acu-send")
                gr.HTML(f'<div id="acu-count" aria-live="polite">0 / {fmt.MAX_QUESTION_CHARS}</div>',
                        elem_id="acu-count-box", padding=False)
                examples = gr.Dataset(components=[question], samples=[[q] for q in fmt.EXAMPLES],
                                      label=fmt.t(lang0, "examples"), type="index", samples_per_page=8,
                                      elem_id="acu-examples")
            with gr.Column(scale=1, min_width=280, elem_id="acu-side"):
                filters_title = gr.Markdown(f"### {fmt.t(lang0, 'filters')}\n{fmt.t(lang0, 'filters_help')}")
                active = gr.HTML(_active_html({}, lang0, sources), elem_id="acu-active")
                source_box = gr.CheckboxGroup(choices=_source_choices(sources, lang0), value=[],
                                              label=fmt.t(lang0, "source"), elem_id="acu-f-source")
                session_box = gr.CheckboxGroup(choices=facets["sessions"], value=[],
                                               label=fmt.t(lang0, "session"), elem_id="acu-f-session")
                with gr.Row():
                    year_min = gr.Dropdown(choices=year_choices, value=year_low, min_width=100,
                                           label=fmt.t(lang0, "year_min"), elem_id="acu-f-ymin")
                    year_max = gr.Dropdown(choices=year_choices, value=year_high, min_width=100,
                                           label=fmt.t(lang0, "year_max"), elem_id="acu-f-ymax")
                place = gr.Dropdown(choices=[""] + facets["places"], value="", allow_custom_value=True,
                                    label=fmt.t(lang0, "place"), elem_id="acu-f-place")
                reset = gr.Button(fmt.t(lang0, "reset"), size="sm", elem_id="acu-reset")
                export_title = gr.Markdown(f"### {fmt.t(lang0, 'export')}")
                download_md = gr.DownloadButton(fmt.t(lang0, "download_md"), value=None, size="sm",
                                                interactive=False, elem_id="acu-dl-md")
                download_json = gr.DownloadButton(fmt.t(lang0, "download_json"), value=None, size="sm",
                                                  interactive=False, elem_id="acu-dl-json")
                new_chat = gr.Button(fmt.t(lang0, "new"), size="sm", variant="secondary", elem_id="acu-new")

        filter_inputs = [source_box, session_box, year_min, year_max, place]

        # ---- asking from the chat
        def respond(text, conversation, language, src, sessions, ymin, ymax, where, request: gr.Request):
            text = (text or "").strip()
            if not text:
                yield gr.skip(), gr.skip(), gr.skip(), gr.skip(), gr.skip()
                return
            conversation = list(conversation or [])
            history = [turn["question"] for turn in conversation if turn.get("answer") is not None]
            pending = conversation + [{"question": text}]
            yield fmt.chat_messages(pending, language), gr.skip(), "", gr.skip(), gr.skip()
            turn: dict[str, Any] = {"question": text}
            filters = ui_filters(src, sessions, ymin, ymax, where)
            try:
                if problem := filter_problem(filters, facets):
                    turn["problem"] = problem
                else:
                    turn["answer"] = fmt.as_dict(ask_engine(text, history, filters))
            except AcuerdosError as error:  # e.g. a place that is not in the corpus: said in the chat
                turn["error"] = str(error)
            except Exception as error:  # noqa: BLE001 - shown in the chat, never a crash
                log.exception("ask failed")
                turn["error"] = str(error) or type(error).__name__
            conversation.append(turn)
            md_path, json_path = _write_exports(conversation, language, request)
            # the box was emptied when the question moved to the chat; what was typed since is kept
            yield (fmt.chat_messages(conversation, language), conversation, gr.skip(),
                   gr.update(value=md_path, interactive=True), gr.update(value=json_path, interactive=True))

        ask_inputs = [question, turns, lang, *filter_inputs]
        ask_outputs = [chatbot, turns, question, download_md, download_json]
        # "always_last": a question sent while the answer before it is still finishing runs after it; Gradio's
        # default ("once") drops it, and the question is lost without a word (seen under load in the browser test)
        ask_options = {"concurrency_limit": CONCURRENCY, "concurrency_id": "ask", "api_visibility": "private",
                       "show_progress": "minimal", "trigger_mode": "always_last"}
        question.submit(respond, ask_inputs, ask_outputs, **ask_options)
        send.click(respond, ask_inputs, ask_outputs, **ask_options)

        shared, shared_lang = gr.State(""), gr.State(lang0)
        examples.click(lambda i: fmt.EXAMPLES[i], examples, question, queue=False, api_visibility="private",
                       show_progress="hidden").then(respond, ask_inputs, ask_outputs, **ask_options)

        # ---- thumbs up / down
        def on_like(conversation, language, data: gr.LikeData):
            index = data.index[0] if isinstance(data.index, (list, tuple)) else data.index
            position = int(index) // 2
            if not 0 <= position < len(conversation or []) or conversation[position].get("answer") is None:
                return
            turn = conversation[position]
            verdict = "up" if data.liked is True else "down" if data.liked is False else "withdrawn"
            ids = [hit.get("id", "") for hit in turn["answer"].get("results") or []]
            record_feedback(turn["question"], ids, verdict)
            if verdict != "withdrawn":
                gr.Info(fmt.t(language, "feedback_thanks"), duration=2)

        chatbot.like(on_like, [turns, lang], None, api_visibility="private", concurrency_limit=None,
                     show_progress="hidden")

        # ---- filters
        def show_active(src, sessions, ymin, ymax, where, language):
            return _active_html(ui_filters(src, sessions, ymin, ymax, where), language, sources)

        for widget in filter_inputs:
            widget.change(show_active, [*filter_inputs, lang], active, api_visibility="private",
                          concurrency_limit=None, show_progress="hidden")
        reset.click(lambda: ([], [], year_low, year_high, ""), None, filter_inputs, api_visibility="private",
                    queue=False, show_progress="hidden")

        # ---- new conversation (the button, or the chatbot's own trash icon)
        def forget(request: gr.Request):
            shutil.rmtree(_export_dir(request), ignore_errors=True)  # the exports of this conversation
            return [], [], gr.update(value=None, interactive=False), gr.update(value=None, interactive=False)

        new_chat.click(forget, None, [chatbot, turns, download_md, download_json], api_visibility="private",
                       queue=False, show_progress="hidden")
        chatbot.clear(forget, None, [chatbot, turns, download_md, download_json], api_visibility="private",
                      queue=False, show_progress="hidden")

        # ---- language
        def switch_language(language, conversation, src, sessions, ymin, ymax, where, request: gr.Request):
            language = fmt.lang_of(language)
            exports: list[Any] = [gr.update(label=fmt.t(language, "download_md")),
                                  gr.update(label=fmt.t(language, "download_json"))]
            if conversation:
                md_path, json_path = _write_exports(conversation, language, request)
                exports = [gr.update(label=fmt.t(language, "download_md"), value=md_path),
                           gr.update(label=fmt.t(language, "download_json"), value=json_path)]
            return (
                _header_md(language),
                gr.update(label=fmt.t(language, "language"), value=language),
                gr.update(value=fmt.chat_messages(conversation or [], language),
                          label=fmt.t(language, "chat"), placeholder=fmt.t(language, "chat_placeholder")),
                gr.update(label=fmt.t(language, "input"), placeholder=fmt.t(language, "input_placeholder")),
                gr.update(value=fmt.t(language, "send")),
                gr.update(label=fmt.t(language, "examples")),
                f"### {fmt.t(language, 'filters')}\n{fmt.t(language, 'filters_help')}",
                _active_html(ui_filters(src, sessions, ymin, ymax, where), language, sources),
                gr.update(label=fmt.t(language, "source"), choices=_source_choices(sources, language)),
                gr.update(label=fmt.t(language, "session")),
                gr.update(label=fmt.t(language, "year_min")),
                gr.update(label=fmt.t(language, "year_max")),
                gr.update(label=fmt.t(language, "place")),
                gr.update(value=fmt.t(language, "reset")),
                f"### {fmt.t(language, 'export')}",
                *exports,
                gr.update(value=fmt.t(language, "new")),
            )

        relabelled = [header, lang, chatbot, question, send, examples, filters_title, active, source_box,
                      session_box, year_min, year_max, place, reset, export_title, download_md, download_json,
                      new_chat]
        # .input, not .change: a language set by a shared link is relabelled in the chain below, in order,
        # so that the relabelling never redraws the chat over the answer being given
        lang.input(switch_language, [lang, turns, *filter_inputs], relabelled, api_visibility="private",
                   concurrency_limit=None, show_progress="hidden")

        # ---- a shared link, /?q=…&lang=en: the page opens in that language and asks the question, which is
        # cut to the box's length and then goes the way a typed question goes
        def switch_to_shared_language(language, conversation, src, sessions, ymin, ymax, where,
                                      request: gr.Request):
            if not language:  # no shared link: a language picked while the page loaded must not be undone
                return tuple(gr.skip() for _ in relabelled)
            return switch_language(language, conversation, src, sessions, ymin, ymax, where, request)

        demo.load(shared_question, None, [shared_lang, shared], api_visibility="private", queue=False,
                  show_progress="hidden").then(
            switch_to_shared_language, [shared_lang, turns, *filter_inputs], relabelled, api_visibility="private",
            queue=False, show_progress="hidden").then(
            respond, [shared, turns, lang, *filter_inputs], ask_outputs, **ask_options)

        # ---- the API: /ask returns Answer.to_dict()
        def ask(question: str, history: list[str] | str | None = None, filters: dict | str | None = None,
                k: int | None = None) -> dict:
            """Answer a question with cited passages.

            history: earlier questions of the conversation (a list, or a JSON list as text).
            filters: {"source": [...], "session": [...], "year_min": int, "year_max": int, "place": str}
            (an object, or JSON text). k: how many passages (default 5).
            """
            past = _parse_json_arg(history, "history") or []
            if not isinstance(past, list):
                raise gr.Error("history must be a list of earlier questions", print_exception=False)
            wanted = _parse_json_arg(filters, "filters") or {}
            if not isinstance(wanted, dict):
                raise gr.Error("filters must be an object", print_exception=False)
            try:
                wanted_k = int(k) if k else DEFAULT_K
            except (TypeError, ValueError, OverflowError):
                raise gr.Error(f"k must be a whole number, got {k!r}", print_exception=False) from None
            try:
                answer = ask_engine(str(question or ""), [str(h) for h in past], wanted, wanted_k)
            except AcuerdosError as error:  # the user's mistake: a message, no traceback in the log
                raise gr.Error(str(error), print_exception=False) from None
            except Exception as error:  # noqa: BLE001 - the client gets the reason, not a stack trace
                log.exception("ask failed")
                raise gr.Error(str(error) or type(error).__name__, print_exception=False) from error
            return fmt.as_dict(answer)

        gr.api(ask, api_name="ask", concurrency_limit=CONCURRENCY, concurrency_id="ask")

    demo.queue(default_concurrency_limit=CONCURRENCY, max_size=QUEUE_MAX)
    return demo


def launch(assistant: Any = None, host: str = "127.0.0.1", port: int = 7860, share: bool = False) -> None:
    """Serve the chat on http://host:port (loopback by default) and block until interrupted."""
    if assistant is None:
        from acuerdos.assistant import Assistant

        assistant = Assistant.load()
    demo = build_app(assistant)
    _app, local_url, share_url = demo.launch(server_name=host, server_port=port, share=share,
                                             prevent_thread_lock=True, quiet=True, show_error=False,
                                             inbrowser=False)
    print(f"acuerdos: serving on {local_url}", flush=True)
    if share_url:
        print(f"acuerdos: public link {share_url}", flush=True)
    try:
        demo.block_thread()
    finally:
        demo.close(verbose=False)
