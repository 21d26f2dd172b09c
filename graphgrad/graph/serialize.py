"""JSON (de)serialization of graphs: a versioned, documented schema, validated in full on load.

Schema, version 1 (also in docs/json-schema.md)::

    {"format": "graphgrad", "version": 1, "name": "mlp", "passes": ["autodiff", ...],
     "inputs":  [{"name": "x", "shape": [64, 1000], "dtype": "float64"}, ...],
     "nodes":   [{"op": "matmul", "inputs": [{"input": "x"}, {"input": "w1"}], "attrs": {},
                  "role": "forward", "name": "h"}, ...],
     "outputs": [{"name": "out", "ref": {"node": 3}}, ...]}

- A reference is `{"input": NAME}` (a graph input) or `{"node": INDEX}` (the node at that position
  of "nodes"). A node may refer only to inputs and to nodes before it, so the document is in
  topological order and can hold no cycle; outputs may refer to any input or node.
- "nodes" keep their order; a node's "attrs" hold exactly the attributes its op declares in the op
  table (canonical form), encoded by kind: int, bool and dtype (a string) as themselves, a float as
  a number or one of "nan", "inf", "-inf"; "ints" a list of ints ("optional_ints": or null);
  "axes" null, an int or a list of ints; "index" a list of ints and [start, stop, step] triples
  (as `range(size)[slice]` gives them; ints or null); "array" a constant:
      {"dtype": "float32"|"float64"|"bool", "shape": [...], "encoding": "list", "data": [...]}
      {"dtype": ..., "shape": [...], "encoding": "base64", "data": "<raw little-endian bytes>"}
  where a "list" is flat, row-major, of numbers (floats may be "nan", "inf", "-inf") or bools.
- "role" is "forward" or "backward" (default "forward"); "name" a name hint: any string, or null.
  Graph, input and output names must be Python identifiers; "passes" (optional) a list of strings.

Loading is a closed, strict validation: every key, type, name, reference, shape (at most
`MAX_NDIM` dimensions and `MAX_ELEMENTS` elements per value) and dtype is checked, ops come only
from the op table, and every node is rebuilt with `Graph.add`, which re-checks attributes and
re-infers shapes (so the result needs no separate `verify()`). Any fault raises GraphError
naming where it is. Nothing in the text is ever evaluated, imported or looked up as a Python
attribute; no data is unpickled.
"""
from __future__ import annotations

import base64
import binascii
import json
import math

import numpy as np

from .errors import GraphError
from .ir import ROLES, Graph
from .optable import OPS
from .spec import DTYPES, FLOAT_DTYPES

FORMAT, VERSION = "graphgrad", 1
MAX_NDIM = 32            # numpy 1.x's limit on dimensions
MAX_ELEMENTS = 2 ** 40   # far above any graph one machine can run (the seed's Jacobian: 6.4e8)
_INT_LIMIT = 2 ** 62     # bound on any integer in an attribute
_LIST_LIMIT = 64         # constants with at most this many elements are written as readable lists
_NONFINITE = {"nan": math.nan, "inf": math.inf, "-inf": -math.inf}

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
    return json.dumps(doc, indent=indent, allow_nan=False)


def _ref(value) -> dict:
    return {"input": value.name} if value.op == "input" else {"node": value.id}


def _attrs_out(node) -> dict:
    kinds = OPS[node.op].attrs
    return {k: _attr_out(kinds[k], node.attrs[k]) for k in kinds}


def _attr_out(kind, value):
    """One canonical attribute value as JSON data (see the schema)."""
    if value is None:
        return None
    if kind in ("int", "bool", "dtype"):
        return value
    if kind == "float":
        return _float_out(value)
    if kind in ("ints", "optional_ints"):
        return [int(v) for v in value]
    if kind == "axes":
        return int(value) if isinstance(value, int) else [int(v) for v in value]
    if kind == "index":
        return [e if isinstance(e, int) else list(e) for e in value]
    if kind == "array":
        return _array_out(value)
    raise GraphError(f"cannot serialize attribute kind {kind!r}")


def _float_out(value):
    value = float(value)
    if math.isfinite(value):
        return value
    return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")


def _array_out(arr: np.ndarray) -> dict:
    out = {"dtype": arr.dtype.name, "shape": list(arr.shape)}
    if arr.size <= _LIST_LIMIT:
        flat = arr.ravel().tolist()
        data = flat if arr.dtype.kind == "b" else [_float_out(v) for v in flat]
        return {**out, "encoding": "list", "data": data}
    raw = np.ascontiguousarray(arr, dtype=arr.dtype.newbyteorder("<")).tobytes()
    return {**out, "encoding": "base64", "data": base64.b64encode(raw).decode("ascii")}

# --- reading -----------------------------------------------------------------------------------


def from_json(text) -> Graph:
    """The graph in a JSON document of the schema above; GraphError for anything invalid."""
    try:
        return _read_graph(_parse(text))
    except RecursionError:
        raise GraphError("graph document is nested too deeply") from None


def _read_graph(doc) -> Graph:
    """The validated graph of a parsed document."""
    _keys(doc, "document", required=("format", "version", "name", "inputs", "nodes", "outputs"),
          optional=("passes",))
    if doc["format"] != FORMAT:
        raise GraphError(f"not a graphgrad document (format {_short(doc['format'])})")
    if type(doc["version"]) is not int or doc["version"] != VERSION:
        raise GraphError(f"unsupported document version {_short(doc['version'])} (this reads {VERSION})")
    graph = Graph(_string(doc["name"], "graph name"))
    passes = _list(doc.get("passes", []), "passes")
    graph.passes = tuple(_string(p, f"passes[{i}]") for i, p in enumerate(passes))
    for i, item in enumerate(_list(doc["inputs"], "inputs")):
        _read_input(graph, item, f"inputs[{i}]")
    values = []
    for i, item in enumerate(_list(doc["nodes"], "nodes")):
        values.append(_read_node(graph, values, item, f"nodes[{i}]"))
    for i, item in enumerate(_list(doc["outputs"], "outputs")):
        where = f"outputs[{i}]"
        _keys(item, where, required=("name", "ref"))
        graph.output(_string(item["name"], f"{where} name"), _deref(graph, values, item["ref"], where))
    return graph  # valid by construction: every node went through Graph.add, operands before it


def _parse(text):
    """JSON text (str or bytes) to Python data: strict (no NaN literals, no duplicate keys)."""
    if not isinstance(text, (str, bytes, bytearray)):
        raise GraphError(f"a graph document is JSON text, got {type(text).__name__}")
    try:
        return json.loads(text, parse_constant=_reject_constant, object_pairs_hook=_unique_keys)
    except GraphError:
        raise
    except (ValueError, RecursionError, UnicodeDecodeError) as e:  # JSONDecodeError is a ValueError
        raise GraphError(f"invalid JSON: {str(e)[:200]}") from None


def _reject_constant(name):
    raise GraphError(f"invalid JSON: bare {name} (non-finite floats are written as strings)")


def _unique_keys(pairs):
    out = {}
    for k, v in pairs:
        if k in out:
            raise GraphError(f"duplicate key {_short(k)} in a JSON object")
        out[k] = v
    return out


def _short(value, limit=60) -> str:
    """A bounded excerpt of a (possibly huge or deeply nested) value for an error message."""
    if isinstance(value, (list, dict)) and len(value) > 8:
        return f"a {type(value).__name__} of {len(value)} items"
    try:
        text = repr(value)
    except RecursionError:
        return f"a deeply nested {type(value).__name__}"
    return text if len(text) <= limit else text[:limit] + "..."


def _keys(obj, where, required=(), optional=()):
    if not isinstance(obj, dict):
        raise GraphError(f"{where} must be a JSON object, got {type(obj).__name__}")
    missing = [k for k in required if k not in obj]
    if missing:
        raise GraphError(f"{where} lacks {', '.join(map(repr, missing))}")
    unknown = sorted(k for k in obj if k not in required and k not in optional)
    if unknown:
        raise GraphError(f"{where} has unknown key(s) {', '.join(_short(k) for k in unknown)}")


def _list(value, where) -> list:
    if not isinstance(value, list):
        raise GraphError(f"{where} must be a list, got {type(value).__name__} {_short(value)}")
    return value


def _string(value, where) -> str:
    if not isinstance(value, str):
        raise GraphError(f"{where} must be a string, got {type(value).__name__}")
    return value


def _int(value, where, lo=-_INT_LIMIT, hi=_INT_LIMIT) -> int:
    if type(value) is not int or not lo <= value <= hi:
        raise GraphError(f"{where} must be an int in [{lo}, {hi}], got {_short(value)}")
    return value


def _shape(value, where) -> tuple:
    dims = _list(value, where)
    if len(dims) > MAX_NDIM:
        raise GraphError(f"{where} has {len(dims)} dimensions (at most {MAX_NDIM})")
    shape = tuple(_int(d, where, 0, MAX_ELEMENTS) for d in dims)
    _check_size(shape, where)
    return shape


def _check_size(shape, where):
    if len(shape) > MAX_NDIM or math.prod(shape) > MAX_ELEMENTS:
        raise GraphError(f"{where}: shape {shape} is too large (at most {MAX_NDIM} dimensions "
                         f"and {MAX_ELEMENTS} elements)")


def _dtype(value, where, allowed) -> str:
    if not isinstance(value, str) or value not in allowed:
        raise GraphError(f"{where} must be one of {', '.join(allowed)}, got {_short(value)}")
    return value


def _read_input(graph, item, where):
    _keys(item, where, required=("name", "shape", "dtype"))
    name = _string(item["name"], f"{where} name")
    graph.input(name, _shape(item["shape"], f"{where} shape"),
                _dtype(item["dtype"], f"{where} dtype", FLOAT_DTYPES))


def _read_node(graph, values, item, where):
    """Check one node entry and rebuild it with `Graph.add` (which validates and infers)."""
    _keys(item, where, required=("op", "inputs"), optional=("attrs", "role", "name"))
    op = _string(item["op"], f"{where} op")
    if op not in OPS:  # a closed allowlist: the op table, nothing else
        raise GraphError(f"{where}: unknown op {_short(op)}")
    where = f"{where} ({op})"
    operands = [_deref(graph, values, r, f"{where} operand {j}")
                for j, r in enumerate(_list(item["inputs"], f"{where} inputs"))]
    attrs = _attrs_in(op, item.get("attrs", {}), where)
    role = item.get("role", "forward")
    if role not in ROLES:
        raise GraphError(f"{where}: role must be one of {', '.join(ROLES)}, got {_short(role)}")
    name = item.get("name")
    if name is not None:
        _string(name, f"{where} name")
    try:
        node = graph.add(op, operands, attrs, role=role, name=name)
    except GraphError as e:
        raise type(e)(f"{where}: {e}") from None
    except Exception as e:  # noqa: BLE001 - a safety net: a loader fault must stay a GraphError
        raise GraphError(f"{where}: invalid node ({type(e).__name__}: {_short(str(e), 200)})") from e
    _check_size(node.shape, where)
    return node


def _deref(graph, values, ref, where):
    """A reference {"input": name} or {"node": index}, pointing backwards only."""
    if isinstance(ref, dict) and len(ref) == 1 and "input" in ref:
        name = ref["input"]
        if not isinstance(name, str) or name not in graph.input_values:
            raise GraphError(f"{where} refers to an unknown input {_short(name)}")
        return graph.input_values[name]
    if isinstance(ref, dict) and len(ref) == 1 and "node" in ref:
        index = ref["node"]
        if type(index) is not int or not 0 <= index < len(values):
            raise GraphError(f"{where} refers to node {_short(index)}, which is not defined before "
                             f"it (nodes 0..{len(values) - 1} are)")
        return values[index]
    raise GraphError(f"{where} must be {{\"input\": name}} or {{\"node\": index}}, got {_short(ref)}")


def _attrs_in(op, attrs, where) -> dict:
    kinds = OPS[op].attrs
    _keys(attrs, f"{where} attrs", required=tuple(kinds))
    return {k: _attr_in(kind, attrs[k], f"{where} attribute {k!r}") for k, kind in kinds.items()}


def _attr_in(kind, value, where):
    """One attribute from JSON data, checked against its kind (the inverse of `_attr_out`)."""
    if kind == "int":
        return _int(value, where)
    if kind == "bool":
        if not isinstance(value, bool):
            raise GraphError(f"{where} must be a bool, got {_short(value)}")
        return value
    if kind == "float":
        return _float_in(value, where)
    if kind == "dtype":
        return _dtype(value, where, DTYPES)
    if kind == "ints" or (kind == "optional_ints" and value is not None):
        return _int_list(value, where)
    if kind == "optional_ints":
        return None
    if kind == "axes":
        return value if value is None else (_int(value, where) if type(value) is int
                                            else _int_list(value, where))
    if kind == "index":
        return tuple(_index_entry(e, where) for e in _entries(value, where))
    if kind == "array":
        return _array_in(value, where)
    raise GraphError(f"{where}: attribute kind {kind!r} cannot be read")


def _entries(value, where) -> list:
    """A list of at most MAX_NDIM entries (one per axis)."""
    items = _list(value, where)
    if len(items) > MAX_NDIM:
        raise GraphError(f"{where} has {len(items)} entries (at most {MAX_NDIM})")
    return items


def _int_list(value, where) -> tuple:
    return tuple(_int(v, where) for v in _entries(value, where))


def _index_entry(entry, where):
    if isinstance(entry, list) and len(entry) == 3:
        return tuple(None if v is None else _int(v, where) for v in entry)
    if type(entry) is int:
        return _int(entry, where)
    raise GraphError(f"{where}: an index entry is an int or [start, stop, step], got {_short(entry)}")


def _float_in(value, where) -> float:
    if isinstance(value, str) and value in _NONFINITE:
        return _NONFINITE[value]
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise GraphError(f"{where} must be a number or 'nan', 'inf', '-inf', got {_short(value)}")
    try:
        return float(value)
    except OverflowError:
        raise GraphError(f"{where}: {_short(value)} is out of the float range") from None


def _array_in(value, where) -> np.ndarray:
    """A constant: dtype, shape and data (a flat list or base64 bytes) that must fit the shape."""
    _keys(value, where, required=("dtype", "shape", "encoding", "data"))
    dtype = _dtype(value["dtype"], f"{where} dtype", DTYPES)
    shape = _shape(value["shape"], f"{where} shape")
    size, encoding, data = math.prod(shape), value["encoding"], value["data"]
    if encoding == "list":
        items = _list(data, f"{where} data")
        if len(items) != size:
            raise GraphError(f"{where}: {len(items)} data element(s) for shape {shape} ({size})")
        if dtype == "bool":
            if not all(isinstance(v, bool) for v in items):
                raise GraphError(f"{where}: bool data must be true or false")
            flat = np.array(items, dtype=bool)
        else:
            flat = _float_array([_float_in(v, f"{where} data") for v in items], dtype, where)
    elif encoding == "base64":
        flat = _decode_base64(_string(data, f"{where} data"), dtype, size, shape, where)
    else:
        raise GraphError(f"{where}: encoding must be 'list' or 'base64', got {_short(encoding)}")
    return flat.reshape(shape)


def _float_array(values, dtype, where) -> np.ndarray:
    """Floats as an array of `dtype`; a finite value that does not fit (1e300 as float32) is an error."""
    wide = np.array(values, dtype=np.float64)
    if dtype == "float64":
        return wide
    with np.errstate(over="ignore"):
        flat = wide.astype(dtype)
    if np.any(np.isfinite(wide) & ~np.isfinite(flat)):
        raise GraphError(f"{where}: a value is out of the {dtype} range")
    return flat


def _decode_base64(data, dtype, size, shape, where) -> np.ndarray:
    itemsize = np.dtype(dtype).itemsize
    if len(data) > 4 * (size * itemsize + 2) // 3 + 4:
        raise GraphError(f"{where}: base64 data is longer than shape {shape} needs")
    try:
        raw = base64.b64decode(data.encode("ascii"), validate=True)
    except (binascii.Error, ValueError, UnicodeEncodeError):
        raise GraphError(f"{where}: data is not valid base64") from None
    if len(raw) != size * itemsize:
        raise GraphError(f"{where}: {len(raw)} bytes of data for shape {shape} ({size} x {itemsize})")
    if dtype == "bool" and raw.translate(None, b"\x00\x01"):
        raise GraphError(f"{where}: bool data bytes must be 0 or 1")
    return np.frombuffer(raw, dtype=np.dtype(dtype).newbyteorder("<")).astype(dtype)
