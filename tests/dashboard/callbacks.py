"""Build crafted ``/_dash-update-component`` bodies from the app's own callback list."""

from __future__ import annotations

import html
import json
import re
from typing import Any

SITE_INPUTS = ("-sites", "sp-site")


def site_callbacks(client: Any) -> list[dict[str, Any]]:
    """Every registered callback that takes a site choice as an input."""
    deps = client.get("/_dash-dependencies").get_json()
    return [d for d in deps if any(i["id"].endswith(SITE_INPUTS) for i in d["inputs"])]


def _outputs(spec: str) -> list[dict[str, str]]:
    parts = spec.strip(".").split("...") if spec.startswith("..") else [spec]
    out = []
    for p in parts:
        comp, prop = p.rsplit(".", 1)
        out.append({"id": comp, "property": prop})
    return out


def body(dep: dict[str, Any], sites: list[str] | str) -> dict[str, Any]:
    """A request for callback ``dep`` with the site input set to ``sites`` (other inputs left empty)."""
    outs = _outputs(dep["output"])
    inputs = []
    changed = []
    for i in dep["inputs"]:
        value: Any = None
        if i["id"].endswith(SITE_INPUTS):
            value = sites if i["id"].endswith("-sites") else (sites if isinstance(sites, str) else sites[0])
            changed.append(f"{i['id']}.{i['property']}")
        inputs.append({"id": i["id"], "property": i["property"], "value": value})
    return {"output": dep["output"], "outputs": outs if dep["output"].startswith("..") else outs[0],
            "inputs": inputs, "changedPropIds": changed, "state": []}


def post(client: Any, dep: dict[str, Any], sites: list[str] | str) -> tuple[int, str]:
    """Post a crafted callback; return (status, body text)."""
    resp = client.post("/_dash-update-component", data=json.dumps(body(dep, sites)),
                       content_type="application/json")
    return resp.status_code, resp.get_data(as_text=True)


def count_cells(tree: Any) -> list[str]:
    """Texts of every table cell marked as a count in a Dash component tree (JSON)."""
    found: list[str] = []
    cell = re.compile(r'<t[dh][^>]*class="[^"]*\bcount\b[^"]*"[^>]*>(.*?)</t[dh]>')

    def walk(node: Any) -> None:
        if isinstance(node, str) and "<table" in node:
            found.extend(html.unescape(m) for m in cell.findall(node))
        elif isinstance(node, dict):
            props = node.get("props")
            if isinstance(props, dict) and "count" in str(props.get("className") or "").split():
                found.append(str(props.get("children")))
            for v in node.values():
                walk(v)
        elif isinstance(node, list):
            for v in node:
                walk(v)

    walk(tree)
    return found
