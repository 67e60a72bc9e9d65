"Project checks: the package basics and the notebook/library sync check used by `make test`."
import json, shutil, subprocess, sys
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import check_nbs

def test_version_and_fast_import():
    code = ('import sys, time; t = time.perf_counter(); import dglkit; dt = time.perf_counter() - t; '
            'import importlib.metadata as md; '
            'print(dglkit.__version__, md.version("dglkit"), "torch" in sys.modules, dt)')
    out = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, check=True).stdout.split()
    assert out[0] == out[1], 'dglkit.__version__ differs from the installed metadata: reinstall with `make setup`'
    assert out[2] == 'False', '`import dglkit` must not import torch (no heavy work at import time)'
    assert float(out[3]) < 1.0

def test_installed_from_this_checkout():
    import dglkit
    assert Path(dglkit.__file__).resolve().parent == ROOT/'dglkit', 'dglkit is not installed editable from this checkout'

@pytest.fixture
def copy(tmp_path):
    "A copy of the parts of the project the check looks at"
    for f in ['pyproject.toml', 'README.md']: shutil.copy(ROOT/f, tmp_path)
    for d in ['nbs', 'dglkit', 'tools']: shutil.copytree(ROOT/d, tmp_path/d, ignore=shutil.ignore_patterns('__pycache__'))
    return tmp_path

def test_check_passes_on_the_repo(copy):
    assert check_nbs.export_problems(copy) == []
    assert check_nbs.clean_problems(copy) == []

def _edit_export_cell(nb_path, old, new):
    nb = json.loads(nb_path.read_text())
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'code' and src.startswith('#| export') and old in src:
            c['source'] = src.replace(old, new).splitlines(True); break
    else: raise AssertionError(f'no export cell with {old!r}')
    nb_path.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

def test_unexported_edit_names_the_notebook(copy):
    _edit_export_cell(copy/'nbs'/'00_core.ipynb', 'def seed_everything', 'def seed_everything2')
    probs = check_nbs.export_problems(copy)
    assert len(probs) >= 1 and any('nbs/00_core.ipynb' in p and 'dglkit/core.py' in p for p in probs), probs

def test_hand_edit_of_library_is_caught(copy):
    (copy/'dglkit'/'core.py').write_text((copy/'dglkit'/'core.py').read_text() + '\nX = 1\n')
    (copy/'dglkit'/'handmade.py').write_text('Y = 2\n')
    probs = check_nbs.export_problems(copy)
    assert any('dglkit/core.py' in p and 'nbs/00_core.ipynb' in p for p in probs), probs
    assert any('dglkit/handmade.py is not produced by any notebook' in p for p in probs), probs

def test_unclean_notebook_and_widget_state_are_caught(copy):
    p = copy/'nbs'/'00_core.ipynb'
    nb = json.loads(p.read_text())
    nb['cells'][2]['execution_count'] = 7
    nb['cells'].append(dict(cell_type='code', id='mixed01', metadata={}, outputs=[], execution_count=None,
                            source=['import math\n', 'x = math.pi\n']))
    nb['metadata']['widgets'] = {'application/vnd.jupyter.widget-state+json': {'state': {}}}
    p.write_text(json.dumps(nb, indent=1) + '\n')
    probs = check_nbs.clean_problems(copy)
    assert any('00_core.ipynb is not clean' in x for x in probs), probs
    assert any('widget state' in x for x in probs), probs
    assert any('mixing imports with other code' in x for x in probs), probs

def test_stale_readme_is_caught(copy):
    (copy/'README.md').write_text('old\n')
    assert check_nbs.readme_problems(copy) and check_nbs.main(copy) == 1
