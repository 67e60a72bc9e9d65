"""Split notebook cells that mix top-level imports with other code (nbdev's docs processing executes every cell
that contains an import, so such a cell would run without the cells before it).

    python tools/split_imports.py nbs/X.ipynb [...]   # rewrite in place: the imports move to a cell of their own

Export cells are left alone (they are executed in order anyway). Directive lines (`#| ...`) are kept on both cells."""
import ast, json, sys
from pathlib import Path

EXPORT = {'export', 'exports', 'exporti', 'exec_doc', 'default_exp'}

def _dirs(lines): return [l for l in lines if l.startswith('#|')]

def mixed(src: str):
    "(import line ranges, has other statements) of a cell's top level, or None if it does not parse"
    try: tree = ast.parse(src)
    except SyntaxError: return None
    imps = [n for n in tree.body if isinstance(n, (ast.Import, ast.ImportFrom))]
    return imps, len(imps) < len(tree.body)

def nested_imports(src: str) -> bool:
    "Does the cell import inside a function, class or block (which also makes nbdev execute it)?"
    try: tree = ast.parse(src)
    except SyntaxError: return False
    top = {id(n) for n in tree.body}
    return any(isinstance(n, (ast.Import, ast.ImportFrom)) and id(n) not in top for n in ast.walk(tree))

def split_cell(c):
    lines = ''.join(c['source']).splitlines()
    dirs = _dirs(lines)
    if {d[3:].strip().split()[0] for d in dirs if d[3:].strip()} & EXPORT: return [c]
    src = '\n'.join(l for l in lines if not l.startswith('#|'))
    r = mixed(src)
    if not r or not r[0] or not r[1]: return [c]
    imps, _ = r
    body = src.splitlines()
    keep = set()
    for n in imps: keep |= set(range(n.lineno - 1, n.end_lineno))
    imp_src = '\n'.join(body[i] for i in sorted(keep))
    rest = '\n'.join(l for i, l in enumerate(body) if i not in keep).strip('\n')
    mk = lambda text, cid: {**c, 'id': cid, 'source': ('\n'.join(dirs + [text])).splitlines(True), 'outputs': [], 'execution_count': None}
    return [mk(imp_src, c['id'] + 'i'[:0] + 'a'), mk(rest, c['id'])]

def main(paths):
    for p in map(Path, paths):
        nb = json.loads(p.read_text())
        cells = []
        for c in nb['cells']: cells += split_cell(c) if c['cell_type'] == 'code' else [c]
        if len(cells) != len(nb['cells']):
            nb['cells'] = cells; p.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
            print(f'{p}: split {len(cells) - len(nb["cells"]) if False else "some"} cells')

if __name__ == '__main__': main(sys.argv[1:])
