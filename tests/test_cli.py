"""The `dglkit` command as a user runs it: a real process per command, the shipped recipes, run folders on disk.

A tiny teacher (a DCGAN at 1/4 of the recipe's width, untrained) is saved in a temp dir so the recipe
`configs/dcgan-mnist-quarter.yaml` runs in seconds; overrides shrink the batch and the evaluation."""
import json, os, signal, subprocess, sys, time
from pathlib import Path
import pytest, torch

ROOT = Path(__file__).resolve().parent.parent
QUARTER = ROOT/'configs'/'dcgan-mnist-quarter.yaml'
TEACHER = ROOT/'configs'/'dcgan-mnist-teacher.yaml'
DGLKIT = Path(sys.executable).parent/'dglkit'
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')
STEPS = 30

def small(teacher):
    "Overrides that make the quarter recipe tiny: small batch, frequent checkpoints, a small evaluation"
    return ['--set', f'teacher.path={teacher}', '--train.bs', '16', '--set', 'train.log_every=5', '--set', 'train.ckpt_every=2',
            '--set', 'train.sample_every=15', '--set', 'train.n_samples=16', '--set', 'eval.n=100', '--set', 'eval.every=15',
            '--set', 'report.latency=false', '--set', 'dgl.at_step=10']

def dglkit(*args, timeout=300, **kw):
    return subprocess.run([str(DGLKIT), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT, **kw)

def popen(*args):
    return subprocess.Popen([str(DGLKIT), *map(str, args)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=ENV, cwd=ROOT)

@pytest.fixture(scope='session')
def shared(tmp_path_factory):
    "A folder shared by the pytest-xdist workers of this run only (the tiny teacher and the reference run are made once, under a lock)"
    uid = os.environ.get('PYTEST_XDIST_TESTRUNUID')  # the same for every worker of one run, new for every run
    base = tmp_path_factory.getbasetemp()
    d = base.parent/f'dglkit-cli-shared-{uid}' if uid else base/'dglkit-cli-shared'
    d.mkdir(exist_ok=True)
    return d

@pytest.fixture(scope='session')
def teacher(shared):
    from filelock import FileLock
    fn = shared/'teacher.pt'
    with FileLock(str(shared/'teacher.lock')):
        if not fn.exists():
            from dglkit.models import DCGANGenerator, DCGANDiscriminator
            from dglkit.dgl import save_gan
            torch.manual_seed(0)
            save_gan(DCGANGenerator(nc=1, ngf=16, res=32), DCGANDiscriminator(nc=1, ndf=16, res=32), fn)
    return fn

@pytest.fixture(scope='session')
def reference(teacher, shared):
    "An uninterrupted compress run of the quarter recipe (made once for all workers)"
    from filelock import FileLock
    run = shared/'ref'
    with FileLock(str(shared/'ref.lock')):
        if not (run/'gan.pt').exists():
            r = dglkit('compress', '--config', QUARTER, '--run-dir', run, '--steps', STEPS, *small(teacher))
            assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
            (shared/'ref.stdout').write_text(r.stdout)
    return run, (shared/'ref.stdout').read_text()

def weights(run):
    ck = torch.load(run/'checkpoints'/'latest.pt', weights_only=True)
    return ck['step'], {k: ck[k] for k in ('G', 'D', 'G_ema')}

def assert_same_weights(a, b):
    for k in a:
        for name, v in a[k].items(): assert torch.equal(v, b[k][name]), f'{k}.{name} differs'

def metric_steps(run): return [json.loads(l)['step'] for l in (run/'metrics.jsonl').read_text().splitlines()]

def test_compress_writes_a_complete_run_folder(reference):
    run, out = reference
    for f in ['config.yaml', 'log.txt', 'metrics.jsonl', 'gan.pt', 'report.json', 'report.md', 'report.html', 'status.json',
              'checkpoints/latest.pt', 'checkpoints/best.pt', f'samples/step-{15:07d}.png', f'samples/step-{STEPS:07d}.png']:
        assert (run/f).exists(), f
    rows = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
    assert [x['step'] for x in rows] == list(range(5, STEPS + 1, 5))
    assert {x['stage'] for x in rows} == {1, 2} and rows[-1]['lam'] == 0.1 and 'teacher' in rows[-1]
    assert 'fid' in rows[-1] and 'kid' in rows[-1] and 'fid' in rows[2] and 'fid' not in rows[0]  # eval every 15 steps
    st = json.loads((run/'status.json').read_text())
    assert st['state'] == 'finished' and st['step'] == STEPS
    rep = json.loads((run/'report.json').read_text())
    assert set(rep['models']) == {'teacher', 'student'} and rep['ratios']['student']['params'] > 4
    from dglkit.dgl import load_teacher
    G, D, meta = load_teacher(run/'gan.pt')
    assert G.config['width'] == 0.25 and D.config['width'] == 0.25 and meta['step'] == STEPS
    assert 'global batch 16' in out and 'learning rates G 0.0002 D 0.0002' in out

def test_finished_run_is_not_retrained(reference, teacher):
    run, _ = reference
    mtime = (run/'gan.pt').stat().st_mtime
    r = dglkit('compress', '--config', QUARTER, '--run-dir', run, '--steps', STEPS, *small(teacher))
    assert r.returncode == 0 and f'already finished at step {STEPS}' in r.stdout, r.stdout + r.stderr[-2000:]
    assert (run/'gan.pt').stat().st_mtime == mtime

@pytest.mark.parametrize('sig', [signal.SIGTERM, signal.SIGKILL])
def test_killed_run_resumes_to_the_same_weights(reference, teacher, tmp_path, sig):
    run = tmp_path/'run'
    args = ('compress', '--config', QUARTER, '--run-dir', run, '--steps', STEPS, *small(teacher))
    p = popen(*args)
    ck, t0 = run/'checkpoints'/'latest.pt', time.time()
    while not ck.exists() and p.poll() is None and time.time() - t0 < 200: time.sleep(0.02)
    p.send_signal(sig); out, err = p.communicate(timeout=120)
    assert p.returncode == (128 + signal.SIGTERM if sig == signal.SIGTERM else -signal.SIGKILL), (p.returncode, err[-3000:])
    step, _ = weights(run)  # loads: never half-written
    assert 2 <= step < STEPS
    if sig == signal.SIGTERM:
        assert json.loads((run/'status.json').read_text())['state'] == 'interrupted' and 'interrupted at step' in out
    r = dglkit(*args)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert f'Resuming from step {step}' in r.stdout, r.stdout
    end, w = weights(run)
    assert end == STEPS
    assert_same_weights(weights(reference[0])[1], w)  # exactly the uninterrupted run
    steps = metric_steps(run)
    assert steps == sorted(set(steps)) and steps[-1] == STEPS  # no row twice, none lost at the end
    assert not list(run.rglob('*.tmp')) and not list(run.rglob('.*.tmp'))

def test_two_processes_identical_weights_files_once(teacher, tmp_path):
    run = tmp_path/'ddp'
    env = dict(ENV, ACCELERATE_USE_CPU='1')
    cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '1',
           '--mixed_precision', 'bf16', '--dynamo_backend', 'no', '-m', 'dglkit.cli', 'compress', '--config', str(QUARTER),
           '--run-dir', str(run), '--steps', '10', *map(str, small(teacher)), '--set', 'dgl.at_step=5']  # (stage 2 inside the 10 steps)
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=300, env=env, cwd=ROOT)
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    out = r.stdout
    assert out.count('processes 2 (DistributedType.MULTI_CPU)') == 1 and 'precision bf16' in out, out
    assert 'global batch 32' in out and 'learning rates G 0.0002 D 0.0002' in out
    assert 'weights identical on all 2 processes' in out
    st = json.loads((run/'status.json').read_text())
    assert st['world'] == 2 and len(st['checksums']) == 2 and st['checksums'][0] == st['checksums'][1]
    from dglkit.build import state_checksum
    ck = torch.load(run/'checkpoints'/'latest.pt', weights_only=True)
    from dglkit.dgl import load_gan
    G, D, _ = load_gan(run/'checkpoints'/'latest.pt', ema=False)
    Ge, _, _ = load_gan(run/'checkpoints'/'latest.pt', ema=True)
    assert state_checksum(G, D, Ge) == st['checksums'][0]  # what both processes held is what was saved
    assert metric_steps(run) == [5, 10]
    log = (run/'log.txt').read_text()
    assert log.count('dglkit compress ·') == 1 and log.count('global batch') == 1
    assert sorted(p.name for p in (run/'checkpoints').iterdir()) == ['best.pt', 'latest.pt']
    assert sorted(p.name for p in (run/'samples').iterdir()) == ['step-0000010.png']

def test_bad_configs_fail_before_training(teacher, tmp_path):
    run = tmp_path/'bad'
    cases = [(['--set', 'train.stepz=3'], 'train.stepz: unknown key'),
             (['--dgl.lam', '-0.5'], 'dgl.lam: λ must be >= 0'),
             (['--set', 'student.width=2'], 'student.width: 2 makes the student wider than its teacher'),
             (['--set', 'data.size=24'], "data.size"),
             (['--set', 'dgl.two_stage=false'], 'dgl.at_frac: sets a stage switch but dgl.two_stage is false'),
             (['--set', 'teacher.path=/no/teacher.pt'], 'teacher.path: no such file')]
    from dglkit.cli import main
    import contextlib, io
    for extra, msg in cases[:-1]:  # in-process: the same code path as the command, without a process per case
        f = io.StringIO()
        with contextlib.redirect_stderr(f): code = main(['compress', '--config', str(QUARTER), '--run-dir', str(run), '--set', f'teacher.path={teacher}', *extra])
        assert code == 2 and msg in f.getvalue(), (extra, f.getvalue())
    r = dglkit('compress', '--config', QUARTER, '--run-dir', run, *cases[-1][0])
    assert r.returncode == 2 and cases[-1][1] in r.stderr, r.stderr
    assert not run.exists()  # nothing was written

def test_missing_data_path_names_the_key(tmp_path):
    (tmp_path/'f.yaml').write_text('task: train\ndata: {source: folder, res: 32, channels: 1}\n'
                                   'model: {G: {arch: DCGANGenerator, nc: 1}, D: {arch: DCGANDiscriminator, nc: 1}}\n')
    from dglkit.config import load_config, ConfigError
    with pytest.raises(ConfigError, match='data.path: required'): load_config(tmp_path/'f.yaml')
    with pytest.raises(ConfigError, match='data.path: no such file or folder'): load_config(tmp_path/'f.yaml', ['data.path=/nope'])

def test_help_lists_every_option():
    r = dglkit('--help')
    assert r.returncode == 0 and all(c in r.stdout for c in ('train', 'compress', 'evaluate', 'sample', 'config')), r.stdout
    r = subprocess.run([sys.executable, '-m', 'dglkit.cli', 'compress', '--help'], capture_output=True, text=True, env=ENV, timeout=120)
    assert r.returncode == 0, r.stderr
    for opt in ('--config', '--run-dir', '--steps', '--set', '--progress', 'default: False'): assert opt in r.stdout, r.stdout
    from dglkit.cli import COMMANDS, command_parser
    import inspect
    for name, f in COMMANDS.items():
        parser = command_parser(name)
        h = parser.format_help()
        for p in inspect.signature(f).parameters: assert ('--' + p.replace('_', '-')) in h or p in h, (name, p)
        for a in parser._actions:  # every option says what it does and its default (or that it is required)
            if a.help == '==SUPPRESS==' or a.dest == 'help' or not a.option_strings: continue
            assert len(a.help) > 15 and ('default' in a.help or 'required' in a.help), (name, a.dest, a.help)

def test_help_and_config_errors_import_no_torch():
    code = "import sys, dglkit.cli as c; c.command_parser('compress').format_help(); print('torch' in sys.modules, 'fastai' in sys.modules)"
    r = subprocess.run([sys.executable, '-c', code], capture_output=True, text=True, env=ENV, timeout=120)
    assert r.stdout.split() == ['False', 'False'], r.stdout + r.stderr
