"Real signals to a training process: SIGTERM stops at an iteration boundary with a checkpoint; a re-run resumes."
import subprocess, sys, time
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT/'tests'/'scripts'/'train_tiny.py'

def run(*args, **kw): return subprocess.run([sys.executable, str(SCRIPT), *map(str, args)], capture_output=True, text=True, timeout=300, **kw)

def test_sigterm_then_resume_matches_uninterrupted(tmp_path):
    ref = run(tmp_path/'ref', '--steps', 6)
    assert ref.returncode == 0, ref.stderr[-3000:]
    r = run(tmp_path/'run', '--steps', 6, '--term-at', 3)
    assert r.returncode == 128 + 15, (r.returncode, r.stderr[-3000:])
    ck = torch.load(tmp_path/'run'/'checkpoints'/'latest.pt', weights_only=True)
    assert ck['step'] == 4  # the iteration in flight when the signal came was finished, then saved
    r = run(tmp_path/'run', '--steps', 6)
    assert r.returncode == 0 and 'resumed from step 4' in r.stdout, r.stdout + r.stderr[-3000:]
    a, b = (torch.load(tmp_path/d/'rank0.pt', weights_only=True) for d in ('ref', 'run'))
    for k in ('G', 'D', 'G_ema'):
        for name, v in a[k].items(): assert torch.equal(v, b[k][name]), f'{k}.{name}'
    timing = ('sec_per_step', 'time')
    drop = lambda h: [{k: v for k, v in r.items() if k not in timing} for r in h]
    assert drop(a['history']) == drop(b['history'])

def test_sigkill_leaves_a_usable_checkpoint(tmp_path):
    p = subprocess.Popen([sys.executable, str(SCRIPT), str(tmp_path), '--steps', '400', '--sleep', '0.01'],
                         stdout=subprocess.PIPE, stderr=subprocess.PIPE)
    ck = tmp_path/'checkpoints'/'latest.pt'
    t0 = time.time()
    while not ck.exists() and time.time() - t0 < 120: time.sleep(0.05)
    time.sleep(0.5)
    p.kill(); p.wait()
    step = torch.load(ck, weights_only=True)['step']  # never half-written: atomic rename
    assert 2 <= step < 400 and step % 2 == 0
    r = run(tmp_path, '--steps', step + 2)
    assert r.returncode == 0 and f'resumed from step {step}' in r.stdout, r.stderr[-3000:]
