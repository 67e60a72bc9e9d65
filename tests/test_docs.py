"The docs pipeline as far as it runs here: nbdev's notebook processing, an nbconvert preview, no broken internal links."
import sys
from pathlib import Path
import yaml

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT/'tools'))
import docs_check

def test_docs_build_and_links(tmp_path):
    probs, n = docs_check.check(ROOT, tmp_path)
    assert not probs, '\n'.join(probs)
    assert n >= 20 and (tmp_path/'engine.html').exists() and (tmp_path/'tutorials'/'quickstart.html').exists()
    assert 'DGLLearner' in (tmp_path/'engine.html').read_text()  # the API reference is rendered from the notebook

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
