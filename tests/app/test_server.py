"""The real app, with the real Assistant, served on loopback and asked through gradio_client."""
from __future__ import annotations

import pytest

pytestmark = pytest.mark.server


@pytest.fixture(scope="module")
def client(live_server):
    from gradio_client import Client

    return Client(live_server, verbose=False)


def test_only_the_ask_endpoint_is_public(client):
    endpoints = client.view_api(return_format="dict", print_info=False)["named_endpoints"]
    assert list(endpoints) == ["/ask"]


def test_spanish_question_cites_police_day(client):
    result = client.predict("¿Qué día se instituyó como Día Nacional del Policía?", api_name="/ask")
    assert result["abstained"] is False and result["language"] == "es"
    citations = [hit["citation"] for hit in result["results"]]
    assert any("XX Asamblea Plenaria" in c and "Acuerdo Octavo" in c for c in citations), citations
    assert "[1]" in result["answer"]
    first = result["results"][0]
    assert first["highlight"] and first["highlight"] in first["text"]


def test_english_question_cites_fentanyl(client):
    result = client.predict("What was agreed about fentanyl?", api_name="/ask")
    assert result["abstained"] is False and result["language"] == "en"
    citations = [hit["citation"] for hit in result["results"]]
    assert any("XVIII Asamblea Plenaria" in c for c in citations), citations


def test_history_and_filters_as_json_text(client):
    result = client.predict("¿Y sobre el fentanilo?", history='["¿Qué se acordó sobre capacitación?"]',
                            filters='{"session": ["XVIII"]}', api_name="/ask")
    assert result["filters"] == {"session": ["XVIII"]}
    assert result["results"] and all(hit["session"] == "XVIII" for hit in result["results"])


def test_a_bad_filter_is_a_clear_error(client):
    from gradio_client.exceptions import AppError

    with pytest.raises(AppError, match="session"):
        client.predict("fentanilo", filters={"session": ["XCIX"]}, api_name="/ask")
