"""Check the docs pipeline as far as it runs without Quarto (which cannot be installed on our machines).

1. nbdev's notebook processing for docs (`nbdev.serve.proc_nbs`, what `nbdev-docs` runs before Quarto) succeeds on
   every notebook in nbs/ (in a temporary copy: the working tree is not touched).
2. Each processed notebook is rendered to an HTML preview with nbconvert, named as nbdev names pages
   (`04_engine.ipynb` → `engine.html`, folders kept).
3. No internal link is broken: relative links (to .ipynb, .html or other files) and links into the site's own URL
   must point to a page or file that exists; sidebar.yml and _quarto.yml entries must exist.

The preview reads like the site: the front matter nbdev writes (title, description) becomes the page's heading, Quarto
cell options (`#| echo: false`, `#| output: false`, `#| include: false`, ...) are applied and not shown, math renders
offline with a local MathJax (Debian `libjs-mathjax`, which `make test` installs; MathJax is linked as `_mathjax/` in DIR)
and every page has the sidebar of `nbs/sidebar.yml`. Outputs stored in the notebooks (figures, tables) are shown.

    python tools/docs_check.py [--out DIR]   # exit 1 with one line per problem; DIR keeps the HTML preview"""
import argparse, os, re, shutil, sys, tempfile
from html.parser import HTMLParser
from pathlib import Path
from urllib.parse import urlparse, unquote

ROOT = Path(__file__).resolve().parent.parent

def page_name(rel: Path) -> Path:
    "nbdev's page path for a notebook path relative to nbs/"
    return rel.with_name(re.sub(r'^\d+[a-zA-Z0-9]*_', '', rel.name.lower())).with_suffix('.html')

class _Links(HTMLParser):
    def __init__(self): super().__init__(); self.links = []
    def handle_starttag(self, tag, attrs):
        a = dict(attrs)
        if tag == 'a' and a.get('href'): self.links.append(a['href'])
        if tag == 'img' and a.get('src') and not a['src'].startswith('data:'): self.links.append(a['src'])

def _yaml_hrefs(p: Path):
    if not p.exists(): return []
    return re.findall(r'(?:href|file|- )\s*:?\s*([\w./-]+\.(?:ipynb|qmd|md|html))', p.read_text())

MATHJAX_DIRS = ('/usr/share/javascript/mathjax', '/usr/share/nodejs/mathjax', '/usr/lib/node_modules/mathjax')
CELL_OPTION = re.compile(r'^#\|\s*([\w-]+)\s*:\s*(.*?)\s*$')

def find_mathjax():
    "A local MathJax 2 folder (with MathJax.js), or None"
    return next((Path(d) for d in MATHJAX_DIRS if (Path(d)/'MathJax.js').exists()), None)

def front_matter(src: str) -> dict:
    "The YAML front matter of a raw cell (`---` ... `---`), or {}"
    import yaml
    m = re.match(r'^---\s*\n(.*?)\n---\s*$', src.strip(), re.S)
    if not m: return {}
    try: d = yaml.safe_load(m.group(1))
    except yaml.YAMLError: return {}
    return d if isinstance(d, dict) else {}

def preview_cells(node):
    "Apply what Quarto would to a processed notebook: front matter as the heading, cell options applied and removed"
    import nbformat
    from html import escape
    cells = []
    for i, c in enumerate(node.cells):
        if c.cell_type == 'raw' and (fm := front_matter(c.source)):
            md = f"# {fm.get('title', '')}\n" + (f"\n<p class=\"dgl-lead\">{escape(str(fm['description']))}</p>\n" if fm.get('description') else '')
            cells.append(nbformat.v4.new_markdown_cell(md)); continue
        if c.cell_type == 'code':
            lines = c.source.splitlines()
            opts = {m.group(1): m.group(2).lower() for l in lines if (m := CELL_OPTION.match(l))}
            if opts.get('include') == 'false': continue
            c.source = '\n'.join(l for l in lines if not CELL_OPTION.match(l)).strip('\n')
            if opts.get('output') == 'false': c.outputs = []
            if opts.get('echo') == 'false' or not c.source.strip():
                c.metadata.setdefault('tags', []).append('dgl-hide-input')
            if not c.source.strip() and not c.outputs: continue
            for o in c.outputs:   # Pandoc link attributes in show_doc's Markdown (`[source](...){target="_blank" ...}`)
                if 'text/markdown' in o.get('data', {}):
                    o['data']['text/markdown'] = re.sub(r'(\]\([^)]*\))\{[^}]*\}', r'\1', o['data']['text/markdown'])
        cells.append(c)
    node.cells = cells
    return node

def sidebar_html(root: Path, page: Path) -> str:
    "The sidebar of nbs/sidebar.yml as HTML links relative to `page`"
    import os, yaml
    from html import escape
    y = yaml.safe_load((root/'nbs'/'sidebar.yml').read_text()) if (root/'nbs'/'sidebar.yml').exists() else {}
    def items(xs):
        out = []
        for x in xs or []:
            if isinstance(x, str):
                t = page_name(Path(x)) if x.endswith(('.ipynb', '.qmd')) else Path(x)
                href = os.path.relpath(t, page.parent)
                cls = ' class="active"' if t == page else ''
                out.append(f'<li><a href="{escape(href)}"{cls}>{escape(t.stem.replace("_", " "))}</a></li>')
            elif isinstance(x, dict):
                out.append(f'<li><b>{escape(str(x.get("section", "")))}</b><ul>{items(x.get("contents"))}</ul></li>')
        return ''.join(out)
    home = os.path.relpath(Path('index.html'), page.parent)
    return (f'<nav class="dgl-sidebar"><a class="dgl-home" href="{home}">dglkit</a>'
            f'<ul>{items((y.get("website") or {}).get("sidebar", {}).get("contents"))}</ul></nav>')

PREVIEW_CSS = """<style>
.dgl-sidebar{position:fixed;top:0;left:0;bottom:0;width:220px;overflow-y:auto;padding:12px 10px;font:14px/1.4 sans-serif;
  background:#f7f7f7;border-right:1px solid #ddd;box-sizing:border-box}
.dgl-sidebar ul{list-style:none;padding-left:10px;margin:2px 0}.dgl-sidebar a{text-decoration:none;color:#2a5db0}
.dgl-sidebar a.active{font-weight:700;color:#000}.dgl-home{font-size:18px;font-weight:700}
body{margin-left:230px !important}#notebook-container{max-width:calc(100vw - 270px);box-shadow:none}
.dgl-lead{font-size:1.15em;color:#555}.output_png img,.output_subarea img{max-width:100%;height:auto}
</style>"""

def check(root=ROOT, out=None):
    import nbformat
    from nbconvert import HTMLExporter
    from nbdev.config import get_config
    from nbdev.serve import proc_nbs
    root, probs = Path(root), []
    doc_url = (get_config(root).doc_url or '').rstrip('/') + '/'
    with tempfile.TemporaryDirectory() as td:
        td = Path(td)
        shutil.copy(root/'pyproject.toml', td)
        shutil.copytree(root/'nbs', td/'nbs', ignore=shutil.ignore_patterns('.ipynb_checkpoints', '_proc'))
        cwd = os.getcwd(); os.chdir(td)
        try: cache = proc_nbs(str(td/'nbs'), n_workers=0)
        except Exception as e: return [f'nbdev notebook processing for docs failed: {e!r}'], 0
        finally: os.chdir(cwd)
        from nbconvert.preprocessors import TagRemovePreprocessor
        pages, exp = {}, HTMLExporter(template_name='classic', exclude_input_prompt=True, exclude_output_prompt=True)
        exp.register_preprocessor(TagRemovePreprocessor(remove_input_tags={'dgl-hide-input'}, enabled=True), enabled=True)
        mj = find_mathjax()
        for nb in sorted(cache.rglob('*.ipynb')):
            rel = nb.relative_to(cache)
            node = nbformat.read(nb, as_version=4)
            for c in node.cells: c.metadata = {}  # nbdev's processing leaves execution timings nbformat rejects
            page = page_name(rel)
            if mj is not None: exp.mathjax_url = os.path.relpath('_mathjax', page.parent) + '/MathJax.js?config=TeX-AMS_CHTML-full,Safe'
            try: body, _ = exp.from_notebook_node(preview_cells(node))
            except Exception as e: probs.append(f'nbs/{rel}: nbconvert preview failed: {e!r}'); continue
            body = body.replace('</head>', PREVIEW_CSS + '</head>', 1)
            pages[page] = re.sub(r'(<body[^>]*>)', lambda m: m.group(1) + sidebar_html(root, page), body, count=1)
        files = {p.relative_to(root/'nbs') for p in (root/'nbs').rglob('*') if p.is_file()}
        known = set(pages) | files | {page_name(f) for f in files if f.suffix in ('.ipynb', '.qmd', '.md')}
        for page, body in pages.items():
            ps = _Links(); ps.feed(body)
            for href in ps.links:
                u = urlparse(href)
                if href.startswith(doc_url): target = Path(unquote(href[len(doc_url):].split('#')[0]) or 'index.html')
                elif u.scheme or u.netloc or href.startswith(('#', 'mailto:')): continue
                else: target = Path(os.path.normpath(page.parent/unquote(u.path))) if u.path else None
                if target is None: continue
                t = page_name(target) if target.suffix in ('.ipynb', '.qmd') else target
                if target.suffix == '.md' and t not in known: t = target.with_suffix('.html')
                if str(t).startswith('..') or (t not in known and target not in known):
                    probs.append(f'{page}: broken link {href!r}')
        for y in ('sidebar.yml', '_quarto.yml'):
            for h in _yaml_hrefs(root/'nbs'/y):
                p = Path(h)
                if p not in files and page_name(p) not in pages and p not in pages: probs.append(f'nbs/{y}: entry {h!r} does not exist')
        if out:
            out = Path(out); out.mkdir(parents=True, exist_ok=True)
            for page, body in pages.items(): (out/page).parent.mkdir(parents=True, exist_ok=True); (out/page).write_text(body)
            for f in files:   # images and other files the pages link to
                if f.suffix.lower() in ('.png', '.jpg', '.jpeg', '.gif', '.svg', '.css') and not (out/f).exists():
                    (out/f).parent.mkdir(parents=True, exist_ok=True); shutil.copy(root/'nbs'/f, out/f)
            if mj is not None and not (out/'_mathjax').exists(): (out/'_mathjax').symlink_to(mj, target_is_directory=True)
        return probs if pages else ['no pages were produced'] + probs, len(pages)

def execute(nbs, timeout=900):
    """Run notebooks in place so their outputs (figures, tables) show on the site, which executes nothing: cells flagged
    `#| slow` are skipped, no widget state is stored, and `nbdev-clean` is applied. `python tools/docs_check.py --execute
    nbs/tutorials/quickstart.ipynb ...` refreshes them (commit the result; check_nbs keeps each under its size limit)."""
    import nbformat, subprocess
    from nbclient import NotebookClient
    for p in map(Path, nbs):
        nb = nbformat.read(p, as_version=4)
        slow = {i: c.source for i, c in enumerate(nb.cells) if c.cell_type == 'code' and re.search(r'^#\|\s*slow\b', c.source, re.M)}
        for i in slow: nb.cells[i].source = ''
        env = {**os.environ, 'PYTHONPATH': str(ROOT), 'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '2')}
        old = {k: os.environ.get(k) for k in env}; os.environ.update(env)
        try: NotebookClient(nb, timeout=timeout, kernel_name='python3', store_widget_state=False,
                            resources={'metadata': {'path': str(p.parent)}}).execute()
        finally:
            for k, v in old.items():
                if v is None: os.environ.pop(k, None)
                else: os.environ[k] = v
        for i, src in slow.items(): nb.cells[i].source, nb.cells[i].outputs = src, []
        for c in nb.cells:   # live widget views cannot be shown without their state: keep their static fallbacks only
            if c.cell_type == 'code':
                c.outputs = [o for o in c.outputs if 'application/vnd.jupyter.widget-view+json' not in o.get('data', {})
                             and not (o.get('output_type') == 'stream' and o.get('name') == 'stderr')]   # and no warnings
        nb.metadata.pop('widgets', None)
        nbformat.write(nb, p)
        subprocess.run([str(Path(sys.executable).parent/'nbdev-clean'), '--fname', str(p)], check=True, cwd=ROOT)
        print(f'docs_check: executed {p} ({p.stat().st_size // 1000} KB)')

def main():
    p = argparse.ArgumentParser(); p.add_argument('--out'); p.add_argument('--execute', nargs='+', metavar='NOTEBOOK')
    a = p.parse_args()
    if a.execute: execute(a.execute); return 0
    probs, n = check(ROOT, a.out)
    for x in probs: print(f'docs_check: {x}', file=sys.stderr)
    if not probs: print(f'docs_check: {n} pages processed by nbdev and previewed with nbconvert, no broken internal links')
    return 1 if probs else 0

if __name__ == '__main__': sys.exit(main())
