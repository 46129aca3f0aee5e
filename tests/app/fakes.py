"""A small stand-in for the Assistant: same ask() signature, answers built from fixture hits."""
from __future__ import annotations

from typing import Any

from acuerdos.records import Answer, Hit, ThreadMemberSummary, ThreadSummary

_POLICE_DAY_TEXT = ('Los integrantes de la Asamblea Plenaria de la Conferencia Nacional de Secretarios de '
                    'Seguridad Pública, aprueban instituir el 15 de noviembre como el '
                    '"Día Nacional del Policía".')
POLICE_DAY = Hit(
    rank=1, id="cnssp-xx-08", score=0.91, text=_POLICE_DAY_TEXT,
    citation="CNSSP, XX Asamblea Plenaria (Saltillo, Coahuila, 15–16 nov 2018), Acuerdo Octavo",
    source="cnssp", session="XX", date="2018-11-15", place="Saltillo, Coahuila", agreement=8,
    highlight=_POLICE_DAY_TEXT, title="Día Nacional del Policía", relevance="high",
)
FENTANYL = Hit(
    rank=2, id="cnssp-xviii-11", score=0.88,
    text=("Los miembros de la Conferencia Nacional de Secretarios de Seguridad Pública toman conocimiento de "
          "la presentación de la Directora General de Fichas y Registro de Narcotráfico y Delitos Conexos de "
          "la División Antidrogas de la Policía Federal, sobre los cursos de capacitación en materia de "
          "Fentanilo, por lo que refrendan el compromiso de la importancia de mismos."),
    citation=("CNSSP, XVIII Asamblea Plenaria (Puerto Peñasco, Sonora, 22–23 nov 2017), "
              "Acuerdo Décimo Primero"),
    source="cnssp", session="XVIII", date="2017-11-22", place="Puerto Peñasco, Sonora", agreement=11,
    highlight="sobre los cursos de capacitación en materia de Fentanilo",
    title="Fentanilo y capacitación", relevance="medium",
)
REPORT = Hit(
    rank=3, id="cnsp40-p006", score=0.52,
    text=("“In this collective mission, the government will continue to be a factor of meeting, union and "
          "joint work to achieve the tranquility of Mexican families,” he said. He urged them, from their "
          "sphere of work, “To continue promoting underlying changes to create a better world and a safer "
          "country”. " + "Filler sentence to make the passage long enough to fold. " * 6),
    citation="Consejo Nacional de Seguridad Pública, 40th session (2016), the president's five measures",
    source="cnsp40", session="XL", date="2016-08-30", place="Palacio Nacional, Ciudad de México",
    agreement=None,
    highlight=("He urged them, from their sphere of work, “To continue promoting underlying changes to "
               "create a better world and a safer country”."),
    section="the president's five measures", relevance="low",
)
HITS = [POLICE_DAY, FENTANYL, REPORT]

# A topic thread across sessions, as the engine attaches it to each of its members' hits (date order).
_FORCE_MEMBERS = [
    {"id": "cnssp-xvi-11", "date": "2016-11-24", "session": "XVI",
     "citation": ("CNSSP, XVI Asamblea Plenaria (Querétaro, Querétaro, 24–25 nov 2016), "
                  "Acuerdo Décimo Primero"),
     "title": "Regulación del uso de la fuerza de los cuerpos policiacos",
     "note": ("toman conocimiento de la exposición del encargado de la Policía Procesal de Policía "
              "Federal en San …"),
     "action": "took note", "joined": "name",
     "why": "names «uso de la fuerza» / «Uso Legítimo de la Fuerza», as cnssp-xix-14 does",
     "text": ("Los miembros toman conocimiento de la exposición del encargado de la Policía Procesal de "
              "Policía Federal en San Luis Potosí, en torno al seguimiento que se da sobre los trabajos de "
              "normatividad que regulan el uso de la fuerza de los cuerpos policiacos.")},
    {"id": "cnssp-xix-14", "date": "2018-06-07", "session": "XIX",
     "citation": ("CNSSP, XIX Asamblea Plenaria (Playa del Carmen, Quintana Roo, 7–8 jun 2018), "
                  "Acuerdo Décimo Cuarto"),
     "title": "Protocolo Nacional de Uso de la Fuerza",
     "note": "aprueban el Proyecto de Protocolo Nacional de Uso Legítimo de la Fuerza y sus anexos, en …",
     "action": "approved", "joined": "name",
     "why": "names «Uso Legítimo de la Fuerza» / «uso de la fuerza», as cnssp-xvi-11 does",
     "text": ("Los miembros de la Conferencia Nacional de Secretarios de Seguridad Pública aprueban el "
              "Proyecto de Protocolo Nacional de Uso Legítimo de la Fuerza y sus anexos.")},
    {"id": "cnsp40-p002", "date": "2016-08-30", "session": "XL", "title": "",
     "citation": "Consejo Nacional de Seguridad Pública, 40th session (2016), highlights",
     "note": "The 911 emergency number will begin to operate gradually as of October 3: on June 1 …",
     "action": "announced", "joined": "reference",
     "why": "cited by cnssp-xix-14: «Acuerdos del Consejo Nacional de Seguridad Pública»",
     "text": "The 911 emergency number will begin to operate gradually as of October 3."},
]
FORCE_THREAD = ThreadSummary("protocolo-nacional-de-uso-de-la-fuerza", "Protocolo Nacional de Uso de la Fuerza",
                             tuple(ThreadMemberSummary.from_dict(_FORCE_MEMBERS[i]) for i in (2, 0, 1)))


def _force_hit(rank: int, member: ThreadMemberSummary) -> Hit:
    return Hit(rank=rank, id=member.id, score=0.8, text=member.text, citation=member.citation,
               source="cnsp40" if member.id.startswith("cnsp40") else "cnssp", session=member.session,
               date=member.date, place="", agreement=None, highlight=member.text, title=member.title,
               relevance="high", thread=FORCE_THREAD)


FORCE_HITS = [_force_hit(rank, member) for rank, member in enumerate(FORCE_THREAD.members, 1)]


def _renumber(hits: list[Hit], relevance: str | None = None) -> list[Hit]:
    out = []
    for rank, hit in enumerate(hits, 1):
        data = dict(hit.__dict__, rank=rank)
        if relevance:
            data["relevance"] = relevance
        out.append(Hit(**data))
    return out


class FakeAssistant:
    """Police Day, fentanyl and "how did it evolve" questions are answered; anything else abstains."""

    def __init__(self):
        self.calls: list[dict[str, Any]] = []

    def sources(self):
        return [{"key": "cnssp", "label": "Conferencia Nacional de Secretarios de Seguridad Pública"},
                {"key": "cnsp40", "label": "Consejo Nacional de Seguridad Pública"}]

    def ask(self, question: str, history: list[str] | None = None, k: int = 5,
            filters: dict[str, Any] | None = None) -> Answer:
        self.calls.append({"question": question, "history": list(history or []), "k": k, "filters": filters})
        lowered = question.lower()
        language = "es" if any(c in lowered for c in "¿áéíóúñ") else "en"
        if "polic" in lowered:
            hits = _renumber([POLICE_DAY, FENTANYL, REPORT])
            frame = "Según las fuentes:" if language == "es" else "According to the sources:"
            text = f"{frame} «{hits[0].highlight}» [1]"
            return Answer(question, text, False, language, hits[:k], "", dict(filters or {}))
        if "fentan" in lowered:
            hits = _renumber([FENTANYL, POLICE_DAY])
            text = f"According to the sources: «{hits[0].highlight}» [1]"
            return Answer(question, text, False, language, hits[:k], "", dict(filters or {}))
        # "¿Cómo evolucionó…?", "How did … evolve?": the thread's members, in date order
        if "evolu" in lowered or "evolve" in lowered:
            frame = ("Así evolucionó el tema «Protocolo Nacional de Uso de la Fuerza», en orden cronológico:"
                     if language == "es" else
                     "How the subject «Protocolo Nacional de Uso de la Fuerza» developed, in date order:")
            text = frame + "".join(f" {h.date} «{h.highlight}» [{h.rank}]" for h in FORCE_HITS)
            return Answer(question, text, False, language, FORCE_HITS[:k], "", dict(filters or {}))
        hits = _renumber([REPORT, FENTANYL], relevance="related")
        return Answer(question, "", True, language, hits[:k], "", dict(filters or {}))
