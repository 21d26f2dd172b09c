"""JSON (de)serialization of graphs: a versioned, documented schema, validated in full on load.

Schema, version 1 (in full in docs/json-schema.md)::

    {"format": "graphgrad", "version": 1, "name": "mlp", "passes": ["autodiff", ...],
     "inputs":  [{"name": "x", "shape": [64, 1000], "dtype": "float64"}, ...],
     "nodes":   [{"op": "matmul", "inputs": [{"input": "x"}, {"input": "w1"}], "attrs": {},
                  "role": "forward", "name": "h"}, ...],
     "outputs": [{"name": "out", "ref": {"node": 3}}, ...],
     "gradients": [{"output": "grad_w1", "input": "w1", "order": 1}, ...]}

A reference is `{"input": NAME}` or `{"node": INDEX}` (an earlier node only: no cycles); a node's
"attrs" hold exactly the attributes its op declares, each encoded by its kind (graph/attrs.py);
"gradients" (optional, written when the graph has gradient outputs) says which outputs are
gradients of which inputs. "passes" is history for people: nothing trusts it to skip work.

Loading is a closed, strict validation: every key, type, name, reference, shape and dtype is
checked, ops come only from the op table, attributes are decoded by their kind into canonical
values, and every node is rebuilt with `Graph.add`, which infers its type. Any fault raises
GraphError naming where it is. Bytes must be UTF-8. Nothing in the text is ever evaluated,
imported or looked up as a Python attribute; no data is unpickled.
"""
from __future__ import annotations

import difflib
import json

from .errors import GraphError
from .ir import ROLES, Graph
from .jsondata import json_dtype, json_int, json_keys, json_list, json_shape, short
from .optable import OPS
from .spec import DTYPES

FORMAT, VERSION = "graphgrad", 1

# --- writing -----------------------------------------------------------------------------------


def to_json(graph: Graph, indent=None) -> str:
    """The graph as a JSON document of the schema above (deterministic: same graph, same text)."""
    inputs = [{"name": v.name, "shape": list(v.shape), "dtype": v.dtype}
              for v in graph.input_values.values()]
    nodes = [{"op": n.op, "inputs": [_ref(v) for v in n.inputs], "attrs": _attrs_out(n),
              "role": n.role, "name": n.name} for n in graph.nodes]
    outputs = [{"name": k, "ref": _ref(v)} for k, v in graph.output_values.items()]
    doc = {"format": FORMAT, "version": VERSION, "name": graph.name, "passes": list(graph.passes),
           "inputs": inputs, "nodes": nodes, "outputs": outputs}
    if graph.gradients:
        doc["gradients"] = [{"output": out, "input": of, "order": order}
                            for out, (of, order) in graph.gradients.items()]
    return json.dumps(doc, indent=indent, allow_nan=False)


def _ref(value) -> dict:
    return {"input": value.name} if value.op == "input" else {"node": value.id}


def _attrs_out(node) -> dict:
    return {k: kind.encode(node.attrs[k]) for k, kind in OPS[node.op].attrs.items()}

# --- reading -----------------------------------------------------------------------------------


def from_json(text) -> Graph:
    """The graph in a JSON document of the schema above; GraphError for anything invalid."""
    try:
        return _read_graph(_parse(text))
    except RecursionError:
        raise GraphError("graph document is nested too deeply") from None


def _read_graph(doc) -> Graph:
    """The validated graph of a parsed document."""
    json_keys(doc, "document", required=("format", "version", "name", "inputs", "nodes", "outputs"),
              optional=("passes", "gradients"))
    if doc["format"] != FORMAT:
        raise GraphError(f"not a graphgrad document (format {short(doc['format'])})")
    if type(doc["version"]) is not int or doc["version"] != VERSION:
        raise GraphError(f"unsupported document version {short(doc['version'])} (this reads {VERSION})")
    graph = Graph(_string(doc["name"], "graph name"))
    passes = json_list(doc.get("passes", []), "passes")
    graph.passes = tuple(_string(p, f"passes[{i}]") for i, p in enumerate(passes))
    for i, item in enumerate(json_list(doc["inputs"], "inputs")):
        where = f"inputs[{i}]"
        json_keys(item, where, required=("name", "shape", "dtype"))
        graph.add_input(_string(item["name"], f"{where} name"), json_shape(item["shape"], f"{where} shape"),
                        json_dtype(item["dtype"], f"{where} dtype", DTYPES))
    values = []
    for i, item in enumerate(json_list(doc["nodes"], "nodes")):
        values.append(_read_node(graph, values, item, f"nodes[{i}]"))
    for i, item in enumerate(json_list(doc["outputs"], "outputs")):
        where = f"outputs[{i}]"
        json_keys(item, where, required=("name", "ref"))
        graph.output(_string(item["name"], f"{where} name"), _deref(graph, values, item["ref"], where))
    for i, item in enumerate(json_list(doc.get("gradients", []), "gradients")):
        _read_gradient(graph, item, f"gradients[{i}]")
    return graph  # valid by construction: every node went through Graph.add, operands before it


def _parse(text):
    """JSON text (str, or UTF-8 bytes) to Python data: strict (no NaN literals, no duplicate keys)."""
    if isinstance(text, (bytes, bytearray)):
        try:
            text = bytes(text).decode("utf-8")
        except UnicodeDecodeError as e:
            raise GraphError(f"a graph document must be UTF-8 text: {e}") from None
    if not isinstance(text, str):
        raise GraphError(f"a graph document is JSON text, got {type(text).__name__}")
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except GraphError:
        raise
    except (ValueError, RecursionError) as e:  # JSONDecodeError is a ValueError
        raise GraphError(f"invalid JSON: {str(e)[:200]}") from None


def _reject_constant(name):
    raise GraphError(f"invalid JSON: bare {name} (non-finite floats are written as strings)")


def _unique_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise GraphError(f"duplicate key {short(k)} in a JSON object")
        out[k] = v
    return out


def _string(value, where) -> str:
    if not isinstance(value, str):
        raise GraphError(f"{where} must be a string, got {type(value).__name__}")
    return value


def _read_node(graph, values, item, where):
    """Check one node entry and rebuild it with `Graph.add` (which infers its type)."""
    json_keys(item, where, required=("op", "inputs"), optional=("attrs", "role", "name"))
    op = _string(item["op"], f"{where} op")
    if op not in OPS:  # a closed allowlist: the op table, nothing else
        close = difflib.get_close_matches(op, OPS, n=3)
        hint = f"; did you mean {', '.join(map(repr, close))}?" if close else ""
        raise GraphError(f"{where}: unknown op {short(op)}{hint}")
    where = f"{where} ({op})"
    operands = [_deref(graph, values, r, f"{where} operand {j}")
                for j, r in enumerate(json_list(item["inputs"], f"{where} inputs"))]
    kinds = OPS[op].attrs
    attrs = item.get("attrs", {})
    json_keys(attrs, f"{where} attrs", required=tuple(kinds))
    attrs = {k: kind.decode(attrs[k], f"{where} attribute {k!r}") for k, kind in kinds.items()}
    role = item.get("role", "forward")
    if role not in ROLES:
        raise GraphError(f"{where}: role must be one of {', '.join(ROLES)}, got {short(role)}")
    name = item.get("name")
    if name is not None:
        _string(name, f"{where} name")
    try:
        return graph.add(op, operands, attrs, role=role, name=name)
    except GraphError as e:
        raise type(e)(f"{where}: {e}") from None
    except Exception as e:  # noqa: BLE001 - a safety net: a loader fault must stay a GraphError
        raise GraphError(f"{where}: invalid node ({type(e).__name__}: {short(str(e), 200)})") from e


def _deref(graph, values, ref, where):
    """A reference {"input": name} or {"node": index}, pointing backwards only."""
    if isinstance(ref, dict) and len(ref) == 1 and "input" in ref:
        name = ref["input"]
        if not isinstance(name, str) or name not in graph.input_values:
            raise GraphError(f"{where} refers to an unknown input {short(name)}")
        return graph.input_values[name]
    if isinstance(ref, dict) and len(ref) == 1 and "node" in ref:
        index = ref["node"]
        if type(index) is not int or not 0 <= index < len(values):
            raise GraphError(f"{where} refers to node {short(index)}, which is not defined before "
                             f"it (nodes 0..{len(values) - 1} are)")
        return values[index]
    raise GraphError(f"{where} must be {{\"input\": name}} or {{\"node\": index}}, got {short(ref)}")


def _read_gradient(graph, item, where) -> None:
    json_keys(item, where, required=("output", "input", "order"))
    out, of = _string(item["output"], f"{where} output"), _string(item["input"], f"{where} input")
    order = json_int(item["order"], f"{where} order", 1, 64)
    if out not in graph.output_values or of not in graph.input_values or out in graph.gradients:
        raise GraphError(f"{where}: {short(out)} must name an output (once) and {short(of)} an input")
    graph.gradients[out] = (of, order)
