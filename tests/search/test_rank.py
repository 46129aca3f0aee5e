from __future__ import annotations

import numpy as np
import pytest

from acuerdos.errors import QuestionError
from acuerdos.index.memory import ALL_FAMILIAR
from acuerdos.search.filters import Filters, PassageTable, parse_filters, question_metadata
from acuerdos.search.rank import Searcher, Settings


def test_dense_scores_match_brute_force_cosine(small_index, fake_encoder):
    searcher = Searcher(small_index, fake_encoder)
    question = "acuerdan dialogar"
    query = fake_encoder.encode_queries([question])[0]
    brute = small_index.vectors @ query
    assert np.allclose(searcher._dense_scores(question, translations=False), brute, atol=1e-5)
    dense_only = Settings(lexical=False, metadata=False, history=False)
    ranked = [s.position for s in searcher.search(question, k=14, settings=dense_only).scored]
    assert ranked[:3] == list(np.argsort(-brute, kind="stable")[:3])


def test_filters_only_admit_matching_passages(small_index, fake_encoder):
    searcher = Searcher(small_index, fake_encoder)
    filters = parse_filters({"session": ["xvii"]}, small_index.passages)
    positions = [s.position for s in searcher.search("texto", k=10, filters=filters).scored]
    assert {small_index.passages[p].session for p in positions} == {"XVII"}


@pytest.mark.parametrize("raw, words", [
    ({"colour": "red"}, "unknown filter colour; valid filters: source, session"),
    ({"session": ["XXX"]}, "unknown session 'XXX'; valid: XVI, XVII, XVIII"),
    ({"source": "nope"}, "unknown source 'nope'; valid: rep, tab"),
    ({"year_min": "abc"}, "year must be a number"),
    ({"place": "Atlantis"}, "unknown place 'Atlantis'"),
])
def test_unknown_filters_name_the_valid_ones(small_index, raw, words):
    with pytest.raises(QuestionError, match=words.replace("(", r"\(")):
        parse_filters(raw, small_index.passages)


def test_filters_admit_by_year_and_place(small_index):
    filters = Filters(year_min=2017, place="peñasco")
    admitted = {p.id for p in small_index.passages if filters.admits(p)}
    assert admitted == {f"tab-xviii-0{n}" for n in range(1, 5)}


@pytest.mark.parametrize("question, sessions, years, places", [
    ("¿Qué acordó la XIX Asamblea sobre criptoactivos?", {"XIX"}, set(), set()),
    ("what did the 16th plenary agree", {"XVI"}, set(), set()),
    ("acuerdos de junio de 2017 en Morelia", set(), {2017}, {"morelia"}),
    ("¿Y en la XIX?", {"XIX"}, set(), set()),
])
def test_question_metadata(real_corpus, question, sessions, years, places):
    meta = question_metadata(question, real_corpus.passages)
    assert (meta.sessions, meta.years, meta.places) == (sessions, years, places)


def test_ordinal_points(real_corpus):
    assert question_metadata("What was his second point?", real_corpus.passages).points == {2}


@pytest.mark.parametrize("question, asks_about, sessions", [
    ("¿Qué se acordó sobre el Informe Policial Homologado en la sesión 40 del Consejo Nacional?",
     "¿Qué se acordó sobre el Informe Policial Homologado en la ?", {"XL"}),
    ("What has the secretaries' conference said about pretrial detention?",
     "What has the said about pretrial detention?", set()),
    # The body named second is the topic, not the speaker, so it stays.
    ("How did the secretaries' conference follow up on National Public Security Council agreements?",
     "How did the follow up on National Public Security Council agreements?", set()),
    # A session the corpus does not have is what the question asks about: "21st" stays.
    ("Which state will host the 21st plenary of the conference?",
     "Which state will host the 21st of ?", set()),
    # "de Michoacán" is the topic; "en Morelia" is a venue.
    ("modelo policial de Michoacán presentado en Morelia en 2017", "modelo policial de Michoacán presentado", set()),
])
def test_metadata_is_cut_out_of_the_content_query(real_corpus, question, asks_about, sessions):
    meta = question_metadata(question, real_corpus.passages)
    assert meta.without(question) == asks_about
    assert meta.sessions == sessions


def test_bodies_are_recognised_in_either_language(real_corpus):
    council = "Consejo Nacional de Seguridad Pública"
    conference = "Conferencia Nacional de Secretarios de Seguridad Pública"
    assert question_metadata("the Council's 40th session", real_corpus.passages).bodies == {council}
    assert question_metadata("¿Qué dijo el Consejo?", real_corpus.passages).bodies == {council}
    assert question_metadata("¿Qué acordó la CNSSP?", real_corpus.passages).bodies == {conference}
    assert question_metadata("what did the plenary agree", real_corpus.passages).bodies == {conference}


@pytest.mark.parametrize("follow_up, sessions", [
    ("¿Y qué pasó con ese protocolo en la asamblea siguiente?", {"XX"}),
    ("And at the previous session?", {"XVIII"}),
    ("And what did they do next?", {"XIX"}),  # no session word: nothing relative, the XIX carries over
])
def test_relative_sessions_count_from_the_conversation(real_corpus, follow_up, sessions):
    earlier = question_metadata("¿Qué se aprobó sobre el uso de la fuerza en la XIX Asamblea?", real_corpus.passages)
    assert question_metadata(follow_up, real_corpus.passages).or_else(earlier).sessions == sessions


@pytest.mark.parametrize("follow_up, sessions, places", [
    ("¿Y en Morelia?", set(), {"morelia"}),  # the session that met there, not the XV before it
    ("And in the XVII?", {"XVII"}, set()),
    ("¿Y quién lo presentó?", {"XV"}, set()),  # nothing named: the XV carries over
])
def test_a_follow_up_naming_where_a_session_met_no_longer_means_the_session_before(real_corpus, follow_up,
                                                                                     sessions, places):
    earlier = question_metadata("¿Qué acordó la XV Asamblea sobre los derechos humanos?", real_corpus.passages)
    meta = question_metadata(follow_up, real_corpus.passages).or_else(earlier)
    assert (meta.sessions, meta.places) == (sessions, places)


@pytest.mark.parametrize("question, sessions", [
    ("modelo policial Michoacán", {"XVII", "XIX"}),  # the session held there, and the XIX's passage about it
    ("¿Qué se acordó en Michoacán?", {"XVII"}),  # "en Michoacán": where a session met, only
])
def test_a_place_named_as_a_subject_matches_the_passages_that_name_it(real_corpus, question, sessions):
    passages = real_corpus.passages
    shares = question_metadata(question, passages).shares(PassageTable.of(passages))
    assert {p.session for p, share in zip(passages, shares, strict=True) if share == 1.0} == sessions


@pytest.mark.parametrize("earlier, follow_up, expected", [
    ("What did the XVIII plenary say about the national protocol on the use of force?", "And in the 16th?",
     "cnssp-xvi-11"),
    ("¿Quién presentó el Modelo Policial de Michoacán en la XIX Asamblea?",
     "¿Y en la asamblea de Morelia qué expuso ese mismo funcionario?", "cnssp-xvii-05"),
])
def test_what_a_follow_up_names_itself_outweighs_the_turn_before(real_assistant, earlier, follow_up, expected):
    from acuerdos.search.rank import Settings

    assert real_assistant.ask(follow_up, [earlier]).results[0].id == expected
    without = real_assistant.ask(follow_up, [earlier], settings=Settings(metadata_here_weight=0.0))
    assert without.results[0].id != expected


def test_a_follow_up_of_a_follow_up_leans_on_the_question_that_started_it():
    from acuerdos.search.query import conversation

    history = ["¿Qué se acordó sobre Plataforma México?", "What did the Council agree about private security?",
               "And what did the CNSSP do about it later?"]
    assert conversation(history) == history[1:]
    assert conversation(history[:2]) == history[1:2]
    assert conversation([]) == []


def test_speakers_are_read_from_the_question_and_cut_from_the_content(real_corpus):
    meta = question_metadata("¿Qué advirtió Peña Nieto sobre los errores en las detenciones?", real_corpus.passages)
    assert meta.speakers == {"Enrique Peña Nieto"}
    assert meta.without("¿Qué advirtió Peña Nieto sobre los errores en las detenciones?") == \
        "¿Qué advirtió sobre los errores en las detenciones?"
    assert question_metadata("Osorio Chong's remarks", real_corpus.passages).speakers == {"Miguel Ángel Osorio Chong"}
    assert question_metadata("sales of stolen cars", real_corpus.passages).speakers == set()
    speeches = {p.speaker for p in real_corpus.passages if p.source == "cnsp40"}
    assert speeches == {"", "Enrique Peña Nieto", "Miguel Ángel Osorio Chong", "Renato Sales Heredia"}


def test_a_follow_ups_own_words_outweigh_the_conversation_in_bm25(small_index, fake_encoder):
    """The earlier question says what the conversation is about; the follow-up, what is asked now."""
    searcher = Searcher(small_index, fake_encoder)
    lexical_only = Settings(dense=False, metadata=False)
    history = ["¿Qué búsqueda, qué búsqueda y qué diagnóstico?"]  # "búsqueda" twice: tab-xviii-01

    def first(settings: Settings) -> str:
        scored = searcher.search("¿Y el diagnóstico?", k=3, history=history, settings=settings).scored
        return small_index.passages[scored[0].position].id

    assert first(lexical_only) == "tab-xvii-02"  # Diagnóstico
    assert first(Settings(dense=False, metadata=False, earlier_weight=1.0)) == "tab-xviii-01"  # Búsqueda


@pytest.mark.parametrize("question, points", [
    ("What was the fourth one?", {4}),
    ("¿Y la quinta?", {5}),
    ("And the second?", {2}),
    ("¿Qué se acordó en la primera sesión sobre la capacitación de los policías estatales?", set()),
])
def test_an_ordinal_alone_is_a_point_only_in_a_short_question(real_corpus, question, points):
    assert question_metadata(question, real_corpus.passages).points == points


def test_a_session_the_corpus_lacks_is_out_of_range(real_assistant):
    answer = real_assistant.ask("What agreements did the National Public Security Council approve at its 41st session?")
    assert answer.abstained
    assert answer.answer.startswith("The corpus has no documents from session XLI. The documents in the corpus do not")
    assert real_assistant.ask("¿Qué acordó la Conferencia en 2020?").answer.startswith(
        "El corpus no tiene documentos de 2020.")
    assert not real_assistant.ask("What did the Council approve at its 40th session on the police report?").abstained
    assert not real_assistant.ask("¿Qué se acordó en las 2 sesiones de 2017 sobre el 911?").abstained


def test_an_agreement_number_beyond_a_sessions_last_is_not_answered(real_assistant):
    lacking = real_assistant.ask("What was agreement number 14 of the XVI plenary assembly?")
    assert lacking.abstained and lacking.reason == "no_agreement"
    assert lacking.answer.startswith("Session XVI has 11 agreements: there is no agreement 14.")
    assert real_assistant.ask("¿Cuál fue el acuerdo 19 de la XX Asamblea Plenaria?").answer.startswith(
        "La sesión XX tiene 18 acuerdos: no hay un acuerdo 19.")
    last = real_assistant.ask("¿Cuál fue el acuerdo 18 de la XX Asamblea Plenaria?")
    assert not last.abstained and last.results[0].id == "cnssp-xx-18"


@pytest.mark.parametrize("text, named", [
    ("Interior Secretary Miguel Ángel Osorio Chong said", True),
    ("President Enrique Peña Nieto said", True),  # a title first: "Enrique" is still read
    ("Comisionado Renato Sales Heredia", True),
    ("Monterrey Mayor Adrián de la Garza Santos attended", True),
    ("la Coordinadora Nacional Antisecuestro presentó", False),
    ("el Secretario de Seguridad Pública del estado de Quintana Roo propuso", False),
    ("the Federal Institute of Telecommunications", False),
])
def test_a_person_is_named_by_a_first_name_not_by_a_role(text, named):
    from acuerdos.search.rank import names_a_person

    assert names_a_person(text) is named


def test_a_name_no_passage_gives_is_not_answered(real_assistant):
    lacking = real_assistant.ask("What's the name of the Quintana Roo security secretary who offered to host "
                                 "the XXI plenary?")
    assert lacking.abstained and lacking.reason == "no_person"
    mayor = real_assistant.ask("What is the name of the Monterrey mayor who attended the 40th session?")
    assert not mayor.abstained and "Adrián de la Garza Santos" in mayor.results[0].text


def test_a_date_no_passage_gives_is_not_answered(real_assistant):
    lacking = real_assistant.ask("When will the biometric prisoner registers be up and running?")
    assert lacking.abstained and lacking.reason == "no_date"
    assert "it does not give the date asked for" in lacking.answer
    stated = real_assistant.ask("By what date was 911 supposed to be fully up and running nationwide?")
    assert not stated.abstained and "2017" in stated.results[0].text
    held = real_assistant.ask("¿Cuándo sesionó la XVII Asamblea Plenaria?")  # the citation gives the date
    assert not held.abstained and held.results[0].session == "XVII"
    # a session the corpus only announces has no citation: the passage that names it gives no date
    announced = real_assistant.ask("¿En qué fecha se realizó la XXI Asamblea Plenaria?")
    assert announced.abstained and announced.reason == "no_date"


def test_a_place_no_passage_gives_is_not_answered_but_a_sessions_own_act_has_its_citations(real_assistant):
    lacking = real_assistant.ask("Where will the Second National Meeting of C4/C5 take place?")
    assert lacking.abstained and lacking.reason == "no_place"
    assert "it does not name the place asked for" in lacking.answer
    approved = real_assistant.ask("In which city did the secretaries approve a standardized biometric and "
                                  "ballistic registration process?")  # the citation names the city
    assert not approved.abstained


def test_where_a_session_met_is_the_passage_that_says_it_else_its_citation(real_assistant):
    council = real_assistant.ask("Where was the 40th session of the National Public Security Council held?")
    assert not council.abstained and "Treasury Hall of the National Palace" in council.results[0].text
    plenary = real_assistant.ask("¿Dónde se realizó la XV Asamblea Plenaria de la CNSSP?")
    assert plenary.results[0].id == "cnssp-xv-01" and "Mérida" in plenary.answer


def test_the_last_agreement_of_a_session_is_its_highest_number(real_assistant):
    assert real_assistant.ask("¿Cuál fue el último acuerdo de la XIX Asamblea?").results[0].id == "cnssp-xix-20"
    assert real_assistant.ask("What was the last agreement approved at the 40th National Public Security "
                              "Council?").results[0].id == "cnsp40-acuerdo-17"


def test_a_meeting_named_by_its_place_or_month_is_the_session_held_there(real_assistant):
    place = real_assistant.ask("¿En qué fecha se reunieron los secretarios en Puerto Peñasco?")
    assert place.answer.startswith("Las fuentes registran la sesión así: CNSSP, XVIII Asamblea Plenaria (Puerto")
    month = real_assistant.ask("¿Dónde se llevó a cabo la reunión de la Conferencia de junio de 2018?")
    assert month.results[0].id == "cnssp-xix-01"
    spelled_out = real_assistant.ask("When did the XVIII Plenary Assembly of the security secretaries take place?")
    assert spelled_out.results[0].id == "cnssp-xviii-01"


def test_where_the_session_just_found_met(real_assistant):
    answer = real_assistant.ask("And where was that session held?",
                                ["Which session created the cybersecurity committee?"])
    assert answer.answer.startswith("The sources record the session as: CNSSP, XVIII Asamblea Plenaria")


def test_a_question_none_of_whose_words_the_corpus_uses_is_not_answered(real_assistant):
    recipe = real_assistant.ask("¿Cuál es la receta del mole?")
    assert recipe.abstained and recipe.answer.startswith("Ningún pasaje usa «receta» ni «mole».")
    drones = real_assistant.ask("What was agreed about drones?")  # "agreed" says nothing of the subject
    assert drones.abstained and drones.answer.startswith("No passage uses «drones».")
    # words the corpus never writes, but near words it does: "fentanyl" is near "fentanilo"
    for question in ("What about fentanyl?", "cryptocurrencies", "¿Qué se acordó sobre el fentanilo?"):
        assert not real_assistant.ask(question).abstained, question


def test_an_ask_embeds_its_question_words_and_names_once(real_assistant, monkeypatch):
    """The question has its own run; the words the corpus never uses (word bridges, the answerability
    features' word links) and the names the evidence places are embedded once each, keyed apart in the cache:
    in one more run on fp32 ONNX, one run each on int8 (onnx-mixed), whose activations are quantized per run.
    A word the lexicon holds ("ukraine") is read from the index, with the vector its own run would give."""
    encoder = real_assistant.searcher.encoder
    lexicon = real_assistant.index.lexicon
    assert "ukraine" in lexicon.position and "cryptocurrencies" not in lexicon.position
    runs = []
    encode = encoder.model.encode
    monkeypatch.setattr(encoder.model, "encode", lambda texts, *args, **kwargs: (runs.append(list(texts)),
                                                                                encode(texts, *args, **kwargs))[1])
    question = "What did the Council agree with Ukraine about cryptocurrencies?"
    words = ["query: Ukraine", "query: cryptocurrencies"]
    encoder._cache.clear()
    real_assistant.ask(question)
    batched = encoder.backend == "onnx"
    assert runs[0] == [f"query: {question}"]
    assert runs[1:] == [words] if batched else sorted(runs[1:]) == sorted([w] for w in words), runs
    count = len(runs)
    cached = encoder.encode_queries(["Ukraine"]), encoder.encode_words(["cryptocurrencies"])
    assert len(runs) == count  # cache hits
    encoder._cache.clear()
    alone = encoder.encode_queries(["Ukraine"]), encoder.encode_words(["cryptocurrencies"])
    for vectors, own in zip(cached, alone, strict=True):
        assert np.abs(vectors - own).max() < (1e-6 if batched else 1e-12)
    own_run = encoder.encode_words(["ukraine"])[0]
    assert np.abs(lexicon.vectors[lexicon.position["ukraine"]] - own_run).max() < (1e-6 if batched else 1e-12)


def test_quantities_leave_out_years_dates_codes_and_the_questions_own_numbers():
    from acuerdos.search.rank import quantities

    text = "First: the emergency number 911 will operate as of October 3 in 16 states, by June 1 2017."
    assert quantities(text, "How many states did the 911 line reach first?") == ["16"]
    assert quantities("the president announced five measures", "How many measures did he announce?") == ["5"]
    assert quantities("a three-member panel", "How many members are on the panel?") == ["3"]
    assert quantities("a three-member panel", "How many calls?") == []
    assert quantities("las cinco medidas", "¿Cuántas de las cinco medidas se aplicaron?") == []  # its own number
    assert quantities(text, "How much will the 911 line serve?") == ["16"]  # a number of anything
    assert quantities("celebrada el pasado 30 de agosto de 2016, en atención al acuerdo 19/XI/16", "¿Cuántos?") == []
    assert quantities("42% of homicides in 2% of the municipalities", "how many") == []  # shares, not counts
    assert quantities("42% of homicides in 2% of the municipalities", "what share") == ["42", "2"]
    assert quantities("las llamadas falsas al 9-1-1", "¿Cuántas llamadas recibió el 911?") == []


@pytest.mark.parametrize("text, question, stated", [
    ("the 911 line will operate in 16 states", "How much did the 911 line cost?", []),
    ("in the 32 states, with standardized criteria", "What is the salary of a federal police officer?", []),
    ("un salario mensual de 15,000 pesos", "¿Cuál es el salario de un policía?", ["15,000"]),
    ("a budget of $5 million for the units", "What was the budget for the cyber police?", ["5"]),
    ("se destinaron dos mil millones de pesos", "¿Qué presupuesto se asignó?", ["2000"]),
])
def test_a_salary_or_budget_is_an_amount_of_money(text, question, stated):
    from acuerdos.search.rank import quantities

    assert quantities(text, question) == stated


def test_a_count_of_something_else_does_not_answer_how_many():
    from acuerdos.search.rank import quantities

    text = "First: the emergency number 911 will operate as of October 3 in 16 states, by June 1 2017."
    assert quantities(text, "How many calls did the 911 line receive?") == []
    assert quantities(text, "¿En cuántas entidades empezó el 911?") == ["16"]  # the states' other name
    assert quantities("se asignaron 50 municipios prioritarios", "¿Cuántos municipios?") == ["50"]
    assert quantities("in 16 states and 3,000 officers", "How many police officers?") == ["3,000"]
    share = "42% of intentional homicides are committed in just 2% of municipalities"
    assert quantities(share, "How many intentional homicides were recorded?") == []  # a share is not a count
    assert quantities(share, "What percentage of homicides happen there?") == ["42", "2"]


@pytest.mark.parametrize("question, texts, lacking", [
    ("How many states did the 911 line reach?", ["The 911 line will operate in 16 states."], False),
    ("How many calls did the 911 line receive?", ["The 911 line will operate in 16 states."], True),
    ("How many calls did the 911 line receive?", ["The 911 line will operate by June 1 2017."], True),
    ("¿Qué resultados tuvo la reunión conjunta?", ["acuerdan realizar una reunión conjunta en febrero"], True),
    ("What were the outcomes of the meeting?", ["The results were presented to the Council."], False),
    ("What happened as a result of the reform?", ["The reform was approved."], False),  # not asking for results
    ("¿Desde hace cuánto tiempo es una prioridad?", ["desde el inicio de la administración"], False),  # a duration
    ("How many agreements were approved on the 911 line?", ["They agree to the 911 line."], False),  # listed
    ("¿Dónde se va a celebrar la reunión de C4/C5?", ["acuerdan realizar la Segunda Reunión de C4/C5"], True),
    ("Which state's secretary presented it?", ["el Secretario del estado de Quintana Roo presentó"], False),
    ("And where would the money for it come from?", ["a fund will be created"], False),  # not a place
    ("In which city will the meeting be held?", ["the meeting will be held in Mexico City"], False),
    ("Who was the Attorney General at the time?", ["the Attorney General's Office was instructed"], True),
    ("¿Quién encabeza el comité?", ["se crea el Comité de Ciberseguridad"], True),
    ("Who was the mayor of Monterrey?", ["Monterrey Mayor Adrián de la Garza Santos attended"], False),
    ("¿Qué opinaron los diputados del protocolo?", ["se aprueba el protocolo"], True),
    ("What did the secretaries think of the law?", ["they set out their stance on the law"], False),
    ("¿Cómo llegan sus solicitudes de opinión?", ["a través de los coordinadores regionales"], False),
    ("What is the salary of a federal police officer?", ["a standardized model for cyber police units"], True),
    ("¿Cuál es la tasa de homicidios?", ["42% of intentional homicides are committed in 2% of municipalities"], False),
    # ordinary questions the cue words must not read as asking a figure, a place or an opinion
    ("¿Qué se acordó en cuanto a la dignificación policial?", ["se aprueba la dignificación policial"], False),
    ("¿En qué estado se encuentra el protocolo?", ["se aprueba el protocolo"], False),
    ("What state is the 911 project in?", ["the 911 project was approved"], False),
    ("¿Qué se acordó sobre la infraestructura crítica?", ["protección de infraestructura crítica"], False),
    ("What was agreed on cost-sharing?", ["the states agree to share costs"], False),
    ("What did they say about it?", ["a comparison of no later than June"], False),
    ("Compare what the XIX and the XX agreed on it.", ["se aprueba el modelo"], False),  # both passages, asked for
    ("What is the budget for the biometric registry?", ["the registry will be designed"], True),
    ("What was agreed on budget items?", ["they agree to move funds between items"], False),
    ("What is the peso to dollar exchange rate?", ["toman nota del caso de éxito"], True),  # the example
])
def test_a_question_asking_for_a_number_results_a_name_or_a_place_needs_a_text_stating_one(question, texts, lacking):
    from acuerdos.search.query import asked_answers
    from acuerdos.search.rank import lacks_asked_answer

    assert bool(lacks_asked_answer(asked_answers(question), question, texts)) is lacking


@pytest.mark.parametrize("question, own_act", [
    ("When did the conference approve its own bylaws?", True),
    ("¿Cuándo fue aprobado el Modelo Nacional de Policía?", True),
    ("¿Cuándo se creó la Red Nacional de Analistas?", True),
    ("When will the biometric prisoner registers be created?", False),  # what will happen: no citation says
    ("¿Qué estados firmaron el convenio?", False),  # signing is not the session's act
])
def test_a_sessions_own_act_is_dated_and_placed_by_its_citation_alone(question, own_act):
    from acuerdos.search.query import about_own_act, asked_answers
    from acuerdos.search.rank import lacks_asked_answer

    assert about_own_act(question) is own_act
    citation = ["CNSSP, XV Asamblea Plenaria (Mérida, Yucatán, 17–18 ago 2016), Acuerdo Noveno Mérida"]
    asks = asked_answers(question) | {"date"}
    assert lacks_asked_answer(asks, question, ["se aprueban los Estatutos"], citation) == ""
    assert lacks_asked_answer(asks, question, ["se aprueban los Estatutos"]) == "date"
    # the citation's numbers are no figure: "7–8 jun 2017" does not say how much was approved
    figure = frozenset({"number"})
    assert lacks_asked_answer(figure, "¿Cuánto se aprobó?", ["se aprueba el fondo"], citation) == "number"


@pytest.mark.parametrize("question, named", [
    ("Who was the Attorney General at the time?", True),
    ("¿Quién era el gobernador de Nuevo León?", True),
    ("Who heads the committee?", True),
    ("Who is the body in charge of the National Registry of Detainees?", False),  # no role: maybe an institution
    ("¿Quién es el responsable de coordinar el 911?", False),
    ("Who were the participants of the XX plenary?", False),
    ("Who was governor of Coahuila when the XX plenary met?", True),
    ("¿Quién fue elegido como la persona que encabezaría el comité?", True),
    ("Which governors elect were there, by name?", True),
])
def test_who_asks_a_persons_name_when_it_asks_who_held_a_role(question, named):
    from acuerdos.search.query import asks_name

    assert asks_name(question) is named


def test_the_results_of_a_meeting_the_agreements_only_plan_are_not_in_the_corpus(real_assistant):
    answer = real_assistant.ask("What were the results of the joint meeting with the attorneys general?")
    assert answer.abstained
    assert answer.answer.startswith("The nearest passage is about this subject, but it reports no results")
    assert not real_assistant.ask("¿Se acordó una reunión conjunta con los procuradores de justicia?").abstained
    # a session's agreements are its outcomes
    outcomes = "What were the outcomes of the 40th session of the National Public Security Council?"
    assert not real_assistant.ask(outcomes).abstained


@pytest.mark.parametrize("question, strict", [
    ("What was agreed at the 41st session?", {"XLI"}),
    ("What was agreed at the 41st assembly?", {"XLI"}),
    ("What was agreed about the 2nd national meeting of C4/C5?", set()),  # a meeting, not a session
    ("What did the 3rd ordinary session of December 2017 approve?", set()),
    ("¿Qué se aprobó en la sesión 30 de agosto de 2016?", set()),  # a date, not session 30
])
def test_only_plain_session_ordinals_can_put_a_question_out_of_range(question, strict):
    from acuerdos.search.filters import named_sessions

    assert named_sessions(question) == strict


def test_a_speaker_is_named_by_a_surname_not_by_shared_first_names(real_corpus):
    assert question_metadata("¿Qué dijo Miguel Ángel Mancera?", real_corpus.passages).speakers == set()
    assert question_metadata("¿Qué dijo Miguel Ángel Osorio Chong?", real_corpus.passages).speakers == \
        {"Miguel Ángel Osorio Chong"}


def test_a_relative_session_the_corpus_lacks_is_out_of_range(real_assistant):
    before_the_first = real_assistant.ask("¿Y la asamblea anterior?",
                                          history=["¿Qué se acordó en la XV Asamblea sobre el 911?"])
    assert before_the_first.abstained


@pytest.mark.parametrize("question, another", [
    ("¿Y se aprobó finalmente?", True), ("And what was agreed at the next assembly?", True),
    ("And what had been agreed before?", True), ("¿Y qué pasó después con ese protocolo?", True),
    ("¿Y quién lo presentó?", False), ("Which fund would pay for it?", False),
])
def test_a_follow_up_asking_for_another_step_is_told_from_one_asking_a_detail(question, another):
    from acuerdos.search.query import asks_another_step

    assert asks_another_step(question) is another


def test_a_follow_up_asking_what_came_next_does_not_repeat_the_answer_so_far(real_assistant):
    from acuerdos.search.rank import Settings

    first = "¿Qué se acordó sobre la regulación del uso de la fuerza en la XVIII Asamblea?"
    answer_so_far = real_assistant.ask(first).results[0]
    follow_up = "¿Y qué pasó después con ese protocolo?"
    without_novelty = real_assistant.ask(follow_up, history=[first], settings=Settings(novelty=0.0)).results
    assert without_novelty[0].id == answer_so_far.id  # what the lever is for
    next_step = real_assistant.ask(follow_up, history=[first], k=10).results
    assert next_step[0].id != answer_so_far.id
    assert answer_so_far.id in [hit.id for hit in next_step]  # still there, lower down


@pytest.mark.parametrize("question, agreed", [
    ("¿Qué acuerdos se tomaron en la XXI Asamblea?", True), ("What did the 41st session approve?", True),
    ("¿Qué se acordó sobre la XXI Asamblea?", False), ("¿Dónde será la XXI Asamblea?", False),
    ("What did the XXI Plenary Assembly agree regarding the National Police Day?", True),  # about the day
    ("¿y qué se acordó sobre eso en la XXI Asamblea?", True), ("What was agreed about the XXI plenary?", False),
])
def test_what_a_session_agreed_is_told_from_what_is_said_about_it(question, agreed):
    from acuerdos.search.query import asks_what_was_agreed

    assert asks_what_was_agreed(question) is agreed


def test_what_a_session_the_corpus_only_announces_agreed_is_not_in_the_corpus(real_assistant):
    lacking = real_assistant.ask("¿Qué acuerdos se tomaron en la XXI Asamblea Plenaria?")
    assert lacking.abstained and lacking.reason == "out_of_range"
    assert lacking.answer.startswith("El corpus no tiene documentos de la sesión XXI.")
    regarding = real_assistant.ask("What did the XXI Plenary Assembly agree regarding the National Police Day?")
    assert regarding.abstained and regarding.reason == "out_of_range"
    venue = real_assistant.ask("¿En qué estado se celebrará la XXI Asamblea Plenaria?")
    assert not venue.abstained and "Quintana Roo" in venue.results[0].text


def test_an_uncommon_word_no_answered_question_uses_is_unfamiliar(real_assistant):
    drones = real_assistant.searcher.search("What was agreed about drones?").evidence
    declared = real_assistant.searcher.search("Which day was declared National Police Day?").evidence
    opioids = real_assistant.searcher.search("What was agreed about synthetic opioids?").evidence
    assert drones.familiarity == 0.0  # no passage uses it, it is not a common word, no answered question asks it
    # no passage uses it and no answered question asks it, but it is a common word: as if known
    assert declared.unknown_share > 0 and declared.familiarity == ALL_FAMILIAR
    assert 0.0 < opioids.familiarity < ALL_FAMILIAR  # answered questions ask about opioids


def test_a_follow_ups_words_are_judged_with_its_conversation(real_assistant):
    earlier = ["¿Qué se acordó sobre las unidades de análisis de las policías estatales?"]
    question = "And where does the money come from?"  # "money", "come": no passage uses them

    alone = real_assistant.searcher.search(question).evidence
    followed = real_assistant.searcher.search(question, history=earlier).evidence

    assert alone.unknown_share == 1.0
    assert followed.unknown_share < real_assistant.calibration.max_unknown_share
    assert not real_assistant.ask(question, history=earlier).abstained


@pytest.mark.parametrize("question, held", [
    ("¿Cuándo se celebró la XVII Asamblea?", True),
    ("¿En qué ciudad fue la XIX Asamblea?", True),
    ("Where did the XVII assembly take place?", True),
    ("Which city hosted the XX Asamblea?", True),
    ("¿Qué se acordó en la XVII Asamblea?", False),
    ("¿Cuándo fue aprobado el protocolo en la XIX Asamblea?", False),  # when it was approved, not held
    ("When will the 911 number operate?", False),
])
def test_asks_when_or_where_a_session_was_held(question, held):
    from acuerdos.search.query import asks_when_or_where_held

    assert asks_when_or_where_held(question) is held


def test_when_and_where_a_session_was_held_is_answered_by_its_citation(real_assistant):
    answer = real_assistant.ask("¿Cuándo se celebró la XVII Asamblea Plenaria?")
    assert not answer.abstained
    assert answer.results[0].session == "XVII"
    assert answer.answer == f"Las fuentes registran la sesión así: {answer.results[0].citation} [1]"
    assert "7–8 jun 2017" in answer.answer and "Morelia" in answer.answer

    english = real_assistant.ask("Where was the 18th plenary assembly held?")
    assert english.results[0].session == "XVIII" and english.answer.startswith("The sources record the session as:")
    # the Council's 40th session is dated from another document: its passages are not pushed up as an answer
    council = real_assistant.ask("On what date was the 40th ordinary session of the Council held?")
    assert not council.answer.startswith("The sources record")


@pytest.mark.parametrize("question, session", [
    ("¿Qué acuerdos se tomaron en la XVIII Asamblea Plenaria?", "XVIII"),
    ("List the agreements of the XX plenary assembly", "XX"),
    ("What agreements did the Council approve at its 40th session?", "XL"),
    ("¿Qué se acordó en la XIX Asamblea sobre el fentanilo?", ""),  # a subject: searched, not listed
    ("What was agreed at the 2017 assemblies?", ""),  # no single session
    ("¿Qué acuerdos se tomaron en la XXI Asamblea?", ""),  # not in the corpus
])
def test_a_question_asking_for_a_sessions_agreements_names_it(real_assistant, question, session):
    assert listed(real_assistant, question) == session


def test_a_sessions_agreements_are_listed_in_order_with_their_titles(real_assistant):
    answer = real_assistant.ask("¿Qué acuerdos se tomaron en la XVIII Asamblea Plenaria?")
    in_session = [p for p in real_assistant.index.passages if p.session == "XVIII"]

    assert not answer.abstained
    assert [hit.agreement for hit in answer.results] == sorted(p.agreement for p in in_session)
    assert answer.answer.startswith("Los acuerdos de la sesión XVIII, en orden: ")
    for hit in answer.results:
        assert f"«{hit.title}» [{hit.rank}]" in answer.answer


def test_after_a_sessions_list_another_session_is_listed_too(real_assistant):
    listing = ["¿Qué acuerdos se tomaron en la XVIII Asamblea Plenaria?"]
    assert listed(real_assistant, "¿Y en la XIX?", listing) == "XIX"
    assert listed(real_assistant, "¿Y en la XX?", [*listing, "¿Y en la XIX?"]) == "XX"
    assert listed(real_assistant, "¿Y en la XIX sobre fentanilo?", listing) == ""
    assert listed(real_assistant, "¿Y en la XIX?", ["¿Qué se acordó sobre el fentanilo?"]) == ""


@pytest.mark.parametrize("question, numbers", [
    ("¿Cuál fue el primer acuerdo de la XX Asamblea?", {1}),
    ("What was the fifth agreement of the XV plenary?", {5}),
    ("Acuerdo Décimo Segundo de la XIX Asamblea", {12}),
    ("el acuerdo decimoprimero", {11}),
    ("¿Qué dice el acuerdo 14 de la XIX?", {14}),
    ("the 3rd agreement of the 40th session", {3}),
    ("en cumplimiento al Acuerdo 14/XLIII/17", set()),  # a Council agreement's code, not a number here
    ("What agreements were approved?", set()),
])
def test_agreement_numbers_in_a_question(question, numbers):
    from acuerdos.search.filters import agreement_numbers

    assert agreement_numbers(question) == numbers


@pytest.mark.parametrize("question, session, agreement", [
    ("¿Cuál fue el primer acuerdo de la XX Asamblea?", "XX", 1),
    ("What was the fifth agreement of the XV plenary?", "XV", 5),
    ("Acuerdo Décimo Segundo de la XIX Asamblea", "XIX", 12),
    ("the 3rd agreement of the 40th session", "XL", 3),
])
def test_an_agreement_named_by_session_and_number_comes_first(real_assistant, question, session, agreement):
    first = real_assistant.ask(question).results[0]
    assert (first.session, first.agreement) == (session, agreement)


def test_the_agreements_of_a_place_or_a_place_and_year_are_those_of_its_session(real_assistant):
    assert listed(real_assistant, "¿Qué se acordó en Mérida?") == "XV"
    assert listed(real_assistant, "¿Qué acuerdos se tomaron en Querétaro en 2016?") == "XVI"
    assert listed(real_assistant, "What was agreed in 2017?") == ""  # two sessions
    assert listed(real_assistant, "¿Qué se acordó sobre Michoacán?") == ""  # a subject


def test_the_one_session_a_question_names_wins_over_a_closer_passage_of_another(real_assistant):
    first = real_assistant.ask("¿Qué se acordó sobre el protocolo de uso de la fuerza en la XVI Asamblea?").results[0]
    assert first.session == "XVI" and "uso de la fuerza" in first.title.lower()


def test_a_follow_up_asking_a_detail_keeps_the_answer_so_far(real_assistant):
    first = "¿Qué se acordó sobre las licencias de conducir?"
    answer_so_far = real_assistant.ask(first).results[0]
    which_session = real_assistant.ask("¿Y en qué sesión?", history=[first, "¿Quién lo presentó?"]).results[0]
    assert which_session.id == answer_so_far.id  # not the report's "the following agreements were approved:"


@pytest.mark.parametrize("question, detail", [
    ("¿Y en qué sesión?", True), ("Who presented it?", True), ("When was that?", True),
    ("¿Y se aprobó finalmente?", False), ("What did the conference agree about cryptocurrencies and who spoke?", False),
])
def test_asks_a_detail(question, detail):
    from acuerdos.search.query import asks_a_detail

    assert asks_a_detail(question) is detail


def listed(real_assistant, question: str, history: list[str] | None = None) -> str:
    searcher = real_assistant.searcher
    return searcher.listed_session(searcher.understand(question, history))


def test_each_candidate_carries_its_cosine_to_the_nearest_labelled_question_it_answers(real_assistant):
    from acuerdos.search.answerability import FEATURES, candidate_features

    searcher = real_assistant.searcher
    column = FEATURES.index("remembered")
    query = searcher.understand("¿Qué se acordó sobre el fentanilo?", [])
    result = searcher.search(query)
    rows = candidate_features(searcher, query, result)
    memory = real_assistant.index.memory
    expected = memory.best(searcher.encoder.encode_queries([query.text]), len(real_assistant.index.passages))
    assert rows[:, column] == pytest.approx([expected[s.position] for s in result.scored], abs=1e-5)
    assert rows[0, column] > 0.9  # labelled questions ask just this about the fentanyl passage
    # a follow-up's words name a passage only with its conversation: no remembered question is compared
    follow = searcher.understand("¿Y en la XIX?", ["¿Qué se acordó sobre el fentanilo?"])
    assert not candidate_features(searcher, follow, searcher.search(follow))[:, column].any()


def test_each_candidate_carries_how_much_of_the_named_session_it_matches(real_assistant):
    from acuerdos.search.answerability import FEATURES, candidate_features

    searcher = real_assistant.searcher
    column = FEATURES.index("metadata_match")

    def matches(question: str) -> dict[str, float]:
        query = searcher.understand(question, [])
        result = searcher.search(query)
        rows = candidate_features(searcher, query, result)
        sessions = [real_assistant.index.passages[s.position].session for s in result.scored]
        return dict(zip(sessions, rows[:, column], strict=True))

    named = matches("¿Qué acordó la XX Asamblea Plenaria sobre la Medalla al Mérito Policial?")
    assert named.get("XX") == 1.0
    assert {value for session, value in named.items() if session != "XX"} <= {0.0}
    assert set(matches("¿Qué se acordó sobre la Medalla al Mérito Policial?").values()) == {-1.0}  # none named


def test_what_was_decided_about_the_conversations_subject_is_not_a_listing(real_assistant):
    assert listed(real_assistant, "¿Qué acuerdos se tomaron en la XVIII Asamblea?") == "XVIII"
    assert listed(real_assistant, "¿Y en la XVII?", ["¿Qué acuerdos se tomaron en la XV Asamblea?"]) == "XVII"
    topic = ["licencias de conducir con datos biometricos yucatan, xv asamblea"]
    assert listed(real_assistant, "y en la XVII que aprobaron sobre eso?", topic) == ""


@pytest.mark.parametrize("earlier, question, session, expected", [
    ("What was agreed in June 2018?", "and in the previous plenary?", "XIX", {"XVIII"}),
    ("¿Qué se acordó sobre fentanilo?", "¿Y en la asamblea siguiente?", "XVII", {"XVIII"}),
    ("What was agreed in June 2018?", "and in the previous plenary?", "", set()),  # nothing to step from
    ("¿Qué se acordó en la XV?", "¿Y en la asamblea siguiente?", "XIX", {"XVI"}),  # the named session first
    ("What was agreed in June 2018?", "¿Y en la sesión anterior a la XVIII?", "XX", {"XVIII"}),  # names its own
    ("¿Qué se acordó sobre fentanilo?", "¿Y en Morelia?", "XVII", set()),  # no step
])
def test_a_relative_session_steps_from_the_session_of_the_answer(real_corpus, earlier, question, session,
                                                                 expected):
    named = [question_metadata(q, real_corpus.passages) for q in (earlier, question)]
    assert Searcher._metadata(named, answered=lambda: session).sessions == expected


def test_a_step_from_the_answer_keeps_what_the_conversation_named(real_corpus):
    turns = ("¿Qué dijo Peña Nieto?", "and in the previous plenary?")
    named = [question_metadata(q, real_corpus.passages) for q in turns]
    meta = Searcher._metadata(named, answered=lambda: "XVIII")
    assert meta.sessions == {"XVII"} and meta.speakers == named[0].speakers != set()


def test_a_tables_rows_hold_those_passages_metadata_in_order(small_index):
    from acuerdos.search.filters import PassageTable

    table = PassageTable.of(small_index.passages)
    positions = [len(small_index.passages) - 1, 0]
    some = table.rows(positions)
    assert some.size == 2
    for name in ("session", "place", "point"):
        whole, part = getattr(table, name), getattr(some, name)
        assert [part.values[c] for c in part.codes] == [whole.values[whole.codes[p]] for p in positions]
    named = question_metadata("¿Qué se acordó en la XV Asamblea?", small_index.passages)
    assert list(named.shares(some)) == list(named.shares(table)[positions])
