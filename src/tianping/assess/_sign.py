"""Signing an assessment: an in-toto statement over the reports and the model identity."""

from __future__ import annotations

from collections.abc import Mapping
from pathlib import Path
from typing import Any

from ..standards import AssessmentResult
from ._stages import Stages

ATTESTATION_NAME = "attestation.dsse.json"


def predicate_of(result: AssessmentResult) -> dict[str, Any]:
    """What the attestation says: the conclusion, every clause's verdict and the manifest."""
    return {
        "assessment_id": result.assessment_id,
        "schema_version": result.schema_version,
        "model": result.model_spec,
        "profile": result.manifest.profile,
        "confidence": result.confidence,
        "interval": result.interval,
        "conclusion": result.conclusion,
        "literal_conclusion": result.literal_conclusion,
        "verdicts": [v.summary() for v in result.verdicts],
        "manifest": result.manifest.model_dump(mode="json"),
    }


def sign_assessment(
    result: AssessmentResult,
    files: Mapping[str, Path],
    out_dir: Path,
    key_dir: str | None,
    stages: Stages,
) -> Path:
    """Write ``attestation.dsse.json`` beside the reports; make a key on first use."""
    from ..attest import (
        PRIVATE_KEY_NAME,
        default_key_dir,
        file_subject,
        generate_key,
        json_subject,
        load_private_key,
        make_statement,
        sign_statement,
        write_envelope,
    )

    folder = Path(key_dir) if key_dir else default_key_dir()
    if not (folder / PRIVATE_KEY_NAME).is_file():
        pair = generate_key(folder)
        stages.say(f"no signing key yet: made one at {pair.private_key} (key id {pair.keyid[:16]})")
    key = load_private_key(folder)
    subjects = [file_subject(path) for path in files.values()]
    identity = {"spec": result.model_spec, **result.manifest.model}
    subjects.append(json_subject(f"model:{result.model_spec}", identity))
    envelope = sign_statement(make_statement(subjects, predicate_of(result)), key)
    return write_envelope(envelope, out_dir / ATTESTATION_NAME)
