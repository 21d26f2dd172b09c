"""A CPython entry point for in-process C builds: the generated functions called straight from
Python, with no ctypes in between.

On a small graph the hand-off costs as much as the arithmetic: ctypes converts every argument
and goes through libffi, and the Python-level checks before it read each array's shape and
dtype as Python objects. Here the library is also a CPython extension module: one C function
per graph checks the arguments (exact ndarray, dtype, shape, C-contiguous and aligned), picks
output arrays from a pool, releases the GIL, runs, and returns the outputs. Arguments it does not
take go to a Python fallback (the checked call of `CompiledFunction`, or call.py's ctypes path),
so errors and conversions stay those of every backend.

The pool follows call.py: an output is written again only when nothing but the pool holds it
(the caller dropped it), so an array a caller keeps is never touched. Pools and the spare
workspaces are handled with the GIL held, so calls from several threads at once each get their
own. Exported files never contain any of this. Used when the interpreter's and numpy's headers
are found (`entry_includes`); `GRAPHGRAD_C_ENTRY=ctypes` turns it off.
"""
from __future__ import annotations

import hashlib
import importlib.machinery
import importlib.util
import os
import pathlib
import sys
import sysconfig

import numpy as np

from .function import wrap

_PRELUDE = '''\
/* Built in-process by graphgrad with its CPython entry points (codegen/c/pyentry.py) for
   {python}, numpy {numpy}. The module itself follows unchanged. */
#define PY_SSIZE_T_CLEAN
#include <Python.h>
#define NPY_NO_DEPRECATED_API NPY_1_7_API_VERSION
#include <numpy/arrayobject.h>
'''

_TYPES = '''\
/* ---- CPython entry points ----------------------------------------------------------------- */

/* What an entry needs to know of one generated function: its arguments' numpy types, ranks and
   shapes (inputs, then outputs), its workspace size, and how to call it with its pointers. */
typedef struct {
    const char *name;
    int n_in, n_out;
    const int *types, *ndims;
    const npy_intp *dims;
    size_t workspace_bytes;
    void (*run)(void *const *ptrs, void *workspace);
} gg_py_function;

#define GG_PY_SPARES 4 /* workspaces kept for the next calls */

/* One callable: a function, the fallback for arguments it does not take, two output arrays per
   output (newest first) and spare workspaces (raw blocks, aligned on use). */
typedef struct {
    PyObject_HEAD
    vectorcallfunc vectorcall;
    const gg_py_function *fn;
    PyObject *fallback;
    PyObject **pool;
    void *spare[GG_PY_SPARES];
    int spares;
} gg_py_call;
'''

_GENERIC = '''\
/* Whether x is a plain, C-contiguous, aligned, native-order ndarray of this type and shape. */
static int gg_py_takes(PyObject *x, int type, int ndim, const npy_intp *dims)
{
    PyArrayObject *a = (PyArrayObject *)x;
    int d;
    if (!PyArray_CheckExact(x) || PyArray_TYPE(a) != type || PyArray_NDIM(a) != ndim ||
            !PyArray_IS_C_CONTIGUOUS(a) || !PyArray_ISALIGNED(a) || !PyArray_ISNOTSWAPPED(a)) {
        return 0;
    }
    for (d = 0; d < ndim; ++d) {
        if (PyArray_DIMS(a)[d] != dims[d]) {
            return 0;
        }
    }
    return 1;
}

/* A new reference to an output array: a pooled one that only the pool holds, else a new one. */
static PyObject *gg_py_output(PyObject **pool, int type, int ndim, const npy_intp *dims)
{
    PyObject *fresh;
    if (pool[0] != NULL && Py_REFCNT(pool[0]) == 1) {
        Py_INCREF(pool[0]);
        return pool[0];
    }
    if (pool[1] != NULL && Py_REFCNT(pool[1]) == 1) {
        Py_INCREF(pool[1]);
        return pool[1];
    }
    fresh = PyArray_SimpleNew(ndim, (npy_intp *)dims, type);
    if (fresh == NULL) {
        return NULL;
    }
    Py_XDECREF(pool[1]);
    pool[1] = pool[0];
    pool[0] = fresh;
    Py_INCREF(fresh);
    return fresh;
}

/* The outputs as the other backends return them: none as (), one alone, several as a tuple;
   a 0-d array as a numpy scalar. Steals the references in outs. */
static PyObject *gg_py_results(PyObject **outs, int n_out)
{
    PyObject *tuple;
    int i;
    if (n_out == 1) {
        return PyArray_Return((PyArrayObject *)outs[0]);
    }
    tuple = PyTuple_New(n_out);
    for (i = 0; i < n_out; ++i) {
        PyObject *item = PyArray_Return((PyArrayObject *)outs[i]);
        if (tuple == NULL || item == NULL) {
            Py_XDECREF(item);
            continue;
        }
        PyTuple_SET_ITEM(tuple, i, item);
    }
    if (tuple != NULL && PyErr_Occurred()) {
        Py_DECREF(tuple);
        return NULL;
    }
    return tuple;
}

static PyObject *gg_py_vectorcall(PyObject *self_, PyObject *const *args, size_t nargsf, PyObject *kwnames)
{
    gg_py_call *self = (gg_py_call *)self_;
    const gg_py_function *fn = self->fn;
    const Py_ssize_t nargs = PyVectorcall_NARGS(nargsf);
    const npy_intp *dims = fn->dims;
    void *ptrs[GG_PY_MAX_POINTERS];
    PyObject *outs[GG_PY_MAX_POINTERS];
    void *raw;
    int i;
    if (kwnames != NULL || nargs != fn->n_in) {
        return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
    }
    for (i = 0; i < fn->n_in; ++i) {
        if (!gg_py_takes(args[i], fn->types[i], fn->ndims[i], dims)) {
            return PyObject_Vectorcall(self->fallback, args, nargsf, kwnames);
        }
        ptrs[i] = PyArray_DATA((PyArrayObject *)args[i]);
        dims += fn->ndims[i];
    }
    for (i = 0; i < fn->n_out; ++i) {
        const int k = fn->n_in + i;
        outs[i] = gg_py_output(self->pool + 2 * i, fn->types[k], fn->ndims[k], dims);
        if (outs[i] == NULL) {
            while (i-- > 0) {
                Py_DECREF(outs[i]);
            }
            return NULL;
        }
        ptrs[k] = PyArray_DATA((PyArrayObject *)outs[i]);
        dims += fn->ndims[k];
    }
    raw = self->spares > 0 ? self->spare[--self->spares] : PyMem_RawMalloc(fn->workspace_bytes + 64);
    if (raw == NULL) {
        for (i = 0; i < fn->n_out; ++i) {
            Py_DECREF(outs[i]);
        }
        return PyErr_NoMemory();
    }
    Py_BEGIN_ALLOW_THREADS
    fn->run(ptrs, (void *)(((uintptr_t)raw + 63) & ~(uintptr_t)63));
    Py_END_ALLOW_THREADS
    if (self->spares < GG_PY_SPARES) {
        self->spare[self->spares++] = raw;
    } else {
        PyMem_RawFree(raw);
    }
    return gg_py_results(outs, fn->n_out);
}

static int gg_py_traverse(PyObject *self_, visitproc visit, void *arg)
{
    gg_py_call *self = (gg_py_call *)self_;
    int i;
    Py_VISIT(self->fallback);
    for (i = 0; i < 2 * self->fn->n_out; ++i) {
        Py_VISIT(self->pool[i]);
    }
    return 0;
}

static int gg_py_clear(PyObject *self_)
{
    gg_py_call *self = (gg_py_call *)self_;
    int i;
    Py_CLEAR(self->fallback);
    for (i = 0; i < 2 * self->fn->n_out; ++i) {
        Py_CLEAR(self->pool[i]);
    }
    return 0;
}

static void gg_py_dealloc(PyObject *self_)
{
    gg_py_call *self = (gg_py_call *)self_;
    PyObject_GC_UnTrack(self_);
    gg_py_clear(self_);
    while (self->spares > 0) {
        PyMem_RawFree(self->spare[--self->spares]);
    }
    PyMem_Free(self->pool);
    Py_TYPE(self_)->tp_free(self_);
}

static PyTypeObject gg_py_call_type = {
    PyVarObject_HEAD_INIT(NULL, 0)
    .tp_name = "graphgrad.CEntry",
    .tp_doc = "A generated C function, called with numpy arrays (graphgrad's in-process C backend).",
    .tp_basicsize = sizeof(gg_py_call),
    .tp_flags = Py_TPFLAGS_DEFAULT | Py_TPFLAGS_HAVE_GC | Py_TPFLAGS_HAVE_VECTORCALL,
    .tp_vectorcall_offset = offsetof(gg_py_call, vectorcall),
    .tp_call = PyVectorcall_Call,
    .tp_traverse = gg_py_traverse,
    .tp_clear = gg_py_clear,
    .tp_dealloc = gg_py_dealloc,
};

/* entry(name, fallback): a new callable for the generated function `name`. */
static PyObject *gg_py_entry(PyObject *module, PyObject *args)
{
    const char *name;
    PyObject *fallback, **pool;
    gg_py_call *self;
    size_t i;
    (void)module;
    if (!PyArg_ParseTuple(args, "sO:entry", &name, &fallback)) {
        return NULL;
    }
    for (i = 0; i < sizeof gg_py_functions / sizeof gg_py_functions[0]; ++i) {
        if (strcmp(gg_py_functions[i].name, name) == 0) {
            break;
        }
    }
    if (i == sizeof gg_py_functions / sizeof gg_py_functions[0]) {
        PyErr_Format(PyExc_KeyError, "no generated function %s here", name);
        return NULL;
    }
    pool = PyMem_Calloc(2 * (size_t)gg_py_functions[i].n_out + 1, sizeof(PyObject *));
    if (pool == NULL) {
        return PyErr_NoMemory();
    }
    self = PyObject_GC_New(gg_py_call, &gg_py_call_type);
    if (self == NULL) {
        PyMem_Free(pool);
        return NULL;
    }
    self->vectorcall = gg_py_vectorcall;
    self->fn = &gg_py_functions[i];
    self->pool = pool;
    self->spares = 0;
    Py_INCREF(fallback);
    self->fallback = fallback;
    PyObject_GC_Track((PyObject *)self);
    return (PyObject *)self;
}

static PyMethodDef gg_py_methods[] = {
    {"entry", gg_py_entry, METH_VARARGS, "entry(name, fallback): the callable of one function."},
    {NULL, NULL, 0, NULL},
};
'''


def entry_includes():
    """(include folders, None) when this interpreter can load the entry points, else (None,
    why not): CPython with a GIL, its headers and numpy's on disk, and not turned off."""
    if os.environ.get("GRAPHGRAD_C_ENTRY", "") == "ctypes":
        return None, "GRAPHGRAD_C_ENTRY=ctypes"
    if sys.implementation.name != "cpython" or sysconfig.get_config_var("Py_GIL_DISABLED"):
        return None, "not a CPython with a GIL"
    folders = [sysconfig.get_paths()["include"], np.get_include()]
    if not os.path.exists(os.path.join(folders[0], "Python.h")):
        return None, f"no Python.h in {folders[0]} (install python3-dev)"
    if not os.path.exists(os.path.join(folders[1], "numpy", "arrayobject.h")):
        return None, f"no numpy/arrayobject.h in {folders[1]}"
    return folders, None


def extension_name(source: str, settings: str = "") -> str:
    """A module name that is the same for the same source, build settings (build.build_settings:
    another BLAS or flags make another module, not the one already imported), interpreter and numpy."""
    text = "\0".join([source, settings, sys.version, np.__version__])
    return "graphgrad_c_" + hashlib.sha256(text.encode()).hexdigest()[:20]


def extension_source(module, name: str) -> str:
    """The module's C source with the entry points of its functions and `PyInit_<name>`."""
    functions = list(module.functions.values())
    most = max([len(f.params) for f in functions] + [1])
    parts = [_PRELUDE.format(python=f"CPython {sys.version.split()[0]}", numpy=np.__version__),
             module.source.rstrip("\n"), _TYPES.rstrip("\n"), f"#define GG_PY_MAX_POINTERS {most}"]
    parts += [_describe(f) for f in functions]
    rows = ",\n".join(f"    {{{f.name!r}, {_count(f, 'input')}, {_count(f, 'output')}, {f.name}_py_types, "
                      f"{f.name}_py_ndims, {f.name}_py_dims, {f.plan.workspace_bytes}, {f.name}_py_run}}"
                      .replace("'", '"') for f in functions)
    parts += [f"static const gg_py_function gg_py_functions[] = {{\n{rows},\n}};", _GENERIC, _init(name)]
    return "\n\n".join(parts) + "\n"


def _count(f, io) -> int:
    return sum(p.io == io for p in f.params)


def _describe(f) -> str:
    """One function's tables and its call with all pointers in one array (inputs, outputs, then
    the workspace)."""
    params = [p for p in f.params if p.io == "input"] + [p for p in f.params if p.io == "output"]
    types = ", ".join(f"NPY_{np.dtype(p.spec.dtype).name.upper()}" for p in params) or "0"
    ndims = ", ".join(str(len(p.spec.shape)) for p in params) or "0"
    dims = ", ".join(str(d) for p in params for d in p.spec.shape) or "0"
    order = {p.c_name: i for i, p in enumerate(params)}
    call = wrap(f"    {f.name}(", [f"ptrs[{order[p.c_name]}]" for p in f.params] + ["workspace"], ");")
    return "\n".join([
        f"static const int {f.name}_py_types[] = {{{types}}};",
        f"static const int {f.name}_py_ndims[] = {{{ndims}}};",
        f"static const npy_intp {f.name}_py_dims[] = {{{dims}}};",
        f"static void {f.name}_py_run(void *const *ptrs, void *workspace)", "{", call, "}"])


def _init(name: str) -> str:
    return "\n".join([
        f"static struct PyModuleDef gg_py_module = {{PyModuleDef_HEAD_INIT, \"{name}\", NULL, -1, gg_py_methods,",
        "                                          NULL, NULL, NULL, NULL};", "",
        f"PyMODINIT_FUNC PyInit_{name}(void)", "{",
        "    import_array();",
        "    if (PyType_Ready(&gg_py_call_type) < 0) {", "        return NULL;", "    }",
        "    return PyModule_Create(&gg_py_module);", "}"])


def load_extension(path: pathlib.Path, name: str):
    """Import the built library as the extension module `name` (once per process)."""
    if name in sys.modules:
        return sys.modules[name]
    loader = importlib.machinery.ExtensionFileLoader(name, str(path))
    spec = importlib.util.spec_from_file_location(name, str(path), loader=loader)
    module = importlib.util.module_from_spec(spec)
    loader.exec_module(module)
    sys.modules[name] = module
    return module
