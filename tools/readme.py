"""Render README.md from nbs/index.ipynb without Quarto (which cannot be installed on our machines).

    python tools/readme.py          # write README.md
    python tools/readme.py --check  # exit 1 if README.md is out of date

Markdown cells are copied; code cells become ```python blocks with nbdev directives removed; cells marked
`#| hide` (or export cells) are left out. Outputs are not rendered."""
import json, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HEADER = '<!-- Generated from nbs/index.ipynb by `python tools/readme.py`: edit the notebook, not this file. -->\n\n'

def render(nb_path=ROOT/'nbs'/'index.ipynb') -> str:
    parts = []
    for c in json.loads(Path(nb_path).read_text())['cells']:
        lines = ''.join(c['source']).splitlines()
        dirs = {l[3:].strip().split()[0] for l in lines if l.startswith('#| ') and l[3:].strip()}
        body = '\n'.join(l for l in lines if not l.startswith('#|')).strip()
        if not body or dirs & {'hide', 'export', 'exports', 'exporti', 'default_exp'}: continue
        parts.append(body if c['cell_type'] == 'markdown' else f'```python\n{body}\n```')
    return HEADER + '\n\n'.join(parts) + '\n'

def stale(root=ROOT) -> bool:
    readme = Path(root)/'README.md'
    return not readme.exists() or readme.read_text() != render(Path(root)/'nbs'/'index.ipynb')

if __name__ == '__main__':
    if '--check' in sys.argv:
        if stale(): sys.exit('README.md is out of date with nbs/index.ipynb: run `python tools/readme.py` and commit it.')
    else: (ROOT/'README.md').write_text(render())
