"""The JSON loader under attack: targeted corruptions (with the words their messages must carry)
and a seeded mutation fuzz of several hundred documents. Every one must raise GraphError (never
another exception type, never the loader's safety net), and nothing named in them may run.
"""
import copy
import json
import random

import numpy as np
import pytest

import graphgrad as gg
from graphgrad import GraphError
from test_graph_json import every_op_graph, load

SENTINEL = "/tmp/graphgrad_pwned_sentinel"
HOSTILE = [f"__import__('os').system('touch {SENTINEL}')", "__class__", "__import__", "eval",
           "exec", "os.system", "pickle.loads", "Graph.__init__", "constant.__globals__",
           f"!!python/object/apply:os.system ['touch {SENTINEL}']", "__builtins__", "matmul ",
           "MATMUL", "", "\u0000", "ma\u0301tmul", "%0", "evaluate"]


def small_doc():
    """A small document: inputs x, w; nodes matmul, constant, add, sum, slice; two outputs."""
    @gg.function
    def small(x: gg.f64[2, 3], w: gg.f64[3, 4]):
        h = x @ w
        s = h + np.array([[1.0, 2.0, 3.0, 4.0]])
        return {"out": s.sum(axis=1), "y": s[:, ::-1]}

    return json.loads(small.to_json())


def mutate(path, value):
    """A corruption that sets doc[path...] to value."""
    def apply(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        target[path[-1]] = value
        return doc
    return apply


def drop(path):
    def apply(doc):
        target = doc
        for key in path[:-1]:
            target = target[key]
        del target[path[-1]]
        return doc
    return apply


TARGETED = [  # (id, corruption of small_doc(), words in the message)
    ("format", mutate(["format"], "pickle"), ["format", "'pickle'"]),
    ("version_2", mutate(["version"], 2), ["version", "2"]),
    ("version_string", mutate(["version"], "1"), ["version", "'1'"]),
    ("version_bool", mutate(["version"], True), ["version", "True"]),
    ("missing_nodes", drop(["nodes"]), ["lacks", "'nodes'"]),
    ("extra_key", mutate(["exec"], "print(1)"), ["unknown key", "'exec'"]),
    ("graph_name", mutate(["name"], "a b"), ["graph name", "'a b'"]),
    ("graph_name_type", mutate(["name"], 3), ["graph name", "int"]),
    ("hostile_graph_name", mutate(["name"], HOSTILE[0]), ["graph name", "identifier"]),
    ("passes_type", mutate(["passes"], "cse"), ["passes", "list"]),
    ("input_name", mutate(["inputs", 0, "name"], "x-1"), ["input name", "'x-1'"]),
    ("input_keyword", mutate(["inputs", 0, "name"], "import"), ["'import'", "identifier"]),
    ("duplicate_input", mutate(["inputs", 1, "name"], "x"), ["'x'", "already"]),
    ("input_dtype", mutate(["inputs", 0, "dtype"], "int8"), ["inputs[0] dtype", "'int8'"]),
    ("input_dtype_alias", mutate(["inputs", 0, "dtype"], "f8"), ["inputs[0] dtype", "'f8'"]),
    ("input_shape_negative", mutate(["inputs", 0, "shape"], [2, -3]), ["inputs[0] shape", "-3"]),
    ("input_shape_float", mutate(["inputs", 0, "shape"], [2, 3.0]), ["inputs[0] shape", "3.0"]),
    ("input_shape_bool", mutate(["inputs", 0, "shape"], [True, 3]), ["inputs[0] shape", "True"]),
    ("input_shape_huge", mutate(["inputs", 0, "shape"], [2 ** 31, 2 ** 32]), ["too large"]),
    ("input_shape_ndim", mutate(["inputs", 0, "shape"], [1] * 40), ["40 dimensions"]),
    ("unknown_op", mutate(["nodes", 0, "op"], "conv2d"), ["nodes[0]", "unknown op", "'conv2d'"]),
    ("dunder_op", mutate(["nodes", 0, "op"], "__class__"), ["unknown op", "'__class__'"]),
    ("hostile_op", mutate(["nodes", 0, "op"], HOSTILE[0]), ["unknown op", "__import__"]),
    ("op_type", mutate(["nodes", 0, "op"], ["matmul"]), ["nodes[0] op", "list"]),
    ("forward_ref", mutate(["nodes", 0, "inputs", 0], {"node": 2}), ["nodes[0]", "node 2",
                                                                      "not defined before"]),
    ("self_ref", mutate(["nodes", 2, "inputs", 0], {"node": 2}), ["nodes[2]", "node 2"]),
    ("dangling_ref", mutate(["nodes", 2, "inputs", 0], {"node": 99}), ["node 99"]),
    ("negative_ref", mutate(["nodes", 2, "inputs", 0], {"node": -1}), ["node -1"]),
    ("bool_ref", mutate(["nodes", 2, "inputs", 0], {"node": True}), ["node True"]),
    ("unknown_input_ref", mutate(["nodes", 0, "inputs", 0], {"input": "z"}), ["unknown input", "'z'"]),
    ("ambiguous_ref", mutate(["nodes", 0, "inputs", 0], {"input": "x", "node": 0}), ["must be"]),
    ("string_ref", mutate(["nodes", 0, "inputs", 0], "%x"), ["must be", "'%x'"]),
    ("arity", mutate(["nodes", 0, "inputs"], [{"input": "x"}]), ["matmul", "2", "got 1"]),
    ("operand_shapes", mutate(["nodes", 0, "inputs"], [{"input": "w"}, {"input": "x"}]),
     ["nodes[0]", "matmul", "(3, 4)", "(2, 3)"]),
    ("role", mutate(["nodes", 0, "role"], "sideways"), ["role", "'sideways'"]),
    ("name_hint_type", mutate(["nodes", 0, "name"], 7), ["nodes[0] (matmul) name", "int"]),
    ("node_extra_key", mutate(["nodes", 0, "eval"], "1"), ["unknown key", "'eval'"]),
    ("attr_unknown", mutate(["nodes", 0, "attrs"], {"axis": 0}), ["attrs", "'axis'"]),
    ("attr_missing", mutate(["nodes", 3, "attrs"], {"axis": [1]}), ["lacks", "'keepdims'"]),
    ("attr_axis_float", mutate(["nodes", 3, "attrs", "axis"], 1.0), ["'axis'", "1.0"]),
    ("attr_axis_range", mutate(["nodes", 3, "attrs", "axis"], [5]), ["sum", "axis 5"]),
    ("attr_keepdims_int", mutate(["nodes", 3, "attrs", "keepdims"], 1), ["'keepdims'", "bool"]),
    ("attr_index_type", mutate(["nodes", 4, "attrs", "index"], "::-1"), ["'index'", "list"]),
    ("attr_index_entry", mutate(["nodes", 4, "attrs", "index"], [[0, 2]]), ["index entry", "[0, 2]"]),
    ("attr_index_step0", mutate(["nodes", 4, "attrs", "index"], [[0, 2, 0]]), ["slice", "step"]),
    ("constant_length", mutate(["nodes", 1, "attrs", "value", "data"], [1.0, 2.0]),
     ["2 data element", "(1, 4)"]),
    ("constant_dtype", mutate(["nodes", 1, "attrs", "value", "dtype"], "object"), ["dtype", "'object'"]),
    ("constant_item", mutate(["nodes", 1, "attrs", "value", "data", 0], "1.0"), ["data", "'1.0'"]),
    ("constant_bool_item", mutate(["nodes", 1, "attrs", "value", "data", 0], True), ["data", "True"]),
    ("constant_encoding", mutate(["nodes", 1, "attrs", "value", "encoding"], "pickle"),
     ["encoding", "'pickle'"]),
    ("constant_base64_length", lambda d: mutate(["nodes", 1, "attrs", "value"], {
        "dtype": "float64", "shape": [1, 4], "encoding": "base64", "data": "AAAAAAAAAAA="})(d),
     ["8 bytes", "(1, 4)"]),
    ("constant_base64_chars", lambda d: mutate(["nodes", 1, "attrs", "value"], {
        "dtype": "float64", "shape": [1, 4], "encoding": "base64", "data": "!!!!"})(d), ["base64"]),
    ("constant_huge_shape", mutate(["nodes", 1, "attrs", "value", "shape"], [0, 2 ** 62 + 1]),
     ["shape", "[0,"]),
    ("constant_float32_range", lambda d: mutate(["nodes", 1, "attrs", "value"], {
        "dtype": "float32", "shape": [1], "encoding": "list", "data": [1e300]})(d), ["float32 range"]),
    ("output_name", mutate(["outputs", 0, "name"], "for"), ["'for'", "identifier"]),
    ("duplicate_output", mutate(["outputs", 1, "name"], "out"), ["'out'", "already"]),
    ("output_ref", mutate(["outputs", 0, "ref"], {"node": 17}), ["outputs[0]", "node 17"]),
    ("top_level_list", lambda d: [d], ["document", "JSON object", "list"]),
]


@pytest.mark.parametrize("corrupt, words", [c[1:] for c in TARGETED], ids=[c[0] for c in TARGETED])
def test_targeted_corruption(corrupt, words):
    text = json.dumps(corrupt(small_doc()))
    with pytest.raises(GraphError) as info:
        load(text)
    assert info.value.__cause__ is None, "a fault reached the loader's safety net"
    missing = [w for w in words if w not in str(info.value)]
    assert not missing, f"{missing} not in {str(info.value)!r}"


@pytest.mark.parametrize("text", [
    "", "{", "nul", "[1, 2", '{"format": "graphgrad", "version": NaN}', '{"a": Infinity}',
    '{"version": 1, "version": 1}', "[" * 100000 + "]" * 100000, '{"a":' * 50000 + "1" + "}" * 50000,
    "1" * 5000, b"\xff\xfe\x00", 42, None, ["format"]],
    ids=lambda t: repr(t)[:20])
def test_not_a_document(text):
    with pytest.raises(GraphError):
        load(text)


@pytest.mark.parametrize("depth", [10, 500, 950, 990, 3000])
def test_deeply_nested_attribute(depth):
    doc = small_doc()
    doc["nodes"][3]["attrs"]["axis"] = "@@"  # spliced into the text: json itself recurses
    text = json.dumps(doc).replace('"@@"', "[" * depth + "]" * depth)
    with pytest.raises(GraphError) as info:
        load(text)
    assert info.value.__cause__ is None


# --- the seeded mutation fuzz ------------------------------------------------------------------

def _paths(value, prefix=()):
    """Every path to a value inside a parsed document (dict keys and list positions)."""
    yield prefix
    items = value.items() if isinstance(value, dict) else enumerate(value) if isinstance(value, list) \
        else ()
    for key, child in items:
        yield from _paths(child, prefix + (key,))


BAD_VALUES = [None, True, False, 0, -1, 1, 7, 2 ** 62, 10 ** 30, 1.5, float("-0"), "", "nan", "x",
              [], {}, [[[]]], [1, 2], [-1], {"node": 0}, {"input": "x"}, {"node": 10 ** 9},
              [0, 1, 2], "float64", "bool", "int64", ["x"] * 40, *HOSTILE]


def fuzz_documents(count, seed=0):
    """`count` corrupted texts: truncations, random value swaps, removed keys and dropped items."""
    rng = random.Random(seed)
    bases = [json.dumps(small_doc()), every_op_graph().to_json()]
    docs = []
    for i in range(count):
        text = bases[i % len(bases)]
        kind = i % 4
        if kind == 0:  # truncation anywhere (a truncated document is never valid JSON)
            docs.append(text[:rng.randrange(len(text))])
            continue
        doc = json.loads(text)
        path = rng.choice(list(_paths(doc))[1:])
        parent = doc
        for key in path[:-1]:
            parent = parent[key]
        if kind == 1 or not isinstance(parent, (dict, list)):
            parent[path[-1]] = copy.deepcopy(rng.choice(BAD_VALUES))
        elif kind == 2:
            del parent[path[-1]]
        else:  # swap two values of the document
            other = rng.choice(list(_paths(doc))[1:])
            holder = doc
            for key in other[:-1]:
                holder = holder[key]
            if other[: len(path)] != path and path[: len(other)] != other:
                parent[path[-1]], holder[other[-1]] = holder[other[-1]], parent[path[-1]]
        docs.append(json.dumps(doc))
    return docs


def test_mutation_fuzz_yields_only_graph_errors():
    import os

    if os.path.exists(SENTINEL):
        os.remove(SENTINEL)
    rejected = accepted = 0
    for text in fuzz_documents(700):
        try:
            graph = load(text)
        except GraphError as e:
            assert e.__cause__ is None, f"safety net caught {e.__cause__!r} for {text[:200]}"
            rejected += 1
        else:  # some mutations are harmless (a name hint, a value that happens to fit)
            graph.verify()
            accepted += 1
    assert rejected >= 300, (rejected, accepted)
    assert not os.path.exists(SENTINEL)
