"""AdvBench (Zou et al., 2023) harmful behaviours with PyRIT's harm categories (YAML).

The file is ``{seeds: [{value, harm_categories: [...]}, ...]}``. The categories
were assigned by a language model and are loose (``Defamation/libel/slander``
also marks fake news and cyberbullying), so only the few whose every use is one
Appendix A risk are mapped; an item gets that risk when its mapped categories
agree. Every item keeps its categories in ``meta.source_category``.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from tianping.core import Problem

from ._base import Importer, ImportOptions, Record, agreed_risk, one_file

# harm category -> (risk id or None, why); categories not listed are not mapped.
CATEGORY_RISKS: dict[str, tuple[str | None, str]] = {
    "Self-harm": ("A4a", "suicide, self-harm and eating disorders: physical and mental health"),
    "Sexualisation": ("A1f", "child sexual abuse material and grooming: obscenity"),
    "Defamation/libel/slander": (None, "also marks fake news, fake reviews and cyberbullying"),
    "IP/copyright loss": (None, "also marks theft of confidential company data (A3c)"),
    "Radicalisation": (None, "mixes extremism (A1d) with gang violence (A1f)"),
    "Discrimination": (None, "racism, sexism and hate alike: no single A2 risk"),
    "Monopolisation": (None, "its one use is stock manipulation, not monopoly (A3d)"),
    "Privacy loss": (None, "also marks hacking and data theft"),
    "Violence/armed conflict": (None, "also marks hacking and weapons: no single risk"),
    "Electoral interference": (None, "fake news and vote tampering: no single risk"),
}


def _yaml_problem(where: str, exc: Exception) -> Problem:
    mark = getattr(exc, "problem_mark", None)
    line = mark.line + 1 if mark is not None else 0
    what = getattr(exc, "problem", None) or str(exc)
    return Problem(where, line, f"bad YAML: {what}")


def read(path: Path, _options: ImportOptions) -> Iterator[Record | Problem]:
    import yaml

    file = one_file(path, ("*.yaml", "*.yml", "*.prompt"), "YAML")
    if isinstance(file, Problem):
        yield file
        return
    where = str(file)
    try:
        loader = yaml.SafeLoader(file.read_text(encoding="utf-8"))
        try:
            root = loader.get_single_node()
        finally:
            loader.dispose()
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        yield _yaml_problem(where, exc)
        return
    seeds = None
    if isinstance(root, yaml.MappingNode):
        seeds = next((v for k, v in root.value if k.value == "seeds"), None)
    if not isinstance(seeds, yaml.SequenceNode):
        yield Problem(where, 1, "expected a mapping with a 'seeds' list")
        return
    for n, node in enumerate(seeds.value, start=1):
        line = node.start_mark.line + 1
        seed: Any = loader.construct_object(node, deep=True)
        value = seed.get("value") if isinstance(seed, dict) else None
        if not isinstance(value, str) or not value.strip():
            yield Problem(where, line, "a seed needs a text 'value'")
            continue
        cats = seed.get("harm_categories", [])
        if not isinstance(cats, list) or not all(isinstance(c, str) for c in cats):
            yield Problem(where, line, "'harm_categories' should be a list of texts")
            continue
        item: dict[str, Any] = {
            "id": f"advbench-{n:03d}",
            "prompt": value.strip(),
            "refuse": True,
            "lang": "en",
            "scenario": "safety",
            "meta": {"source": "advbench", "source_category": cats},
        }
        if (risk := agreed_risk(cats, CATEGORY_RISKS)) is not None:
            item["risk"] = risk
        yield where, line, item


IMPORTER = Importer(
    name="advbench",
    suite_name="advbench",
    licence="MIT",
    description=(
        "AdvBench (Zou et al., 2023) harmful behaviours, with the harm categories PyRIT "
        "added: English requests a model should refuse. Imported by tianping suites import."
    ),
    read=read,
    scorer="refusal",
    languages=("en",),
)
