"The docs pipeline as far as it runs here: nbdev's notebook processing, an nbconvert preview, no broken internal links."
import os, shutil, subprocess, sys
from pathlib import Path
import pytest, yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import docs_check

@pytest.fixture(scope='module')
def preview(tmp_path_factory):
    "The docs preview, built once for the tests of this module"
    out = tmp_path_factory.mktemp('preview')
    return out, docs_check.check(ROOT, out)

def test_docs_build_and_links(preview):
    tmp_path, (probs, n) = preview
    assert not probs, '\n'.join(probs)
    assert n >= 20 and (tmp_path/'engine.html').exists() and (tmp_path/'tutorials'/'quickstart.html').exists()
    assert 'DGLLearner' in (tmp_path/'engine.html').read_text()  # the API reference is rendered from the notebook

def _mathjax():
    "A local MathJax, installed with apt-get (Debian libjs-mathjax) when missing and possible"
    if docs_check.find_mathjax() or not (hasattr(os, 'geteuid') and os.geteuid() == 0 and shutil.which('apt-get')): return docs_check.find_mathjax()
    subprocess.run(['apt-get', 'install', '-y', 'libjs-mathjax'], capture_output=True, timeout=600, env={**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'})
    return docs_check.find_mathjax()

# Runs in the page: what a reader sees of it
PAGE = """() => ({
  text: document.querySelector('#notebook-container') ? document.querySelector('#notebook-container').innerText : document.body.innerText,
  imgs: [...document.querySelectorAll('#notebook-container img')].map(i => i.complete && i.naturalWidth > 0),
  md: [...document.querySelectorAll('.text_cell_render')].map(e => e.innerText).join('\\n'),
  math: document.querySelectorAll('.MathJax_CHTML, .MathJax, mjx-container').length,
  tables: document.querySelectorAll('#notebook-container table').length,
  sidebar: [...document.querySelectorAll('.dgl-sidebar a')].map(a => a.textContent),
  h1: (document.querySelector('#notebook-container h1') || {}).textContent || '',
  scroll: document.documentElement.scrollWidth, width: document.documentElement.clientWidth})"""

def test_preview_reads_like_the_site(preview):
    "Five pages in Chromium: the title as a heading (no raw front matter), no Quarto cell options, math rendered offline, stored figures shown, the sidebar"
    import re
    sys.path.insert(0, str(ROOT/'tests'))
    from test_browser import chromium_path, CHROMIUM_FLAGS, ARTIFACTS
    out, (probs, n) = preview
    exe = chromium_path()
    if exe is None: pytest.skip('Chromium is not installed and apt-get could not install it')
    if _mathjax() is None: pytest.skip('no local MathJax (apt-get install libjs-mathjax)')
    assert (out/'_mathjax'/'MathJax.js').exists(), 'the preview was built without the local MathJax'
    from playwright.sync_api import sync_playwright
    pages = {'tutorials/dashboard.html': 'Watching a DGL run', 'dgl.html': 'Discriminator Guided Learning', 'losses.html': None,
             'results.html': 'Results', 'tutorials/quickstart.html': 'Quickstart'}
    seen = {}
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            for rel in pages:
                pg = b.new_page(viewport=dict(width=1400, height=900))
                pg.goto((out/rel).as_uri()); pg.wait_for_load_state('load')
                pg.wait_for_function("() => !window.MathJax || !window.MathJax.Hub || window.MathJax.Hub.queue.pending === 0", timeout=30_000)
                pg.wait_for_timeout(300)
                seen[rel] = pg.evaluate(PAGE)
                pg.screenshot(path=str(ARTIFACTS/f"docs-{rel.replace('/', '-').replace('.html', '')}.png"))
                pg.close()
        finally: b.close()
    for rel, title in pages.items():
        s = seen[rel]
        assert not re.search(r'^---$|^title: ', s['text'], re.M), f'{rel}: raw front matter in the page'
        assert not re.search(r'^#\|', s['text'], re.M), f'{rel}: Quarto cell options shown'
        assert 'Tutorials' in s['sidebar'] or any('quickstart' in x for x in s['sidebar']), f'{rel}: no sidebar: {s["sidebar"][:5]}'
        assert len(s['sidebar']) >= 20, s['sidebar']
        if title: assert s['h1'].strip().startswith(title), (rel, s['h1'])
    d = seen['tutorials/dashboard.html']
    assert len(d['imgs']) >= 2 and all(d['imgs']), f'the dashboard tutorial\'s stored figures: {d["imgs"]}'
    for rel in ('results.html', 'tutorials/quickstart.html'):   # executed with their outputs (tools/docs_check.py --execute)
        assert seen[rel]['imgs'] and all(seen[rel]['imgs']), f'{rel}: no stored figure shown: {seen[rel]["imgs"]}'
    assert seen['results.html']['tables'] >= 3, f"results.html: {seen['results.html']['tables']} rendered tables (its tables are Markdown outputs)"
    for rel in ('dgl.html', 'losses.html'):
        assert seen[rel]['math'] > 0, f'{rel}: no rendered math'
        assert not re.search(r'\$[^$\s][^$]*\$', seen[rel]['md']), f'{rel}: raw $...$ left in the text'

def test_every_notebook_is_in_the_sidebar():
    side = (ROOT/'nbs'/'sidebar.yml').read_text()
    nbs = [p.relative_to(ROOT/'nbs').as_posix() for p in (ROOT/'nbs').rglob('*.ipynb') if '.ipynb_checkpoints' not in p.parts]
    assert [n for n in nbs if n not in side] == []

def test_workflow_installs_renders_and_deploys():
    wf = yaml.safe_load((ROOT/'.github'/'workflows'/'deploy.yaml').read_text())
    steps = [s.get('uses', '') + ' ' + s.get('run', '') for j in wf['jobs'].values() for s in j['steps']]
    text = '\n'.join(steps)
    for needed in ['pip install -c constraints.txt', 'quarto-dev/quarto-actions/setup', 'nbdev-docs', 'upload-pages-artifact', 'deploy-pages']:
        assert needed in text, needed
    assert wf[True]['push']['branches'] == ['main']  # YAML reads the `on:` key as True
