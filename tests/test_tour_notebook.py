"""examples/tour.ipynb runs top to bottom in a real Jupyter kernel (nbclient + ipykernel): any cell
error fails the test. The pictures come out as SVG where Graphviz is installed."""
import shutil
from pathlib import Path

import pytest

nbformat = pytest.importorskip("nbformat", reason="nbformat is not installed (pip install -e .[dev])")
nbclient = pytest.importorskip("nbclient", reason="nbclient is not installed (pip install -e .[dev])")
pytest.importorskip("ipykernel", reason="ipykernel is not installed (pip install -e .[dev])")

ROOT = Path(__file__).resolve().parents[1]
TOUR = ROOT / "examples" / "tour.ipynb"


def test_tour_runs_in_a_kernel_without_errors():
    nb = nbformat.read(TOUR, as_version=4)
    client = nbclient.NotebookClient(nb, timeout=120, kernel_name="python3", allow_errors=False,
                                     resources={"metadata": {"path": str(ROOT)}})
    client.execute()  # raises CellExecutionError, naming the cell, on any error
    outputs = [o for c in nb.cells if c.cell_type == "code" for o in c.outputs]
    text = "".join(o.get("text", "") for o in outputs if o.output_type == "stream")
    assert "loss and gradients match hand-written numpy" in text
    assert "def two_layer_net(x, y, w1, w2):" in text  # the emitted source was printed
    shown = [o.get("data", {}) for o in outputs if o.output_type == "execute_result"]
    pictures = [d for d in shown if "image/svg+xml" in d]
    if shutil.which("dot"):
        assert len(pictures) >= 5  # forward, backward, optimized, compare, marked
        assert any("x ⊗ I₆" in d["image/svg+xml"] for d in pictures)
    else:
        assert any("text/plain" in d and "%0" in d["text/plain"] for d in shown)


def test_tour_is_stored_without_outputs():
    """Outputs are made by running it; stored ones would go stale and bloat the diff."""
    nb = nbformat.read(TOUR, as_version=4)
    assert all(not c.get("outputs") for c in nb.cells if c.cell_type == "code")
    nbformat.validate(nb)
