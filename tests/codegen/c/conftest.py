"""Settings for the C backend's tests: a fresh build cache per test session (so the tests run the
compiler for real), the codegen test helpers importable, and a skip when there is no C compiler."""
import os
import pathlib
import shutil
import sys

import pytest

sys.path.insert(0, str(pathlib.Path(__file__).resolve().parent.parent))  # test_ops, codegen_models

HAVE_CC = bool(os.environ.get("CC") or shutil.which("cc") or shutil.which("gcc") or shutil.which("clang"))


def pytest_collection_modifyitems(config, items):
    if HAVE_CC:
        return
    skip = pytest.mark.skip(reason="no C compiler on PATH (make setup installs gcc)")
    for item in items:
        if "codegen/c/" in str(item.fspath).replace(os.sep, "/"):
            item.add_marker(skip)


@pytest.fixture(scope="session", autouse=True)
def _c_cache(tmp_path_factory):
    old = os.environ.get("GRAPHGRAD_CACHE")
    os.environ["GRAPHGRAD_CACHE"] = str(tmp_path_factory.mktemp("c-cache"))
    yield
    if old is None:
        os.environ.pop("GRAPHGRAD_CACHE", None)
    else:
        os.environ["GRAPHGRAD_CACHE"] = old
