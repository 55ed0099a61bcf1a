"""API documentation that works offline: a page rendered on the server from the schema.

FastAPI's default docs load Swagger UI from a CDN, which a lab's air-gapped network
cannot reach; this page needs nothing but the server.
"""

from __future__ import annotations

import html
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import HTMLResponse

router = APIRouter(include_in_schema=False)

_STYLE = """
body{font:15px/1.5 system-ui,"Noto Sans CJK SC",sans-serif;margin:2rem auto;max-width:60rem;
padding:0 1rem;color:#222}
code,pre{font:13px ui-monospace,monospace}
.op{border:1px solid #ccc;border-radius:6px;margin:.6rem 0;padding:.4rem .8rem}
.m{display:inline-block;min-width:4.5rem;font-weight:bold}
.GET{color:#1a6b2d}.POST{color:#8a4b00}.DELETE{color:#a11}
table{border-collapse:collapse}td,th{padding:.1rem .6rem;text-align:left;vertical-align:top}
"""


def _param_rows(op: dict[str, Any]) -> str:
    rows = []
    for p in op.get("parameters", []):
        schema = p.get("schema", {})
        kind = schema.get("type") or " | ".join(
            str(s.get("type", "?")) for s in schema.get("anyOf", [])
        )
        rows.append(
            f"<tr><td><code>{html.escape(str(p.get('name')))}</code></td>"
            f"<td>{html.escape(str(p.get('in')))}</td><td>{html.escape(str(kind))}</td>"
            f"<td>{'required' if p.get('required') else ''}</td>"
            f"<td>{html.escape(str(p.get('description', '')))}</td></tr>"
        )
    if not rows:
        return ""
    return "<table><tr><th>parameter</th><th>in</th><th>type</th><th></th><th></th></tr>" + (
        "".join(rows) + "</table>"
    )


@router.get("/docs", response_class=HTMLResponse)
def api_docs(request: Request) -> HTMLResponse:
    """Every operation of the API with its parameters and responses."""
    schema = request.app.openapi()
    parts = [
        "<!doctype html><html lang='en'><meta charset='utf-8'>",
        f"<title>{html.escape(schema['info']['title'])} API</title><style>{_STYLE}</style>",
        f"<h1>{html.escape(schema['info']['title'])} API "
        f"<small>{html.escape(schema['info']['version'])}</small></h1>",
        "<p>Machine-readable schema: <a href='openapi.json'><code>openapi.json</code></a>. "
        "Authenticate with <code>Authorization: Bearer tp_...</code> "
        "(<code>tianping tokens create</code>). Lists take <code>limit</code> and "
        "<code>cursor</code>; follow <code>next</code> for the next page.</p>",
    ]
    for path, item in schema.get("paths", {}).items():
        for method, op in item.items():
            responses = ", ".join(sorted(op.get("responses", {})))
            parts.append(
                f"<div class='op'><span class='m {method.upper()}'>{method.upper()}</span>"
                f"<code>{html.escape(path)}</code> — {html.escape(op.get('summary', ''))}"
                f"<p>{html.escape(op.get('description', ''))}</p>{_param_rows(op)}"
                f"<p>Responses: {html.escape(responses)}</p></div>"
            )
    return HTMLResponse("".join(parts))
