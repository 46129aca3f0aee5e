"""Topic threads: built at `acuerdos build` and stored with the index, each member with the evidence
that links it (a reference, a shared name, a speech point), quoted; and the contract the chat and the
CLI rely on (date order, one thread per passage, JSON, thread_of).

The index here is the real corpus indexed with the fake encoder: threads do not depend on the vectors.
"""
from __future__ import annotations

import json
import re

import pytest
from click.testing import CliRunner

from acuerdos.index.store import THREADS_FILE, load_index, read_manifest
from acuerdos.index.threads import (
    Thread,
    body_spans,
    build_threads,
    thread_for,
    thread_of,
    threads_of,
    why_parts,
)
from acuerdos.records import Passage
from tests.conftest import PROJECT


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    from acuerdos.assistant import ensure_index
    from tests.fakes import HashingEncoder

    directory = tmp_path_factory.mktemp("threads") / "embeddings"
    index, _ = ensure_index(directory, PROJECT / "corpus", HashingEncoder(), progress=False)
    return index


@pytest.fixture(scope="module")
def threads(built):
    return built.threads


@pytest.fixture(scope="module")
def passages(built):
    return {p.id: p for p in built.passages}


def test_built_with_the_index_and_loaded_back(built):
    manifest = read_manifest(built.directory)
    assert THREADS_FILE in manifest["files"] and "references.json" in manifest["files"]
    loaded = load_index(built.directory)
    assert [t.to_dict() for t in loaded.threads] == [t.to_dict() for t in built.threads]
    assert len(loaded.references) == len(built.references) > 20
    assert all(isinstance(t, Thread) for t in loaded.threads)


def test_corrupt_threads_file_is_refused(built, tmp_path):
    import shutil

    from acuerdos.errors import IndexFileError

    copy = tmp_path / "copy"
    shutil.copytree(built.directory, copy)
    (copy / built.manifest["build"] / THREADS_FILE).write_text("[]", encoding="utf-8")
    with pytest.raises(IndexFileError, match="corrupt"):
        load_index(copy)


def test_every_member_states_its_evidence(threads, passages):
    assert threads
    for thread in threads:
        for member in thread.members:
            evidence = member.evidence
            assert member.why and evidence["kind"] in ("reference", "name", "point"), member.id
            assert evidence["other"] in thread and evidence["other"] != member.id
            if evidence["kind"] == "name" and not evidence["translated"]:
                assert evidence["quote"] in passages[member.id].text, member.id


def test_every_why_line_reads_back_for_the_page_to_say_it_in_its_language(threads):
    for member in (m for thread in threads for m in thread.members):
        parts = why_parts(member.why)
        evidence = member.evidence
        assert parts is not None, member.why
        assert (parts.kind, parts.other, parts.translated) == (evidence["kind"], evidence["other"],
                                                               evidence["translated"]), member.id
        assert parts.quote or parts.other_quote, member.id  # the shared reference or name, quoted


def test_one_thread_per_passage_and_two_or_more_members(threads):
    seen = [m.id for t in threads for m in t.members]
    assert len(seen) == len(set(seen))
    assert all(t.size >= 2 for t in threads)


def test_the_issues_wrong_threads_are_gone(threads):
    """A shared body, a presenting state or a header is not a subject (issue 16)."""
    for announcing in ("cnsp40-p003", "cnsp40-p042", "cnssp-xv-01"):
        assert thread_of(announcing, threads) is None, announcing
    for pid in ("cnssp-xv-04", "cnssp-xix-08", "cnssp-xix-18"):  # Unidad de Planeación
        assert thread_of(pid, threads) is None, pid
    assert thread_of("cnssp-xix-05", threads) is None  # Modelo Policial del estado de Michoacán
    for a, b in (("cnssp-xvi-06", "cnssp-xix-18"), ("cnssp-xx-03", "cnssp-xviii-14"),
                 ("cnssp-xvii-05", "cnssp-xix-05"), ("cnssp-xviii-05", "cnssp-xix-15")):
        thread = thread_of(a, threads)
        assert thread is None or b not in thread, (a, b)


def test_subjects_followed_across_sessions_and_languages(threads):
    force = thread_of("cnssp-xix-14", threads)
    assert force.ids == ["cnssp-xvi-11", "cnssp-xviii-03", "cnssp-xix-14", "cnssp-xx-16"]
    assert [m.date for m in force.members] == ["2016-11-24", "2017-11-22", "2018-06-07", "2018-11-15"]
    assert "Protocolo Nacional de Uso Legítimo de la Fuerza" in force.members[2].why
    for council, conference in (("cnsp40-acuerdo-05", "cnssp-xvii-10"), ("cnsp40-acuerdo-01", "cnssp-xviii-10"),
                                ("cnsp40-acuerdo-04", "cnssp-xvi-10"), ("cnsp40-acuerdo-17", "cnssp-xviii-16"),
                                ("cnsp40-acuerdo-11", "cnssp-xix-17")):
        assert conference in thread_of(council, threads), council
    certificate = thread_of("cnsp40-acuerdo-05", threads).members
    assert any("Single Police Certificate" in m.why for m in certificate)


def test_references_and_speech_points_link(threads):
    # cnsp40-p013 hails "the decision by members of the Council to" reinforce social prevention
    prevention = thread_of("cnsp40-p013", threads)
    assert "cnsp40-acuerdo-03" in prevention
    assert next(m for m in prevention.members if m.id == "cnsp40-p013").joined == "reference"
    # the paragraphs of the president's fifth point follow its subject, the new penal justice system
    fifth = thread_of("cnsp40-p025", threads)
    assert {"cnsp40-p023", "cnsp40-p029", "cnsp40-acuerdo-02"} <= set(fifth.ids)
    assert next(m for m in fifth.members if m.id == "cnsp40-p025").joined == "point"


def test_body_names_are_not_subjects():
    text = ("agradecen la presentación del Coordinador de Asesores del Titular de la Unidad de Planeación, "
            "Prospectiva y Seguridad Privada de la Comisión Nacional de Seguridad; en tal sentido")
    spans = body_spans(text)
    assert [text[a:b] for a, b in spans] == [
        "Coordinador de Asesores del Titular de la Unidad de Planeación, Prospectiva y Seguridad Privada de la "
        "Comisión Nacional de Seguridad"]
    english = "The SNSP Executive Secretariat and the Office of the National Security Commissioner, through"
    assert "National Security Commissioner" in english[slice(*body_spans(english)[0])]


def _passage(pid: str, text: str, session: str, date: str, language: str = "es") -> Passage:
    return Passage(id=pid, source="cnssp", body="Conferencia", language=language, text=text, citation=pid,
                   position=int(pid[-1]), file="f", line=1, session=session, date_start=date, agreement=1)


def test_a_shared_body_or_generic_model_links_nothing_a_named_one_does():
    texts = {"a1": "Los miembros aprueban el Modelo Homologado de Proximidad Vecinal en las entidades.",
             "b2": "Los miembros toman nota del Modelo Homologado de Proximidad Vecinal presentado.",
             "c3": "Los miembros agradecen a la Unidad de Planeación Táctica su exposición.",
             "d4": "Los miembros solicitan a la Unidad de Planeación Táctica un informe.",
             "e5": "Se distribuye el Modelo Homologado de registro de armas."}
    dates = {"a1": "2016-01-01", "b2": "2016-06-01", "c3": "2016-06-01", "d4": "2017-01-01", "e5": "2017-01-01"}
    passages = [_passage(pid, text, "X", dates[pid]) for pid, text in texts.items()]
    threads = build_threads(passages, {}, [], rare_df=2)  # five passages: a word in three is common
    assert [t.ids for t in threads] == [["a1", "b2"]]
    assert "Proximidad Vecinal" in threads[0].members[0].why


def test_json_and_lookup_helpers(threads):
    data = json.loads(json.dumps([t.to_dict() for t in threads], ensure_ascii=False))
    first = data[0]
    assert {"id", "name", "kind", "size", "members", "first", "last"} <= set(first)
    assert {"id", "date", "citation", "title", "note", "action", "why", "evidence"} <= set(first["members"][0])
    assert Thread.from_dict(first).to_dict() == first
    assert thread_for(["cnssp-xx-02", "cnssp-xix-14"], threads) is thread_of("cnssp-xix-14", threads)
    assert thread_for(["cnssp-xx-02"], threads) is None
    assert threads_of("cnssp-xx-02", threads) == []


def test_names_and_notes_are_quoted(threads, passages):
    for thread in threads:
        named_by = passages[thread.name_from]
        assert thread.name == named_by.title or thread.name.rstrip(" …") in named_by.text
        for member in thread.members:
            assert member.note.rstrip(" …") in passages[member.id].text, member.id
            assert member.date == passages[member.id].date_start


@pytest.fixture
def cli_index(built, monkeypatch):
    monkeypatch.setenv("ACUERDOS_INDEX_DIR", str(built.directory))
    return built


def test_cli_thread_timeline_says_why(cli_index):
    from acuerdos.cli.threads import thread_command

    runner = CliRunner()
    result = runner.invoke(thread_command, ["cnssp-xix-14"])
    assert result.exit_code == 0, result.output
    out = result.output
    timeline = [re.search(r"\d{4}-\d\d-\d\d", line).group(0) for line in out.splitlines() if "[cnssp-" in line]
    assert timeline == ["2016-11-24", "2017-11-22", "2018-06-07", "2018-11-15"]
    assert "▶ 2018-06-07" in out and out.count("why linked:") == 4
    data = json.loads(runner.invoke(thread_command, ["cnssp-xix-14", "--json"]).output)
    assert data["passage"] == "cnssp-xix-14"
    assert all(m["why"] for m in data["thread"]["members"])
    assert json.loads(runner.invoke(thread_command, ["cnssp-xx-02", "--json"]).output)["thread"] is None
    missing = runner.invoke(thread_command, ["no-such-id"])
    assert missing.exit_code == 1 and "no passage or thread" in missing.output


def test_cli_threads_list_and_eval(cli_index):
    from acuerdos.cli.threads import thread_command, threads_command

    runner = CliRunner()
    listed = json.loads(runner.invoke(threads_command, ["--json"]).output)
    assert listed and all(t["size"] == len(t["members"]) >= 2 for t in listed)
    assert runner.invoke(thread_command, [listed[0]["id"]]).exit_code == 0
    result = runner.invoke(threads_command, ["--eval", "--json"])
    assert result.exit_code == 0, result.output
    figures = json.loads(result.output)
    assert set(figures["leave_one_set_out"]) == {"threads_blind_a.json", "threads_blind_b.json", "threads.json"}
    assert figures["without_evidence"] == 0 and figures["agreement"]["f1"] > 0.9
    table = runner.invoke(threads_command, ["--eval"]).output
    assert "| threads_blind_a |" in table and "Blind labellings agree" in table
