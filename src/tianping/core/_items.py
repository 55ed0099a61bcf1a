"""Items: one test each — what to send and what is expected."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from ._risks import normalize_risk

Role = Literal["system", "user", "assistant"]


class Message(BaseModel):
    """One chat message."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    role: Role
    content: str


class Item(BaseModel):
    """One test item.

    Exactly one of ``prompt`` and ``messages`` says what is sent; ``system`` is an
    optional system message put before either. What is expected: ``answer`` (a
    reference answer), ``refuse`` (True: the model should refuse; False: it should
    not), ``target`` (a pattern or target text for a scorer), ``choices``
    (multiple choice options, answer given as a letter) and ``tests`` (Python test
    code for code items). Labels: ``risk`` (an Appendix A risk id, name or alias,
    stored as the canonical id), ``lang``, ``scenario``, ``tags`` and free ``meta``.
    ``params`` overrides generation parameters for this item only.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1, max_length=200)
    prompt: str | None = None
    messages: tuple[Message, ...] | None = None
    system: str | None = None
    answer: str | None = None
    refuse: bool | None = None
    target: str | None = None
    choices: tuple[str, ...] | None = None
    tests: str | None = None
    risk: str | None = None
    lang: str | None = Field(default=None, pattern=r"^[a-z]{2,3}(-[A-Za-z0-9]+)*$")
    scenario: str | None = None
    tags: tuple[str, ...] = ()
    meta: dict[str, Any] = Field(default_factory=dict)
    params: dict[str, Any] = Field(default_factory=dict)
    scorer: str | None = None

    @field_validator("id", mode="before")
    @classmethod
    def _id_as_text(cls, value: object) -> object:
        # Integer ids are common in published banks; keep them as text.
        if isinstance(value, int) and not isinstance(value, bool):
            return str(value)
        return value

    @field_validator("risk")
    @classmethod
    def _known_risk(cls, value: str | None) -> str | None:
        if value is None:
            return None
        rid = normalize_risk(value)
        if rid is None:
            raise ValueError(
                f"unknown risk id {value!r}: use one of the 31 ids of Appendix A "
                "(A1a-A1h, A2a-A2i, A3a-A3e, A4a-A4g, A5a-A5b) or its name"
            )
        return rid

    @field_validator("params")
    @classmethod
    def _known_params(cls, value: dict[str, Any]) -> dict[str, Any]:
        from ._requests import GenerationParams

        unknown = set(value) - set(GenerationParams.model_fields)
        if unknown:
            raise ValueError(
                f"unknown generation parameter(s) {sorted(unknown)}; "
                f"known: {sorted(GenerationParams.model_fields)}"
            )
        return value

    @model_validator(mode="after")
    def _one_input(self) -> Item:
        if (self.prompt is None) == (self.messages is None):
            raise ValueError("an item needs exactly one of 'prompt' and 'messages'")
        if self.prompt is not None and not self.prompt.strip():
            raise ValueError("'prompt' is empty")
        if self.messages is not None:
            if not self.messages:
                raise ValueError("'messages' is empty")
            if self.messages[-1].role != "user":
                raise ValueError("the last message must have role 'user'")
        if self.choices is not None and len(self.choices) < 2:
            raise ValueError("'choices' needs at least two options")
        return self

    def chat(self) -> list[dict[str, str]]:
        """The messages to send, as plain dicts.

        A multiple-choice item whose last user message does not already show
        its options gets them appended, one a line (``A. ...``), so the model
        sees what the letters stand for.
        """
        out: list[dict[str, str]] = []
        if self.system is not None:
            out.append({"role": "system", "content": self.system})
        if self.messages is not None:
            out.extend({"role": m.role, "content": m.content} for m in self.messages)
        else:
            assert self.prompt is not None
            out.append({"role": "user", "content": self.prompt})
        if self.choices and not all(c in out[-1]["content"] for c in self.choices):
            options = "\n".join(f"{chr(65 + i)}. {c}" for i, c in enumerate(self.choices))
            out[-1] = {"role": "user", "content": f"{out[-1]['content']}\n\n{options}"}
        return out
