"""Reading YAML with its node tree, so problems can name the line they are on."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from .core import Problem

if TYPE_CHECKING:
    import yaml


def compose(where: str, text: str) -> tuple[yaml.Node | None, Any, list[Problem]]:
    """The node tree and the data of one YAML document, or a located syntax problem."""
    import yaml  # only YAML files need it; bare .jsonl suites start faster without

    loader = yaml.SafeLoader(text)
    try:
        node = loader.get_single_node()
        data = loader.construct_document(node) if node is not None else None
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark is not None else 0
        what = ", ".join(part for part in (exc.context, exc.problem) if part) or "cannot parse"
        return None, None, [Problem(where, line, f"YAML syntax error: {what}")]
    except yaml.YAMLError as exc:
        return None, None, [Problem(where, 0, f"YAML error: {exc}")]
    finally:
        loader.dispose()
    return node, data, []
