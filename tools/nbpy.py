"""Author notebooks as percent-format scripts and back (a convenience for editing outside JupyterLab).

    python tools/nbpy.py to-nb drafts/03_losses.py nbs/03_losses.ipynb
    python tools/nbpy.py to-py nbs/03_losses.ipynb drafts/03_losses.py

The notebook stays the source of truth: regenerate the draft from it before editing, write it back, then run
`nbdev-clean` and `nbdev-export`. Cells whose text did not change keep their ids (smaller diffs and merges). Cell markers: `# %%` (code) and `# %% [markdown]` (markdown, lines prefixed `# `)."""
import hashlib, json, sys
from pathlib import Path

def _cells(text):
    cur, kind = None, None
    for line in text.splitlines():
        if line.startswith('# %%'):
            if cur is not None: yield kind, cur
            kind, cur = ('markdown' if '[markdown]' in line else 'code'), []
        elif cur is not None: cur.append(line)
    if cur is not None: yield kind, cur

def _trim(lines):
    while lines and not lines[0].strip(): lines = lines[1:]
    while lines and not lines[-1].strip(): lines = lines[:-1]
    return lines

def _old_ids(dst):
    "`{(kind, text): id}` of the cells already in `dst`, so that unchanged cells keep their ids (smaller diffs, fewer merge conflicts)"
    try: nb = json.loads(Path(dst).read_text())
    except (OSError, ValueError): return {}
    return {(c['cell_type'], ''.join(c['source'])): c.get('id') for c in nb.get('cells', [])}

def to_nb(src, dst):
    name = Path(dst).name
    old, used = _old_ids(dst), set()
    cells = []
    for i, (kind, lines) in enumerate(_cells(Path(src).read_text())):
        lines = _trim(lines)
        if kind == 'markdown': lines = [l[2:] if l.startswith('# ') else l.lstrip('#') for l in lines]
        text = '\n'.join(lines)
        cid = old.get((kind, text))
        if not cid or cid in used: cid = hashlib.sha1(f'{name}:{i}:{text}'.encode()).hexdigest()[:8]
        used.add(cid)
        c = dict(cell_type=kind, id=cid, metadata={}, source=text.splitlines(True))
        if kind == 'code': c.update(execution_count=None, outputs=[])
        cells.append(c)
    nb = dict(cells=cells, metadata=dict(kernelspec=dict(display_name='python3', language='python', name='python3')),
              nbformat=4, nbformat_minor=5)
    Path(dst).write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')

def to_py(src, dst):
    nb = json.loads(Path(src).read_text())
    out = []
    for c in nb['cells']:
        text = ''.join(c['source'])
        if c['cell_type'] == 'markdown':
            out.append('# %% [markdown]\n' + '\n'.join(('# ' + l) if l else '#' for l in text.splitlines()))
        else: out.append('# %%\n' + text)
    Path(dst).parent.mkdir(parents=True, exist_ok=True)
    Path(dst).write_text('\n\n'.join(out) + '\n')

if __name__ == '__main__':
    cmd, src, dst = sys.argv[1:4]
    {'to-nb': to_nb, 'to-py': to_py}[cmd](src, dst)
