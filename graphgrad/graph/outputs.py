"""Choosing and naming a graph's outputs: `g.select(names)` and `g.rename(mapping)`.

Both return a new graph (a graph is never mutated) with every input kept, so the calling
convention stays that of `g`; gradient records follow the outputs they describe.
"""
from __future__ import annotations

from .analysis import copy_graph, live_nodes
from .errors import GraphError
from .ir import check_name


def _names(g, names, what) -> list:
    if isinstance(names, str):
        names = [names]
    elif not isinstance(names, (list, tuple)):
        raise GraphError(f"{what} takes an output name or a list of them, got {type(names).__name__}")
    names = list(names)
    for name in names:
        if not isinstance(name, str) or name not in g.outputs:
            raise GraphError(f"{what}: graph {g.name!r} has no output {name!r}; its outputs are "
                             f"{', '.join(map(repr, g.outputs)) or 'none'}")
    if len(set(names)) != len(names):
        twice = next(n for n in names if names.count(n) > 1)
        raise GraphError(f"{what} lists output {twice!r} twice")
    return names


def select(g, names):
    """A graph with only the outputs `names` (in that order), the nodes they do not need dropped."""
    names = _names(g, names, "select")
    new, mapping = copy_graph(g, outputs=False)
    values = g.output_values
    for name in names:
        new.output(name, mapping[values[name]])
    new.gradients = {n: rec for n, rec in g.gradients.items() if n in names}
    live = live_nodes(new)
    if len(live) != len(new):
        new._retain(live)
    return new


def rename(g, mapping):
    """A graph whose outputs are renamed by `mapping` (old name -> new name), order kept."""
    if not isinstance(mapping, dict):
        raise GraphError(f"rename takes a dict of old -> new output names, got {type(mapping).__name__}")
    _names(g, list(mapping), "rename")
    for new_name in mapping.values():
        check_name(new_name, "output name")
    final = [mapping.get(n, n) for n in g.outputs]
    clash = next((n for n in final if final.count(n) > 1), None)
    if clash is not None:
        raise GraphError(f"rename: two outputs of graph {g.name!r} would be named {clash!r}")
    new, values = copy_graph(g, outputs=False)
    for name, v in g.output_values.items():
        new.output(mapping.get(name, name), values[v])
    new.gradients = {mapping.get(n, n): rec for n, rec in g.gradients.items()}
    return new
