"nbdev 2's names (see nbs/14_nbdev2.ipynb): the `nbdev_export` alias, a stale `settings.ini`, and `setup.py`."
import filecmp, os, re, shutil, subprocess, sys
from pathlib import Path
import pytest
from dglkit.nbdev2 import nbdev_command

ROOT = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
ALIASES = ['nbdev_export', 'nbdev_clean', 'nbdev_test', 'nbdev_readme']
ENV = {**os.environ, 'PYTHONPATH': str(ROOT)}  # this checkout's dglkit, also where the venv's install points elsewhere

def _alias(name):
    "The installed console script; before `make setup` has installed it, the same call pip's script makes"
    exe = BIN/name
    code = f'import sys; sys.path[0] = {str(ROOT)!r}; from dglkit.nbdev2 import {name}; sys.exit({name}())'  # not the cwd's dglkit/
    return [str(exe)] if exe.exists() else [sys.executable, '-c', code]

@pytest.fixture
def proj(tmp_path):
    "What `nbdev-export` reads, with an empty `dglkit/` (as tools/check_nbs.py's export check makes it)"
    shutil.copy(ROOT/'pyproject.toml', tmp_path)
    shutil.copytree(ROOT/'nbs', tmp_path/'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints', '_proc'))
    (tmp_path/'dglkit').mkdir()
    shutil.copy(ROOT/'dglkit'/'__init__.py', tmp_path/'dglkit')
    return tmp_path

def test_aliases_are_installed():
    missing = [n for n in ALIASES if not (BIN/n).exists()]
    assert not missing, f'{missing} not installed in {BIN}: run `make setup` (pyproject.toml [project.scripts] declares them)'

def test_nbdev_export_alias_reproduces_the_library(proj):
    r = subprocess.run(_alias('nbdev_export'), cwd=proj, capture_output=True, text=True, env=ENV)
    assert r.returncode == 0, r.stderr
    new = sorted(p.relative_to(proj/'dglkit') for p in (proj/'dglkit').rglob('*.py'))
    old = sorted(p.relative_to(ROOT/'dglkit') for p in (ROOT/'dglkit').rglob('*.py'))
    assert new == old and len(new) > 15
    assert [p for p in new if not filecmp.cmp(ROOT/'dglkit'/p, proj/'dglkit'/p, shallow=False)] == []
    assert (proj/'nbs'/'llms.txt').read_text() == (ROOT/'nbs'/'llms.txt').read_text()

def test_stale_settings_ini_stops_the_alias_and_names_the_fix(proj):
    ini = proj/'settings.ini'
    ini.write_text('[DEFAULT]\nlib_name = dglkit\nversion = 0.0.1\ntst_flags = notest\n')
    for cwd in (proj, proj/'nbs'):
        r = subprocess.run(_alias('nbdev_export'), cwd=cwd, capture_output=True, text=True, env=ENV)
        assert r.returncode == 1 and r.stdout == ''
        lines = r.stderr.splitlines()
        assert lines[0].startswith(f"nbdev_export: found nbdev 2's {ini.resolve()}. This project uses nbdev 3, which reads "
                                   f"only {proj.resolve()/'pyproject.toml'}"), r.stderr
        assert lines[1:5] == ['Its keys live here now:', '  lib_name -> pyproject.toml [project] name',
                              '  version -> dglkit/__init__.py __version__ (pyproject.toml reads it through [tool.setuptools.dynamic])',
                              '  tst_flags -> pyproject.toml [tool.nbdev] tst_flags'], r.stderr
        assert lines[5].startswith(f'Fix: copy any value you still want into pyproject.toml, then delete {ini.resolve()}')
        assert [p.name for p in (proj/'dglkit').iterdir()] == ['__init__.py']  # stopped before exporting anything
    # Why the alias stops: nbdev 3 itself exports beside the stale file without a word about it.
    r = subprocess.run([nbdev_command('nbdev-export')], cwd=proj, capture_output=True, text=True, env=ENV)
    assert r.returncode == 0 and 'settings.ini' not in r.stdout + r.stderr and (proj/'dglkit'/'engine.py').exists()

def test_setup_py_version(tmp_path):
    for f in ['pyproject.toml', 'setup.py', 'README.md']: shutil.copy(ROOT/f, tmp_path)
    (tmp_path/'dglkit').mkdir(); shutil.copy(ROOT/'dglkit'/'__init__.py', tmp_path/'dglkit')
    r = subprocess.run([sys.executable, 'setup.py', '--version'], cwd=tmp_path, capture_output=True, text=True)
    version = re.search(r'^__version__ = "(.+)"$', (ROOT/'dglkit'/'__init__.py').read_text(), re.M).group(1)
    assert r.returncode == 0 and r.stdout.splitlines()[-1] == version, r.stdout + r.stderr
