"""The fixed, versioned probe sets that model fingerprints are taken with."""

from __future__ import annotations

import hashlib
import re
import unicodedata
from functools import cache
from importlib import resources

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator

from ..core import ConfigError, GenerationParams, UnknownNameError

DEFAULT_PROBE_SET = "probes-2026.11"
"""The probe set new fingerprints use. A published set never changes; a new one gets a new id."""

_WHITESPACE = re.compile(r"\s+")


class Probe(BaseModel):
    """One prompt of a probe set."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{0,63}$")
    lang: str = Field(pattern=r"^(zh|en)$")
    prompt: str = Field(min_length=1, max_length=500)

    def messages(self) -> list[dict[str, str]]:
        """The conversation sent: the prompt alone, no system message."""
        return [{"role": "user", "content": self.prompt}]


class ProbeSet(BaseModel):
    """A named set of probes and the generation settings they are sent with."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(pattern=r"^probes-[0-9]{4}\.[0-9]{2}[a-z0-9.-]*$")
    description: str = ""
    temperature: float = Field(default=0.0, ge=0.0, le=0.0)
    seed: int
    max_tokens: int = Field(ge=1, le=256)
    probes: tuple[Probe, ...] = Field(min_length=4)

    @field_validator("probes")
    @classmethod
    def _unique(cls, probes: tuple[Probe, ...]) -> tuple[Probe, ...]:
        seen: set[str] = set()
        for p in probes:
            if p.id in seen:
                raise ValueError(f"probe id {p.id!r} appears twice")
            seen.add(p.id)
        return probes

    def params(self) -> GenerationParams:
        """Temperature 0, the set's seed (presets drop it where a vendor rejects it), few tokens."""
        return GenerationParams(
            temperature=self.temperature, seed=self.seed, max_tokens=self.max_tokens
        )


def probe_set_names() -> list[str]:
    """The probe sets shipped with Tianping, oldest first."""
    folder = resources.files(__package__).joinpath("probes")
    return sorted(p.name[: -len(".yaml")] for p in folder.iterdir() if p.name.endswith(".yaml"))


@cache
def load_probe_set(name: str = DEFAULT_PROBE_SET) -> ProbeSet:
    """A shipped probe set by id (``probes-2026.11``)."""
    import yaml

    names = probe_set_names()
    if name not in names:
        raise UnknownNameError("probe set", name, names)
    text = resources.files(__package__).joinpath("probes", f"{name}.yaml").read_text("utf-8")
    try:
        loaded = ProbeSet.model_validate(yaml.safe_load(text))
    except (yaml.YAMLError, ValidationError) as exc:
        raise ConfigError(f"Probe set {name} is malformed: {exc}") from exc
    if loaded.id != name:
        raise ConfigError(f"Probe set file {name}.yaml says its id is {loaded.id!r}.")
    return loaded


def normalise_answer(text: str) -> str:
    """An answer with the differences that carry no meaning removed.

    Unicode compatibility forms are folded (full-width digits and letters become
    ASCII), runs of whitespace become one space, and the ends are trimmed. Case and
    punctuation are kept: a model that starts answering differently is a change.
    """
    return _WHITESPACE.sub(" ", unicodedata.normalize("NFKC", text)).strip()


def answer_hash(text: str) -> str:
    """The SHA-256 (hex) of a normalised answer."""
    return hashlib.sha256(normalise_answer(text).encode("utf-8")).hexdigest()
