from __future__ import annotations

from collections import Counter

from acuerdos.corpus import load_corpus
from tests.conftest import DATA


def test_real_report_has_17_numbered_agreements(real_corpus):
    agreements = [p for p in real_corpus.passages if p.source == "cnsp40" and p.agreement is not None]
    assert [p.agreement for p in agreements] == list(range(1, 18))
    fifth = agreements[4]
    assert fifth.id == "cnsp40-acuerdo-05"
    assert fifth.citation == "Consejo Nacional de Seguridad Pública, 40th session (2016), approved agreement 5 of 17"
    assert fifth.text.startswith(
        "Approve the guidelines for the issue, development and implementation of a Single Police")
    assert fifth.language == "en"
    assert fifth.date_start == "2016-08-30" and "Cuadragésima" in fifth.date_provenance


def test_real_report_sections(real_corpus):
    report = [p for p in real_corpus.passages if p.source == "cnsp40"]
    sections = Counter(p.section.split(",")[0] for p in report)
    assert set(sections) == {"highlights", "the president's five measures", "the Interior Secretary's remarks",
                             "Renato Sales's four points", "attendees", "approved agreements"}
    assert sections["highlights"] == 3
    assert sections["attendees"] == 1
    points = {p.section for p in report if p.section.startswith("the president's five measures, ")}
    assert points == {f"the president's five measures, {n}" for n in ("First", "Second", "Third", "Fourth", "Fifth")}
    assert any(p.section == "Renato Sales's four points, Fourth" and "biometric registers" in p.text for p in report)


def test_leading_fragment_is_reported_not_cited(real_corpus):
    report = [p for p in real_corpus.passages if p.source == "cnsp40"]
    assert not any(p.text == "committed in the country." for p in report)
    assert any("begins mid-sentence" in x.message and x.line == 1 for x in real_corpus.problems)
    assert report[0].text.startswith("He mentioned five measures")


def test_fixture_report_numbering_and_points():
    passages = [p for p in load_corpus(DATA / "corpus_ok").passages if p.source == "rep"]
    by_text = {p.text: p for p in passages}
    assert "fragment that begins mid-sentence." not in by_text
    assert by_text["A paragraph inside the first measure."].section == "the president's measures, First"
    assert by_text["Agreement two."].agreement == 2
    assert by_text["Agreement two."].citation.endswith("approved agreement 2 of 2")
    assert by_text["At the session, the following agreements were approved:"].agreement is None
