"""Check that the notebooks are the source of truth and are clean, without changing the working tree.

1. `nbdev-export` (run in a temporary copy) reproduces `dglkit/` exactly; a difference names the notebook to export.
2. `nbdev-clean` would change no notebook; no notebook carries widget state or is over the size limit.
3. README.md matches nbs/index.ipynb.

Exit status 1 with one line per problem. Used by `make test` before pytest; tests/test_project.py tests it."""
import filecmp, json, re, shutil, subprocess, sys, tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(Path(__file__).parent))
import split_imports
MAX_NB_BYTES = 500_000
_src_re = re.compile(r'File to edit: \.\./nbs/(.+?\.ipynb)')

def _source_nb(py: Path) -> str:
    m = _src_re.search(py.read_text(errors='replace')[:2000]) if py.exists() else None
    return f'nbs/{m.group(1)}' if m else None

def export_problems(root=ROOT):
    "Differences between `dglkit/` and a fresh `nbdev-export` of `nbs/`"
    root = Path(root); probs = []
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        shutil.copy(root/'pyproject.toml', td)
        shutil.copytree(root/'nbs', td/'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints', '_proc'))
        (td/'dglkit').mkdir()
        if (root/'dglkit'/'__init__.py').exists(): shutil.copy(root/'dglkit'/'__init__.py', td/'dglkit')
        exe = Path(sys.executable).parent/'nbdev-export'
        r = subprocess.run([str(exe) if exe.exists() else 'nbdev-export'], cwd=td, capture_output=True, text=True)
        if r.returncode: return [f'nbdev-export failed: {r.stderr.strip()[-2000:]}']
        new = {p.relative_to(td/'dglkit') for p in (td/'dglkit').rglob('*.py')}
        old = {p.relative_to(root/'dglkit') for p in (root/'dglkit').rglob('*.py')}
        for rel in sorted(new | old):
            a, b = root/'dglkit'/rel, td/'dglkit'/rel
            if rel in old and rel in new and filecmp.cmp(a, b, shallow=False): continue
            nb = _source_nb(b) or _source_nb(a)
            if rel not in new:
                probs.append(f'dglkit/{rel} is not produced by any notebook (edited by hand or its notebook was removed): '
                             f'move the code into a notebook in nbs/ or delete the file')
            elif nb: probs.append(f'dglkit/{rel} is out of sync with {nb}: run `nbdev-export` and commit both')
            else: probs.append(f'dglkit/{rel} is out of sync with the notebooks: run `nbdev-export` and commit both')
    return probs

def clean_problems(root=ROOT):
    "Notebooks that `nbdev-clean` would change, that carry widget state, or that are too large"
    from nbdev.clean import _nbdev_clean
    from fastcore.nbio import nb2str
    probs = []
    for nbp in sorted((Path(root)/'nbs').rglob('*.ipynb')):
        if '.ipynb_checkpoints' in nbp.parts: continue
        rel, txt = nbp.relative_to(root), nbp.read_text(encoding='utf-8')
        nb = json.loads(txt)
        if nb.get('metadata', {}).get('widgets'):
            probs.append(f'{rel} carries saved widget state: clear it (Kernel > Restart & Clear Outputs, then nbdev-clean)')
        if len(txt.encode()) > MAX_NB_BYTES:
            probs.append(f'{rel} is {len(txt.encode())//1000} KB (limit {MAX_NB_BYTES//1000} KB): clear large outputs')
        n_mixed = sum(1 for c in nb['cells'] if c['cell_type'] == 'code' and split_imports.split_cell(c) != [c])
        if n_mixed: probs.append(f'{rel} has {n_mixed} cell(s) mixing imports with other code (nbdev runs every cell with an '
                                 f'import when it builds the docs): run `python tools/split_imports.py {rel}`')
        _nbdev_clean(nb, path=None)
        if nb2str(nb) != txt: probs.append(f'{rel} is not clean: run `nbdev-clean` and commit it')
    return probs

def readme_problems(root=ROOT):
    sys.path.insert(0, str(Path(__file__).parent))
    import readme
    return ['README.md is out of date with nbs/index.ipynb: run `python tools/readme.py`'] if readme.stale(root) else []

def main(root=ROOT):
    probs = export_problems(root) + clean_problems(root) + readme_problems(root)
    for p in probs: print(f'check_nbs: {p}', file=sys.stderr)
    if not probs: print('check_nbs: dglkit/ matches nbdev-export, notebooks are clean, README is current')
    return 1 if probs else 0

if __name__ == '__main__': sys.exit(main(Path(sys.argv[1]) if len(sys.argv) > 1 else ROOT))
