"Run every notebook in nbs/ under pytest (one test per notebook); cells flagged with `tst_flags` are skipped."
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NBS = sorted(p for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts and not p.name.startswith('_'))

@pytest.mark.parametrize('nb', NBS, ids=[str(p.relative_to(ROOT/'nbs')) for p in NBS])
def test_notebook(nb):
    import nbdev.test as nbt
    from nbdev.config import get_config
    flags = get_config(ROOT).tst_flags.split()
    ok, secs = nbt.test_nb(nb, skip_flags=flags, cell_timing_min=20)
    assert ok, f'{nb.name} failed (traceback above)'
