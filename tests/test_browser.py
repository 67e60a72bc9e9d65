"""The live dashboard in a real browser: JupyterLab (headless, a free localhost port, no token) runs a temporary copy
of `nbs/tutorials/dashboard.ipynb` in Debian's Chromium driven by PyPI playwright (never `playwright install`).

From the page we record (after every DOM change and every 50 ms) the sample image's source, the logit histograms' data and the stage label, and
assert that the image and the histograms changed at least twice and the stage went from 1 to 2. A screenshot of the
dashboard goes to `test-artifacts/`. `make test`'s set-up installs Chromium with apt-get when it is missing; this test
tries the same and skips only when Chromium is missing and cannot be installed."""
import json, os, shutil, signal, socket, subprocess, sys, time, urllib.request
from pathlib import Path
import pytest

ROOT = Path(__file__).resolve().parent.parent
NB = ROOT/'nbs'/'tutorials'/'dashboard.ipynb'
ARTIFACTS = ROOT/'test-artifacts'
CHROMIUM_FLAGS = ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run',
                  '--disable-background-networking', '--disable-component-update', '--disable-sync']

def chromium_path():
    "Debian's Chromium, installed with apt-get when missing and possible; None when neither"
    exe = shutil.which('chromium') or ('/usr/bin/chromium' if os.path.exists('/usr/bin/chromium') else None)
    if exe or not (hasattr(os, 'geteuid') and os.geteuid() == 0 and shutil.which('apt-get')): return exe
    for cmd in (['apt-get', 'update'], ['apt-get', 'install', '-y', 'chromium']):
        if subprocess.run(cmd, capture_output=True, timeout=900, env={**os.environ, 'DEBIAN_FRONTEND': 'noninteractive'}).returncode: return None
    return shutil.which('chromium')

def free_port():
    with socket.socket() as s:
        s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

def start_lab(tmp: Path, port: int):
    "JupyterLab serving `tmp`, with its own config/runtime/settings/workspace folders; returns the process"
    for d in ('cfg', 'rt', 'ws', 'ipy', 'settings/@jupyterlab/notebook-extension'): (tmp/d).mkdir(parents=True, exist_ok=True)
    # render every cell (no windowing), so the dashboard's views exist wherever the page is scrolled
    (tmp/'settings/@jupyterlab/notebook-extension/tracker.jupyterlab-settings').write_text(json.dumps({'windowingMode': 'none'}))
    (tmp/'settings/@jupyterlab/apputils-extension').mkdir(parents=True, exist_ok=True)   # no "news?" pop-up in the screenshot
    (tmp/'settings/@jupyterlab/apputils-extension/notification.jupyterlab-settings').write_text(json.dumps({'fetchNews': 'false'}))
    env = {**os.environ, 'JUPYTER_CONFIG_DIR': str(tmp/'cfg'), 'JUPYTER_RUNTIME_DIR': str(tmp/'rt'),
           'JUPYTERLAB_WORKSPACES_DIR': str(tmp/'ws'), 'JUPYTERLAB_SETTINGS_DIR': str(tmp/'settings'),
           'IPYTHONDIR': str(tmp/'ipy'), 'PATH': f'{Path(sys.executable).parent}{os.pathsep}{os.environ.get("PATH", "")}',
           'OMP_NUM_THREADS': os.environ.get('OMP_NUM_THREADS', '1'), 'PYTHONPATH': str(ROOT)}
    cmd = [sys.executable, '-m', 'jupyterlab', '--no-browser', '--allow-root', '--ip=127.0.0.1', f'--port={port}',
           '--port-retries=0', '--IdentityProvider.token=', '--ServerApp.password=', '--LabApp.expose_app_in_browser=True',
           f'--ServerApp.root_dir={tmp/"nb"}', '--ServerApp.open_browser=False']
    log = open(tmp/'jupyterlab.log', 'w')
    return subprocess.Popen(cmd, cwd=tmp/'nb', env=env, stdout=log, stderr=subprocess.STDOUT, start_new_session=True)

def wait_http(url, proc, timeout=60):
    t0 = time.time()
    while time.time() - t0 < timeout:
        if proc.poll() is not None: raise RuntimeError(f'JupyterLab exited with status {proc.returncode}')
        try:
            with urllib.request.urlopen(url, timeout=2): return
        except Exception: time.sleep(0.25)
    raise TimeoutError(f'JupyterLab did not answer at {url} within {timeout} s')

def stop_lab(proc):
    "Stop JupyterLab and every process it started (kernels run in their own sessions)"
    import psutil
    try: kids = psutil.Process(proc.pid).children(recursive=True)
    except psutil.NoSuchProcess: kids = []
    if proc.poll() is None:
        proc.send_signal(signal.SIGTERM)                     # the server shuts its kernels down on SIGTERM
        try: proc.wait(10)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL); proc.wait(10)
    for k in kids:                                            # psutil checks the process is still the same one
        try:
            if k.is_running(): k.kill()
        except psutil.NoSuchProcess: pass
    psutil.wait_procs(kids, timeout=10)
    assert not [k for k in kids if k.is_running()], 'JupyterLab left processes behind'

# Runs in the page: record every change of each dashboard's stage label, sample image and logit histograms' data,
# after every DOM mutation (messages that arrive in a burst are still seen one by one) and every 50 ms.
RECORDER = """() => {
  window.__dgl = [];
  const push = (a, v) => { if (v && a[a.length - 1] !== v) a.push(v); };
  const scan = () => document.querySelectorAll('.dgl-head').forEach((head, i) => {
    const r = window.__dgl[i] = window.__dgl[i] || {stage: [], img: [], logits: [], step: null};
    const box = head.closest('.widget-vbox') || document;
    const st = head.querySelector('.dgl-stage'); push(r.stage, st && st.textContent.trim());
    const sp = head.querySelector('.dgl-step'); if (sp) r.step = sp.textContent.trim();
    const im = box.querySelector('img.dgl-samples, .dgl-samples img'); push(r.img, im && im.getAttribute('src'));
    const gd = box.querySelector('.dgl-figure.js-plotly-plot, .dgl-figure .js-plotly-plot');
    const hist = gd && gd.data ? gd.data.filter(t => t.type === 'histogram').map(t => Array.from(t.x || []).slice(0, 8)) : [];
    push(r.logits, hist.some(x => x.length) ? JSON.stringify(hist) : null);
  });
  new MutationObserver(scan).observe(document.body, {subtree: true, childList: true, attributes: true, characterData: true});
  setInterval(scan, 50);
  return true;
}"""

# Runs in the page: has every code cell run (and the kernel gone idle)? Which outputs are errors?
PROGRESS = """() => {
  const w = window.jupyterapp.shell.currentWidget;
  if (!w || !w.content || !w.sessionContext) return null;
  const cells = w.content.widgets.filter(c => c.model.type === 'code');
  const k = w.sessionContext.session && w.sessionContext.session.kernel;
  const errors = cells.flatMap(c => c.model.outputs.toJSON().filter(o => o.output_type === 'error')
                                        .map(o => o.ename + ': ' + o.evalue));
  return {done: cells.every(c => c.model.executionCount !== null) && !!k && k.status === 'idle',
          status: k ? k.status : 'none', ran: cells.filter(c => c.model.executionCount !== null).length,
          n: cells.length, errors};
}"""

# Runs in the page: does the dashboard fit its output area, are the legends whole, which panels are shown?
LAYOUT = """() => {
  const box = document.querySelector('.dgl-dashboard');
  if (!box) return null;
  const area = box.closest('.jp-OutputArea-output') || box.parentElement;
  const gd = box.querySelector('.dgl-figure.js-plotly-plot, .dgl-figure .js-plotly-plot');
  const img = box.querySelector('img.dgl-samples, .dgl-samples img');
  const svg = gd && gd.querySelector('svg.main-svg');
  const sr = svg ? svg.getBoundingClientRect() : null;
  const legends = gd ? [...gd.querySelectorAll('.legendtext')].map(t => {
      const r = t.getBoundingClientRect(); return {text: t.textContent, clipped: r.right > sr.right + 0.5 || r.width === 0}; }) : [];
  const lay = gd && gd.layout ? gd.layout : {};
  const ir = img ? img.getBoundingClientRect() : null, fr = gd ? gd.getBoundingClientRect() : null;
  const panel = a => !!(lay[a] && lay[a].visible !== false);
  return {area: area.clientWidth, box: box.scrollWidth, boxRight: box.getBoundingClientRect().right,
          areaRight: area.getBoundingClientRect().right, legends, side_by_side: !!(ir && fr && Math.abs(ir.top - fr.top) < 30 && fr.left > ir.left),
          panels: {logits: panel('yaxis'), losses: panel('yaxis2'), evals: panel('yaxis3')},
          left_open: !window.jupyterapp.shell.leftCollapsed, width: window.innerWidth};
}"""

# Runs in the page: the progress table of the (non-quiet) student run: its column names and its cells
TABLE = """() => {
  const t = [...document.querySelectorAll('.jp-OutputArea-output table')].find(t => t.querySelector('th'));
  if (!t) return null;
  return {head: [...t.querySelectorAll('thead th')].map(h => h.textContent.trim()),
          rows: [...t.querySelectorAll('tbody tr')].map(r => [...r.querySelectorAll('td')].map(c => c.textContent.trim()))};
}"""

def test_dashboard_updates_live_in_jupyterlab(tmp_path):
    exe = chromium_path()
    if exe is None: pytest.skip('Chromium is not installed and apt-get could not install it (run `make test` as root, or `apt-get install -y chromium`)')
    from playwright.sync_api import sync_playwright   # PyPI playwright, in the dev extra
    t0 = time.time()
    (tmp_path/'nb').mkdir(); shutil.copy(NB, tmp_path/'nb'/'dashboard.ipynb')
    # slow the copy's student run down (0.15 s per step) so that a fast machine still shows the live widget long enough
    # to measure it at 1000 and 1400 px before the run ends and the widget is frozen to an image
    nbj = json.loads((tmp_path/'nb'/'dashboard.ipynb').read_text())
    slow = 'from fastai.callback.core import Callback\nimport time\nclass _SlowDown(Callback):\n    def after_batch(self): time.sleep(0.15)'
    nbj['cells'].insert(0, dict(cell_type='code', id='slowdown', metadata={}, outputs=[], execution_count=None, source=slow.splitlines(True)))
    for c in nbj['cells']:
        src = ''.join(c['source'])
        if 'TwoStage(at_step=40), dash]' in src: c['source'] = src.replace('TwoStage(at_step=40), dash]', 'TwoStage(at_step=40), dash, _SlowDown()]').splitlines(True)
    (tmp_path/'nb'/'dashboard.ipynb').write_text(json.dumps(nbj))
    port = free_port(); url = f'http://127.0.0.1:{port}'
    lab = start_lab(tmp_path, port)
    try:
        wait_http(f'{url}/api/status', lab); marks = {'lab up': time.time() - t0}
        with sync_playwright() as p:
            ctx = p.chromium.launch_persistent_context(str(tmp_path/'chromium-profile'), executable_path=exe, headless=True,
                                                       args=CHROMIUM_FLAGS, viewport=dict(width=1000, height=1000))
            try:
                page = ctx.pages[0] if ctx.pages else ctx.new_page()
                page.goto(f'{url}/lab/tree/dashboard.ipynb', timeout=60_000)
                page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                                       "window.jupyterapp.shell.currentWidget.sessionContext", timeout=60_000)
                page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.ready.then(() => true)")
                marks['kernel ready'] = time.time() - t0
                page.evaluate("() => window.jupyterapp.commands.execute('filebrowser:activate').then(() => true)")  # JupyterLab's default
                page.evaluate(RECORDER)
                page.evaluate("() => { window.jupyterapp.commands.execute('notebook:run-all-cells'); return true; }")
                page.wait_for_selector('.dgl-head', timeout=90_000); marks['dashboard shown'] = time.time() - t0
                ARTIFACTS.mkdir(exist_ok=True)
                deadline, prog, layout = time.time() + 150, None, {}
                while time.time() < deadline:
                    prog = page.evaluate(PROGRESS)
                    if prog and (prog['errors'] or prog['done']): break
                    st = page.evaluate('() => window.__dgl && window.__dgl[0] && window.__dgl[0].step')
                    if 1400 not in layout and st and int(st) >= 8:   # mid-run, with data: at 1000 px, then 1400 px
                        try:   # (on a fast machine the run can end, and the live widget be frozen to an image, meanwhile)
                            dash = page.locator('.dgl-dashboard').last
                            dash.scroll_into_view_if_needed(timeout=5_000); page.wait_for_timeout(300)
                            layout[1000] = page.evaluate(LAYOUT); dash.screenshot(path=str(ARTIFACTS/'dashboard-1000.png'), timeout=5_000)
                            page.set_viewport_size(dict(width=1400, height=1000)); page.wait_for_timeout(600)
                            dash.scroll_into_view_if_needed(timeout=5_000); page.wait_for_timeout(300)
                            layout[1400] = page.evaluate(LAYOUT); dash.screenshot(path=str(ARTIFACTS/'dashboard-1400.png'), timeout=5_000)
                            page.screenshot(path=str(ARTIFACTS/'dashboard-browser-page.png'))
                        except Exception as e: marks['mid-run layout missed'] = time.time() - t0; print(f'mid-run layout: {e}'[:300])
                    time.sleep(0.5)
                seen = page.evaluate('() => window.__dgl'); marks['notebook done'] = time.time() - t0
                table = page.evaluate(TABLE)
                out = page.locator('.jp-OutputArea-output img').first   # the dashboard's output: now a static image of the last state
                out.scroll_into_view_if_needed(); page.wait_for_timeout(300)
                out.screenshot(path=str(ARTIFACTS/'dashboard-browser.png'))
                # save, stop the kernel (its widget models go) and reopen: the saved output must still show the dashboard
                page.evaluate("() => window.jupyterapp.commands.execute('docmanager:save').then(() => true)")
                page.evaluate("() => window.jupyterapp.shell.currentWidget.sessionContext.session.shutdown().then(() => true)")
                page.reload(); page.wait_for_function("() => window.jupyterapp && window.jupyterapp.shell.currentWidget && "
                                                      "window.jupyterapp.shell.currentWidget.content.widgets.length > 3", timeout=60_000)
                page.wait_for_timeout(2000)
                reopened = page.evaluate("() => ({text: document.body.innerText, imgs: [...document.querySelectorAll('.jp-OutputArea-output img')]"
                                         ".filter(i => i.naturalWidth > 0).length})")
                marks['reopened'] = time.time() - t0
            finally: ctx.close()
    finally: stop_lab(lab)
    print(f'browser test: {time.time() - t0:.1f} s (' + ', '.join(f'{k} {v:.1f}' for k, v in marks.items()) + '); per dashboard: ' +
          '; '.join(f"stages {r['stage']}, {len(r['img'])} images, {len(r['logits'])} histogram states, last step {r['step']}" for r in seen))
    assert prog is not None and not prog['errors'], f'the notebook failed in JupyterLab: {prog}'
    assert prog['done'], f'the notebook did not finish in time: {prog}; see {tmp_path/"jupyterlab.log"}'
    assert len(seen) == 1, f'expected one dashboard on the page, found {len(seen)}'
    dgl = seen[0]
    stages = [x for x in dgl['stage'] if x in ('1', '2')]   # '–' before the first refresh
    assert dgl['step'] == '100', dgl['step']
    assert len(dgl['img']) >= 3, f"the sample image changed {len(dgl['img']) - 1} times"
    assert len(dgl['logits']) >= 3, f"the logit histograms changed {len(dgl['logits']) - 1} times"
    assert stages[:1] == ['1'] and '2' in stages, f"stage labels seen: {dgl['stage']}"
    # it fits 1000 px with the file browser open (the grid wraps above the figure) and 1400 px (side by side)
    for w in (1000, 1400):
        L = layout.get(w)
        assert L, f'no layout measured at {w} px: {layout}'
        assert L['left_open'] and L['width'] == w, L
        assert L['box'] <= L['area'] and L['boxRight'] <= L['areaRight'] + 1, f'{w} px: the dashboard overflows its output area: {L}'
        assert L['legends'] and not [x for x in L['legends'] if x['clipped']], f'{w} px: clipped legend entries: {L["legends"]}'
        assert sum('% > 0' in x['text'] for x in L['legends']) == 4, L['legends']
        assert L['panels'] == dict(logits=True, losses=True, evals=False), L['panels']   # no evaluation callback: no FID/KID panel
    assert layout[1400]['side_by_side'], layout[1400]
    # the progress table is headed by its names and has no column the recipe never fills (no R1 here)
    assert table and table['head'] == ['epoch', 'train_loss', 'd_real', 'd_fake', 'g_adv', 'teacher', 'stage', 'lam', 'time'], table
    assert len(table['rows']) == 5 and not [c for r in table['rows'] for c in r if c == 'nan'], table
    # reopened without a kernel's widget models: the saved static image shows, no widget error
    saved = json.loads((tmp_path/'nb'/'dashboard.ipynb').read_text())
    outs = [o for c in saved['cells'] if c['cell_type'] == 'code' for o in c.get('outputs', [])]
    assert not [o for o in outs if 'application/vnd.jupyter.widget-view+json' in o.get('data', {})], 'a widget view was saved'
    assert any(o.get('metadata', {}).get('image/png', {}).get('dglkit') == 'dashboard' or
               o.get('metadata', {}).get('dglkit') == 'dashboard' for o in outs), [o.get('metadata') for o in outs]
    assert 'Error displaying widget' not in reopened['text'] and reopened['imgs'] >= 2, reopened['imgs']


# ---- the report of a run, as a reader sees it ------------------------------------------------------------------
# Python reprs that must never reach a reader: dicts, lists of floats, numpy/torch values, objects, NaN.
REPRS = [r"\{'", r"\['", r"'\]", r'\bnp\.\w+\(', r'\btensor\(', r'\barray\(', r'object at 0x', r'\bEvalResult\b',
         r'\bnan\b', r'\bNone\b', r'\d\.\d+e\+\d\d', r'\d\.\d{5,}']   # (large numbers print with separators, not 1.862e+04)

@pytest.fixture(scope='module')
def report_page(tmp_path_factory):
    "A report written by `dglkit.report.write_report` as the demo writes it: a teacher, four students, grids, curves, logits"
    import torch
    from dglkit.models import DCGANGenerator, DCGANDiscriminator
    from dglkit.metrics import EvalResult
    from dglkit.report import compression_report, write_report, logit_samples, metric_note
    from dglkit.callbacks import image_grid
    d = tmp_path_factory.mktemp('report')
    torch.manual_seed(0)
    tG = DCGANGenerator(nz=32, ngf=32, res=32, nc=1)
    st = {m: DCGANGenerator(nz=32, ngf=32, res=32, nc=1, width=0.25) for m in ('vanilla', 'dgl', 'kd', 'dgl_kd')}
    meta = dict(n_fake=500, n_real=5000, reference='MNIST (5,000 digits)', extractor='mnist-lenet')
    labels = dict(fid='FID (MNIST-LeNet)', kid='KID (MNIST-LeNet)', kid_std='KID std (MNIST-LeNet)')
    tm = EvalResult(fid=193.46, kid=18620.4, kid_std=37.4, labels=labels, meta=meta)
    mets = {'teacher': tm, 'vanilla': dict(fid=2201.3, kid=2493.), 'dgl': dict(fid=[1364., 1100., 1500.], kid=[686., 700., 650.]),
            'kd': dict(fid={'mean': 1480., 'ci95': 120., 'n': 3}), 'dgl_kd': dict(fid=0.000123, kid=1.5)}
    rep = compression_report(tG, st, mets, batch_sizes=(1, 64), warmup=1, repeats=5)
    D = DCGANDiscriminator(ndf=8, res=32, nc=1)
    real = torch.rand(64, 1, 32, 32) * 2 - 1
    rows = [dict(step=s, d_real=.7 - s / 1e3, d_fake=.6, g_adv=.8 + s / 1e3, teacher=.1 * (s > 50), kd=.2, fid=300. - s if s % 50 == 0 else None)
            for s in range(10, 110, 10)]
    z = torch.randn(36, 32, generator=torch.Generator().manual_seed(0))
    with torch.no_grad(): grids = {n: image_grid(G.eval()(z)) for n, G in [('teacher', tG), *st.items()]}
    intro = f'The teacher compressed to width ×0.25, one student per mode. Metrics: {metric_note(tm)}.'
    page = write_report(d, rep, 'DGL compression of the MNIST DCGAN teacher', intro, grids=grids, runs={m: rows for m in st},
                        logits={m: logit_samples(G, D, D, real, n=64) for m, G in st.items()})
    return page

OVERFLOW = """() => {
  const w = document.documentElement.clientWidth, out = [];
  for (const el of document.querySelectorAll('body *')) {
    const r = el.getBoundingClientRect();
    if (r.width && r.right > w + 1) out.push(el.tagName + (el.className ? '.' + el.className : '') + ' ' + Math.round(r.right));
  }
  const imgs = [...document.images].map(i => [i.getAttribute('src'), i.complete && i.naturalWidth > 0]);
  return {scroll: document.documentElement.scrollWidth, width: w, out: out.slice(0, 10), imgs,
          text: document.body.innerText, best: document.querySelectorAll('td.best').length,
          tables: [...document.querySelectorAll('table')].map(t => [...t.querySelectorAll('th')].map(h => h.textContent))};
}"""

def test_report_reads_at_1000px(report_page):
    import re
    exe = chromium_path()
    if exe is None: pytest.skip('Chromium is not installed and apt-get could not install it')
    from playwright.sync_api import sync_playwright
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=exe, headless=True, args=CHROMIUM_FLAGS)
        try:
            res = {}
            for w in (1000, 1400):
                page = b.new_page(viewport=dict(width=w, height=900))
                page.goto(report_page.as_uri()); page.wait_for_load_state('load')
                res[w] = page.evaluate(OVERFLOW)
                page.screenshot(path=str(ARTIFACTS/f'report-{w}.png'), full_page=True)
                page.close()
        finally: b.close()
    for w, r in res.items():
        assert r['scroll'] <= r['width'], f'{w} px: the page scrolls sideways ({r["scroll"]} > {r["width"]}): {r["out"]}'
        assert not r['out'], f'{w} px: elements past the right edge: {r["out"]}'
        assert r['imgs'] and all(ok for _, ok in r['imgs']), f'images that did not load: {r["imgs"]}'
    r = res[1000]
    bad = [m.group(0) for pat in REPRS for m in re.finditer(pat, r['text'])]
    assert not bad, f'Python reprs in the report text: {bad}'
    heads = r['tables']
    assert [h for h in heads if 'FID (MNIST-LeNet)' in h] == [['model', 'FID (MNIST-LeNet)', 'KID (MNIST-LeNet)']], heads  # one column per metric
    assert '18,600' in r['text'] and '2,490' in r['text'] and '1.23e-04' in r['text'] and '±' in r['text']
    assert r['best'] >= 4 and len(r['imgs']) == 5 + 2
