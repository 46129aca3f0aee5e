"""Property-based tests: random input to the question handling, the batch reader and the corpus parsers.

Question handling never raises for any text (lone surrogates, controls, any script, any length); answers
only quote passages verbatim and their markers point at result ranks. The corpus parsers never raise
anything but CorpusError, and every data row ends up either as a passage or as a problem with file:line:
nothing is dropped silently.
"""

from __future__ import annotations

import io
import json
import re
import shutil
import tempfile
import unicodedata
from pathlib import Path

import pytest
from hypothesis import HealthCheck, event, example, given, settings
from hypothesis import strategies as st

from acuerdos.answer.compose import MAX_QUESTION_CHARS, clean_question
from acuerdos.cli.batch import answer_lines
from acuerdos.corpus import load_corpus
from acuerdos.errors import CorpusError, QuestionError
from acuerdos.lang.detect import detect_language
from acuerdos.search.filters import FILTER_KEYS
from tests.conftest import DATA

SETTINGS = settings(
    max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)
HOSTILE = [
    "\x00",
    "\x07",
    "\x1b",
    "\x7f",
    "\r",
    "\t",
    "\n",
    "\u200d",
    "\u202e",
    "\ufeff",
    "\ufffd",
    "\ud800",
    "\udfff",
    "\U0001f46e",
    "\u3000",
    "¿",
    "ñ",
    "<",
    ">",
    "&",
    "'",
    '"',
    "[",
    "]",
    "(",
    ")",
    "!",
    "*",
    "警",
    "П",
    "ب",
    "\u0301",
    " ",
]
WORDS = [
    "policía",
    "fentanilo",
    "acuerdo",
    "XVIII",
    "sesión",
    "Saltillo",
    "agreement",
    "the",
    "what",
    "2017",
    "derechos",
    "búsqueda",
    "911",
    "Asamblea",
    "informe",
    "president",
    "measure",
    "¿Qué",
    "se",
    "acordó",
]
ANY_CHAR = st.characters(codec=None, exclude_categories=())  # every code point, surrogates included
QUESTIONS = st.one_of(
    st.text(ANY_CHAR, max_size=300),
    st.text(st.sampled_from(HOSTILE), max_size=60),
    st.lists(st.sampled_from(WORDS + HOSTILE), max_size=25).map(" ".join),
    st.lists(st.sampled_from(WORDS), min_size=1, max_size=4).map(lambda w: " ".join(w) * 700),  # > cap
)


# --------------------------------------------------------------------------- question handling
@SETTINGS
@given(QUESTIONS)
@example("\x00" * 5 + "hola")
@example("a" * (MAX_QUESTION_CHARS * 3))
def test_clean_question_is_total_bounded_and_idempotent(raw):
    question, notices = clean_question(raw)
    assert len(question) <= MAX_QUESTION_CHARS
    assert set(notices) <= {"cleaned", "truncated"}
    assert question == question.strip() and "  " not in question
    assert not any(unicodedata.category(c)[0] == "C" for c in question)
    question.encode("utf-8")  # no lone surrogates left
    assert clean_question(question) == (question, [])
    if len(" ".join(raw.split())) <= MAX_QUESTION_CHARS:
        assert "truncated" not in notices


@SETTINGS
@given(QUESTIONS)
def test_detect_language_is_total(raw):
    assert detect_language(raw) in ("es", "en", "other")
    assert detect_language(clean_question(raw)[0]) in ("es", "en", "other")


FILTER_VALUES = st.one_of(
    st.none(),
    st.booleans(),
    st.integers(-(10**6), 10**6),
    st.floats(allow_nan=True),
    st.text(ANY_CHAR, max_size=12),
    st.sampled_from(["XVII", "XVIII", "xvi", "tab", "rep", "Morelia", "2017"]),
    st.lists(st.sampled_from(["XVII", "XVIII", "XL", "tab", "zzz", ""]), max_size=3),
    st.lists(st.integers(), max_size=2),
    st.dictionaries(st.text(max_size=3), st.none()),
)
FILTERS = st.one_of(
    st.none(),
    st.none(),
    st.just({"session": ["XVIII"]}),
    st.dictionaries(st.sampled_from([*FILTER_KEYS, "colour"]), FILTER_VALUES, max_size=3),
)
HISTORIES = st.one_of(st.none(), st.lists(QUESTIONS, max_size=4), st.text(max_size=20))
KS = st.one_of(st.integers(-5, 80), st.sampled_from(["3", 2.5, None, "abc", float("inf")]))


@pytest.fixture
def eager_assistant(small_assistant):
    """The same assistant with abstention off, so that answers (and their markers) get composed."""
    from acuerdos.assistant import Assistant, Calibration

    return Assistant(
        small_assistant.index,
        small_assistant.searcher,
        Calibration(min_dense=-2.0, min_lexical=-1.0, name_dense=-2.0, answer_dense=-2.0),
    )


@SETTINGS
@given(question=QUESTIONS, history=HISTORIES, k=KS, filters=FILTERS, eager=st.booleans())
def test_ask_never_fails_and_only_quotes_passages(
    small_assistant, eager_assistant, question, history, k, filters, eager
):
    assistant = eager_assistant if eager else small_assistant
    try:
        answer = assistant.ask(question, history=history, k=k, filters=filters)
    except QuestionError as error:  # a bad k, history or filter: a clear one-line message
        assert str(error) and "\n" not in str(error)
        event("refused")
        return
    event("abstained" if answer.abstained else "answered")
    texts = {p.id: p.text for p in assistant.index.passages}
    assert answer.language in ("es", "en")
    assert len(answer.results) <= 50
    assert [hit.rank for hit in answer.results] == list(range(1, len(answer.results) + 1))
    for hit in answer.results:
        assert hit.text == texts[hit.id]  # verbatim
        assert hit.highlight in hit.text
    ranks = {hit.rank: hit for hit in answer.results}
    quotes = re.findall(r"«(.+?)» \[(\d+)\]", answer.answer)
    for quote, marker in quotes:
        assert int(marker) in ranks and quote == ranks[int(marker)].highlight
    if not answer.abstained and answer.results:
        assert quotes and int(quotes[0][1]) == 1  # the answer quotes the first result first
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")


BATCH_LINES = st.lists(
    st.one_of(
        st.binary(max_size=40),
        QUESTIONS.map(lambda q: json.dumps({"question": q}).encode()),
        st.builds(
            lambda q, f: json.dumps({"question": q, **f}).encode(),
            QUESTIONS,
            st.dictionaries(st.sampled_from([*FILTER_KEYS, "history", "k", "id"]), FILTER_VALUES, max_size=2),
        ),
    ),
    max_size=6,
)


@SETTINGS
@given(BATCH_LINES)
@example([b'{"question":"","year_min":Infinity}'])  # found by a CI-like run: int(inf) overflowed
def test_batch_answers_every_line_with_one_utf8_json_line(small_assistant, lines):
    raw = b"\n".join(line.replace(b"\n", b" ") for line in lines)
    out = list(answer_lines(small_assistant, io.BytesIO(raw), k=3))
    expected = [line for line in raw.split(b"\n") if line.strip()]
    assert len(out) == len(expected)
    for line in out:
        line.encode("utf-8")
        record = json.loads(line)
        assert ("error" in record) != ("answer" in record)


# --------------------------------------------------------------------------- corpus parsers
TABLE_SOURCE = """[[source]]
key = "tab"
file = "table.tsv"
format = "cnssp-table"
body = "Conferencia Nacional de Secretarios de Seguridad Pública"
body_short = "CNSSP"
language = "es"
"""
# Characters str.splitlines() treats as line ends besides \n: kept out here, see test_line_numbers_...
OTHER_LINE_ENDS = "\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029"
CELL_CHARS = st.characters(codec="utf-8", exclude_characters="\n\t" + OTHER_LINE_ENDS)
CELL = st.text(CELL_CHARS, max_size=25)
SESSIONS = st.one_of(
    st.sampled_from(
        [
            "XX Asamblea Plenaria",
            "XVIII Asamblea Plenaria",
            "VIII Asamblea enaria",
            "Asamblea Extraordinaria",
            "",
            "",
            "xix asamblea",
        ]
    ),
    CELL,
)
DATES = st.one_of(
    st.sampled_from(
        [
            "15 y 16 de noviembre de 2018 Saltillo, Coahuila",
            "",
            "Morelia, Michoacán",
            "22 y 23 de noviembre de 2017",
            "31 y 32 de febrero de 2018",
            "1 y 2 de brumario de 2017",
        ]
    ),
    CELL,
)
NUMBERS = st.one_of(st.integers(0, 45).map(str), st.sampled_from(["", "dos", "-1", "٣"]), CELL)
WORD = st.sampled_from(["Primero", "Segundo", "Tercero", "Cuarto", "Décimo Primero", "primero", "X", ""])
CONTENT = st.one_of(CELL, st.sampled_from(["<p></p>", "<b>Texto</b> &amp; más", "Los miembros acuerdan."]))
ROW = st.builds(lambda *cells: "\t".join(cells), SESSIONS, DATES, NUMBERS, WORD, CELL, CONTENT)
LINE = st.one_of(
    ROW,
    ROW,
    ROW,
    st.text(st.characters(codec="utf-8", exclude_characters="\n" + OTHER_LINE_ENDS), max_size=40),
    st.just(""),
    st.sampled_from(["CONFERENCIA NACIONAL DE SECRETARIOS", "Sesión\tFecha", "\t\t\tNo.\tTítulo"]),
)


def _write_corpus(sources: str, name: str, text: str) -> Path:
    folder = Path(tempfile.mkdtemp(prefix="acuerdos-prop-"))
    (folder / "sources.toml").write_text(sources, encoding="utf-8")
    (folder / name).write_text(text, encoding="utf-8", newline="")
    return folder


def _accounted_lines(corpus) -> set[int]:
    lines = {p.line for p in corpus.passages} | {p.line for p in corpus.problems}
    for problem in corpus.problems:  # "session XX has no date on any row (lines 4, 5)"
        if match := re.search(r"\(lines ([\d, ]+)\)", problem.message):
            lines |= {int(n) for n in match.group(1).split(",")}
    return lines


def test_a_superscript_digit_is_a_located_problem_not_an_agreement_number():
    good = "XX Asamblea Plenaria\t15 y 16 de noviembre de 2018 Saltillo, Coahuila\t1\tPrimero\tT\tSe acuerda."
    folder = _write_corpus(TABLE_SOURCE, "table.tsv", good + "\n" + good.replace("\t1\t", "\t²\t"))
    try:
        corpus = load_corpus(folder)
    finally:
        shutil.rmtree(folder)
    assert [p.line for p in corpus.problems if "agreement number is not numeric: '²'" in p.message] == [2]
    assert len(corpus.passages) == 1


@SETTINGS
@given(st.lists(LINE, max_size=25))
def test_table_rows_become_passages_or_located_problems(lines):
    text = "\n".join(lines)
    folder = _write_corpus(TABLE_SOURCE, "table.tsv", text)
    try:
        try:
            corpus = load_corpus(folder)
        except CorpusError:
            return
        data_rows = {
            n
            for n, line in enumerate(text.split("\n"), 1)
            if line.strip() and not line.startswith(("CONFERENCIA NACIONAL", "Sesión\t", "\t\t\tNo."))
        }
        missing = data_rows - _accounted_lines(corpus)
        assert not missing, f"rows dropped silently: {missing}; problems: {[str(p) for p in corpus.problems]}"
        for problem in corpus.problems:
            assert problem.file.endswith("table.tsv") or problem.file.endswith("sources.toml")
            assert "\n" not in str(problem)
        if not corpus.passages:
            assert corpus.errors, "a document with no passage is an error"
        for passage in corpus.passages:
            assert passage.text.strip() and passage.line in data_rows
    finally:
        shutil.rmtree(folder, ignore_errors=True)


REPORT_SOURCE = (DATA / "corpus_ok" / "sources.toml").read_text(encoding="utf-8").split("[[source]]")[2]
REPORT_SOURCE = "[[source]]" + REPORT_SOURCE.replace('file = "report.txt"', 'file = "report.txt"')
PRINTABLE = st.characters(
    codec="utf-8",
    categories=["L", "N", "P", "S", "Zs"],
    exclude_characters="\u3000\u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006"
    "\u2007\u2008\u2009\u200a\u202f\u205f",
)
REPORT_LINE = st.one_of(
    st.text(PRINTABLE, max_size=40),
    st.builds(
        lambda b, t: f"  {b} {t}",
        st.sampled_from(["•", "-", "*", "·"]),
        st.text(PRINTABLE, min_size=1, max_size=30),
    ),
    st.sampled_from(
        [
            "",
            "",
            "A highlight here.",
            "The president spoke.",
            "First: one.",
            "Second: two.",
            "At the session, the following agreements were approved:",
            "fragment in lower case",
        ]
    ),
)


@SETTINGS
@given(st.lists(REPORT_LINE, max_size=25))
@example(["a\0"])  # a skipped fragment is quoted escaped: 'a\x00'
def test_report_text_is_never_dropped_silently(lines):
    text = "\n".join(lines)
    folder = _write_corpus(REPORT_SOURCE, "report.txt", text)
    try:
        try:
            corpus = load_corpus(folder)
        except CorpusError:
            return
        words_in = " ".join(re.sub(r"^\s*[•\-\*·]\s+", "", line) for line in text.split("\n")).split()
        words_out = " ".join(p.text for p in corpus.passages).split()
        remaining = list(words_out)
        dropped = []
        for word in words_in:
            if word in remaining:
                remaining.remove(word)
            else:
                dropped.append(word)
        assert not remaining, f"passages hold words the file does not: {remaining}"
        told = " ".join(p.message for p in corpus.problems)
        # a message quotes what it skips with repr(), so control characters appear escaped
        assert all(word in told or repr(word)[1:-1] in told for word in dropped), f"dropped without a word: {dropped}"
        located = {p.line for p in corpus.passages} | {p.line for p in corpus.problems}
        for number, line in enumerate(text.split("\n"), 1):
            if line.strip():  # each non-blank line belongs to a passage or problem starting at or before it
                assert any(0 < start <= number for start in located)
    finally:
        shutil.rmtree(folder, ignore_errors=True)


def test_line_numbers_match_an_editors_after_a_form_feed(tmp_path):
    row = "XX Asamblea Plenaria\t15 y 16 de noviembre de 2018 Saltillo, Coahuila\t{n}\t{w}\tTítulo\t{c}"
    text = "\n".join(
        [
            row.format(n=1, w="Primero", c="Texto uno.\x0c"),  # a page break at the end of a row
            row.format(n=2, w="Segundo", c="Texto dos."),
            row.format(n="tres", w="Tercero", c="Texto tres."),
        ]
    )
    folder = _write_corpus(TABLE_SOURCE, "table.tsv", text)
    corpus = load_corpus(folder)
    assert [p.line for p in corpus.passages] == [1, 2]
    assert [p.line for p in corpus.errors] == [3]


def test_an_empty_bullet_is_not_an_empty_passage():
    folder = _write_corpus(REPORT_SOURCE, "report.txt", "The president spoke.\n\n  •  \n  • Agreement one.\n")
    corpus = load_corpus(folder)
    assert all(p.text.strip() for p in corpus.passages), [p.text for p in corpus.passages]


# --------------------------------------------------------------------------- fixed here, kept fixed
def test_question_cleaning_regressions():
    assert clean_question("¿Qué se acordó?\r\nSobre el 911") == ("¿Qué se acordó? Sobre el 911", [])  # CRLF
    assert clean_question("👮\u200d♀️ poli\u00adcía\ufeff") == ("👮♀️ policía", [])  # ZWJ, soft hyphen, BOM
    assert clean_question("a\ufffdb") == ("a b", ["cleaned"])  # bytes that were not UTF-8
    assert clean_question("a\ud800b") == ("a b", ["cleaned"])
    question, notices = clean_question("palabra " * 2_000_000)  # 16 MB: bounded work, capped, said
    assert len(question) <= MAX_QUESTION_CHARS and notices == ["truncated"]


def test_ask_input_regressions(small_assistant):
    answer = small_assistant.ask("dialogar \udcff")  # argv bytes that were not UTF-8 (surrogateescape)
    assert answer.question == "dialogar \ufffd" and "control" in answer.message.lower()
    json.dumps(answer.to_dict(), ensure_ascii=False).encode("utf-8")
    assert small_assistant.ask("¿Y en la XVIII?", history="¿Qué se acordó sobre búsqueda?").results
    for bad_k in ("abc", None, float("inf"), float("nan")):
        with pytest.raises(QuestionError, match="k must be a whole number"):
            small_assistant.ask("dialogar", k=bad_k)
    with pytest.raises(QuestionError, match="history must be a list"):
        small_assistant.ask("dialogar", history=5)
