"""Running the generated jax code over a device mesh: graphgrad chooses input shardings for
`jax.jit`, and XLA (GSPMD) partitions the program and inserts the collectives.

`shard` maps an input name to a mesh axis name (its leading axis split over that mesh axis: data
parallel), or to a tuple of them or a `PartitionSpec` (any axes: model parallel); other inputs
are replicated. Every mistake is a GraphError naming the input, the shapes and the mesh.
"""
from __future__ import annotations

import math

from ..graph.errors import GraphError


def partition_specs(g, mesh, shard) -> dict:
    """input name -> PartitionSpec, checked against the graph and the mesh."""
    from jax.sharding import Mesh

    if not isinstance(mesh, Mesh):
        raise GraphError(f"mesh must be a jax.sharding.Mesh, got {type(mesh).__name__}")
    sizes = dict(zip(mesh.axis_names, mesh.devices.shape))
    specs = {}
    for name, spec in checked_specs(g, shard).items():
        shape = g.inputs[name].shape
        used = []
        for dim, axes in zip(shape, spec):
            axes = () if axes is None else (axes,) if isinstance(axes, str) else tuple(axes)
            used += axes
            for axis in axes:
                if axis not in sizes:
                    raise GraphError(f"shard[{name!r}]: the mesh has no axis {axis!r}; its axes are "
                                     f"{', '.join(map(repr, mesh.axis_names))}")
            parts = math.prod(sizes[a] for a in axes)
            if dim % parts:
                raise GraphError(f"shard[{name!r}]: {dim} does not divide over {parts} devices of mesh "
                                 f"{dict(sizes)} (input shape {shape}); use a batch that is a multiple of {parts}")
        twice = sorted({a for a in used if used.count(a) > 1})
        if twice:
            raise GraphError(f"shard[{name!r}] = {spec} splits input {name!r} {shape} over mesh axis "
                             f"{twice[0]!r} twice; a mesh axis can split one dimension of an input")
        specs[name] = spec
    return specs


def checked_specs(g, shard) -> dict:
    """input name -> PartitionSpec, from a mesh axis name, a tuple of them (None for an axis not
    split) or a PartitionSpec; checked against the graph's inputs, not yet against a mesh."""
    from jax.sharding import PartitionSpec

    if not isinstance(shard, dict):
        raise GraphError(f"shard must be a dict from input names to mesh axes, got {type(shard).__name__}")
    specs = {}
    for name, spec in shard.items():
        if name not in g.inputs:
            raise GraphError(f"shard: graph {g.name!r} has no input {name!r}; its inputs are "
                             f"{', '.join(map(repr, g.inputs))}")
        if isinstance(spec, str):
            spec = PartitionSpec(spec)
        elif isinstance(spec, (tuple, list)) and not isinstance(spec, PartitionSpec):
            spec = PartitionSpec(*spec)
        if not isinstance(spec, PartitionSpec) or not all(_is_axes(a) for a in spec):
            raise GraphError(f"shard[{name!r}] must be a mesh axis name, a tuple of mesh axis names "
                             f"(None for an axis not split) or a PartitionSpec, got {spec!r}")
        shape = g.inputs[name].shape
        if len(spec) > len(shape):
            raise GraphError(f"shard[{name!r}] = {spec} names {len(spec)} axes of a {len(shape)}-d input {shape}")
        specs[name] = spec
    return specs


def _is_axes(entry) -> bool:
    """One entry of a PartitionSpec: None, a mesh axis name, or a tuple of names."""
    if entry is None or isinstance(entry, str):
        return True
    return isinstance(entry, tuple) and all(isinstance(a, str) for a in entry)


def in_shardings(g, mesh, shard) -> tuple:
    """One NamedSharding per input, in order: the partition specs, the rest replicated."""
    from jax.sharding import NamedSharding, PartitionSpec

    specs = partition_specs(g, mesh, shard)
    return tuple(NamedSharding(mesh, specs.get(n, PartitionSpec())) for n in g.inputs)


def spec_text(spec) -> str:
    """A PartitionSpec as source: `PartitionSpec('data')`, `PartitionSpec(None, 'model')`."""
    return f"PartitionSpec({', '.join(repr(a) for a in spec)})"


def sharded_function(fname, g, shard) -> str:
    """The source of `<fname>_sharded(mesh)`: the function jitted with the input shardings."""
    specs = checked_specs(g, shard)
    entries = ", ".join(spec_text(specs[n]) if n in specs else "PartitionSpec()" for n in g.inputs)
    split = ", ".join(f"{n} as {spec_text(s)}" for n, s in specs.items()) or "nothing"
    return (f"def {fname}_sharded(mesh):\n"
            f'    """{fname} jitted over `mesh`: {split}; the other inputs replicated (XLA inserts\n'
            f'    the collectives, e.g. the all-reduce of data-parallel gradients)."""\n'
            f"    specs = ({entries}{',' if len(g.inputs) == 1 else ''})\n"
            f"    return jax.jit({fname}, in_shardings=tuple(NamedSharding(mesh, s) for s in specs))\n")
