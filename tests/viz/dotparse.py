"""A small reader for the DOT text that the graphviz package writes, for structural tests.

It knows the package's layout (one statement per line; `subgraph NAME {` ... `}` blocks) and
the three value forms (bare, "quoted" with backslash escapes, <HTML> with balanced brackets).
`dot_json` asks the real Graphviz parser (`dot -Tjson0`) for the same facts when it is installed.
"""
from dataclasses import dataclass, field
import json
import re
import shutil
import subprocess

HAS_DOT = shutil.which("dot") is not None
_ID = r'[A-Za-z_][A-Za-z_0-9]*'
_NODE = re.compile(rf'^({_ID})(?: \[(.*)\])?$')
_EDGE = re.compile(rf'^({_ID}) -> ({_ID})(?: \[(.*)\])?$')


@dataclass
class Dot:
    nodes: dict = field(default_factory=dict)  # id -> attrs
    edges: list = field(default_factory=list)  # (tail, head, attrs)
    clusters: dict = field(default_factory=dict)  # cluster name -> [node ids, nested included]
    cluster_attrs: dict = field(default_factory=dict)  # cluster name -> its attributes
    graph_attrs: dict = field(default_factory=dict)


def parse_attrs(text: str) -> dict:
    """`a=1 b="x y" label=<<B>h</B>>` as a dict of raw values (quotes removed, HTML kept)."""
    attrs, i = {}, 0
    while i < len(text):
        if text[i] == " ":
            i += 1
            continue
        eq = text.index("=", i)
        key, i = text[i:eq], eq + 1
        if text[i] == '"':
            j = i + 1
            while text[j] != '"':
                j += 2 if text[j] == "\\" else 1
            attrs[key], i = text[i + 1:j], j + 1
        elif text[i] == "<":
            depth, j = 0, i
            while True:
                depth += {"<": 1, ">": -1}.get(text[j], 0)
                j += 1
                if depth == 0:
                    break
            attrs[key], i = text[i:j], j
        else:
            j = text.find(" ", i)
            j = len(text) if j < 0 else j
            attrs[key], i = text[i:j], j
    return attrs


def parse(source: str) -> Dot:
    """The nodes, edges and cluster membership of a DOT text written by the graphviz package."""
    out, stack = Dot(), []
    for raw in source.splitlines()[1:-1]:
        line = raw.strip()
        if line.startswith("subgraph "):
            stack.append(line.split()[1])
            if stack[-1].startswith("cluster"):
                out.clusters[stack[-1]] = []
        elif line == "}":
            stack.pop()
        elif (m := _EDGE.match(line)):
            out.edges.append((m[1], m[2], parse_attrs(m[3] or "")))
        elif (m := _NODE.match(line)) and m[1] not in ("graph", "node", "edge"):
            out.nodes[m[1]] = parse_attrs(m[2] or "")
            for name in stack:
                if name in out.clusters:
                    out.clusters[name].append(m[1])
        elif not stack:
            out.graph_attrs.update(parse_attrs(re.sub(r"^(graph|node|edge) \[(.*)\]$", "", line)))
        elif stack[-1] in out.clusters:
            out.cluster_attrs.setdefault(stack[-1], {}).update(parse_attrs(line))
    return out


def dot_json(source: str) -> dict:
    """Graphviz's own reading of the source (`dot -Tjson0`): raises CalledProcessError if it
    does not parse."""
    done = subprocess.run(["dot", "-Tjson0"], input=source.encode(), capture_output=True,
                          check=True, timeout=60)
    return json.loads(done.stdout)


def json_structure(data: dict):
    """(node names, [(tail, head)], {cluster name: sorted node names}) from `dot -Tjson0`."""
    objects = data.get("objects", [])
    names = [o["name"] for o in objects[data.get("_subgraph_cnt", 0):]]
    edges = [(objects[e["tail"]]["name"], objects[e["head"]]["name"]) for e in data.get("edges", [])]
    clusters = {o["name"]: sorted(objects[i]["name"] for i in o.get("nodes", []))
                for o in objects if o["name"].startswith("cluster")}
    return sorted(names), edges, clusters
