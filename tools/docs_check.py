"""Check the docs pipeline as far as it runs without Quarto (which cannot be installed on our machines).

1. nbdev's notebook processing for docs (`nbdev.serve.proc_nbs`, what `nbdev-docs` runs before Quarto) succeeds on
   every notebook in nbs/ (in a temporary copy: the working tree is not touched).
2. Each processed notebook is rendered to an HTML preview with nbconvert, named as nbdev names pages
   (`04_engine.ipynb` → `engine.html`, folders kept).
3. No internal link is broken: relative links (to .ipynb, .html or other files) and links into the site's own URL
   must point to a page or file that exists; sidebar.yml and _quarto.yml entries must exist.

    python tools/docs_check.py [--out DIR]   # exit 1 with one line per problem; DIR keeps the HTML preview"""
import argparse, re, shutil, sys, tempfile
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
        import os; cwd = os.getcwd(); os.chdir(td)
        try: cache = proc_nbs(str(td/'nbs'), n_workers=0)
        except Exception as e: return [f'nbdev notebook processing for docs failed: {e!r}'], 0
        finally: os.chdir(cwd)
        pages, exp = {}, HTMLExporter(template_name='classic')
        for nb in sorted(cache.rglob('*.ipynb')):
            rel = nb.relative_to(cache)
            node = nbformat.read(nb, as_version=4)
            for c in node.cells: c.metadata = {}  # nbdev's processing leaves execution timings nbformat rejects
            try: body, _ = exp.from_notebook_node(node)
            except Exception as e: probs.append(f'nbs/{rel}: nbconvert preview failed: {e!r}'); continue
            pages[page_name(rel)] = body
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
        return probs if pages else ['no pages were produced'] + probs, len(pages)

def main():
    p = argparse.ArgumentParser(); p.add_argument('--out'); a = p.parse_args()
    probs, n = check(ROOT, a.out)
    for x in probs: print(f'docs_check: {x}', file=sys.stderr)
    if not probs: print(f'docs_check: {n} pages processed by nbdev and previewed with nbconvert, no broken internal links')
    return 1 if probs else 0

if __name__ == '__main__': sys.exit(main())
