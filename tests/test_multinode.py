"""Two machines on one host: one `dglkit compress` run as two `accelerate launch` process groups (`--num_machines 2
--machine_rank 0|1`, one process each, DDP over gloo on the CPU), through the real command.

What a multi-machine run must get right, checked here: the same G, D and EMA on every rank at the end, different
data on every rank, every file written once (by the main process only), a bounded failure of the surviving machine
when the other one is killed (or freezes), and an exact resume when both machines are relaunched.

The recipe is configs/dcgan-mnist-quarter.yaml with a tiny untrained teacher and small overrides (as in test_cli.py).
Each machine is a process group of its own session, so a test can kill every process of one machine (the launcher,
torchrun's agent and the worker, which torchrun starts in a session of its own) and nothing else; every process a test
started is killed when it ends, whatever happened."""
import json, os, signal, socket, subprocess, sys, time
from pathlib import Path
import psutil, pytest, torch

ROOT = Path(__file__).resolve().parent.parent
QUARTER = ROOT/'configs'/'dcgan-mnist-quarter.yaml'
PROBE = ROOT/'tests'/'scripts'/'cli_probe.py'
STEPS, EVERY = 24, 4  # iterations; log_every (one metrics row per window)
# every collective gives up after 60 s: a test that goes wrong fails, it does not hang for torch's 30 minutes
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore', ACCELERATE_USE_CPU='1', DGLKIT_DIST_TIMEOUT='60')
PORT_CLASH = ('utilizing it', 'Address already in use', 'address already in use')

def small(teacher):
    "The quarter recipe made tiny: batch 16 per process, a checkpoint every 2 iterations, no evaluation"
    return ['--set', f'teacher.path={teacher}', '--train.bs', '16', '--set', f'train.log_every={EVERY}', '--set', 'train.ckpt_every=2',
            '--set', 'train.sample_every=0', '--set', 'train.n_samples=16', '--set', 'eval.metrics=[]', '--set', 'eval.best=null',
            '--set', 'report.latency=false', '--set', 'dgl.at_step=8']

def free_port()->int:
    with socket.socket() as s: s.bind(('127.0.0.1', 0)); return s.getsockname()[1]

class Machines:
    "The two machines of one run: `accelerate launch --num_machines 2 --machine_rank r` each, in its own session"
    def __init__(self, run, teacher, logs, probe=None, env=None, steps=STEPS):
        self.run, self.teacher, self.logs, self.probe, self.steps = Path(run), teacher, Path(logs), probe, steps
        self.env = dict(ENV, **(env or {}), **({'DGLKIT_PROBE_DIR': str(probe)} if probe else {}))
        self.procs, self.seen = [], {}
        self.logs.mkdir(parents=True, exist_ok=True)

    def start(self):
        self.port, self.procs = free_port(), []
        cmd = [str(PROBE)] if self.probe else ['-m', 'dglkit.cli']
        for r in (0, 1):
            argv = [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', '2', '--num_machines', '2',
                    '--machine_rank', str(r), '--main_process_ip', '127.0.0.1', '--main_process_port', str(self.port),
                    '--mixed_precision', 'no', '--dynamo_backend', 'no', *cmd, 'compress', '--config', str(QUARTER),
                    '--run-dir', str(self.run), '--steps', str(self.steps), *map(str, small(self.teacher))]
            with open(self.logs/f'machine{r}.out', 'w') as f:
                self.procs.append(subprocess.Popen(argv, stdout=f, stderr=subprocess.STDOUT, cwd=ROOT, env=self.env, start_new_session=True))
        return self

    def out(self, r:int)->str: return (self.logs/f'machine{r}.out').read_text(errors='replace')

    def tree(self, r:int)->list:
        "Every live process of machine r (remembered, so that `close` finds workers even after their launcher died)"
        try:
            top = psutil.Process(self.procs[r].pid)
            ps = [top] + top.children(recursive=True)
        except psutil.NoSuchProcess: ps = []
        for p in ps: self.seen[p.pid] = p
        return ps

    def signal(self, r:int, sig):
        for p in self.tree(r):
            try: p.send_signal(sig)
            except psutil.NoSuchProcess: pass

    def port_clash(self)->bool:
        p = self.procs[0]
        return p.poll() not in (None, 0) and any(s in self.out(0) for s in PORT_CLASH)

    def wait_for(self, cond, timeout:float, what:str):
        "Poll `cond()` until it is true; restart both machines on a port clash; fail after `timeout` s"
        t0 = time.time()
        while not cond():
            if self.port_clash(): self.close(); self.start()
            elif any(p.poll() not in (None, 0) for p in self.procs) and not cond():
                pytest.fail(f'a machine exited early while waiting for {what}:\n{self.report()}')
            if time.time() - t0 > timeout: pytest.fail(f'timed out after {timeout} s waiting for {what}:\n{self.report()}')
            time.sleep(0.02)

    def finish(self, timeout:float=240)->list:
        "Wait for both machines (restarting both at once on a port clash); their exit codes"
        t0, restarts = time.time(), 0
        while True:
            if self.port_clash() and restarts < 3: self.close(); self.start(); restarts += 1; t0 = time.time()
            if all(p.poll() is not None for p in self.procs): return [p.returncode for p in self.procs]
            if time.time() - t0 > timeout: pytest.fail(f'the run did not end within {timeout} s:\n{self.report()}')
            time.sleep(0.1)

    def report(self)->str:
        return '\n'.join(f'--- machine {r} (exit {p.poll()}):\n{self.out(r)[-3000:]}' for r, p in enumerate(self.procs))

    def close(self):
        "Kill every process this object started (both machines, their agents and workers)"
        for r in range(len(self.procs)): self.tree(r)
        for p in self.seen.values():
            try:
                p.kill(); p.wait(10)
            except (psutil.NoSuchProcess, psutil.TimeoutExpired): pass
        for p in self.procs:
            try: p.wait(10)
            except subprocess.TimeoutExpired: pass

@pytest.fixture
def machines():
    made = []
    def make(*args, **kw): made.append(Machines(*args, **kw)); return made[-1]
    yield make
    for m in made: m.close()

@pytest.fixture(scope='session')
def shared(tmp_path_factory):
    "A folder shared by the pytest-xdist workers of this run only"
    uid = os.environ.get('PYTEST_XDIST_TESTRUNUID')
    base = tmp_path_factory.getbasetemp()
    d = base.parent/f'dglkit-multinode-{uid}' if uid else base/'dglkit-multinode'
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
def reference(shared, teacher):
    "An uninterrupted two-machine run with the probe (made once for all pytest workers): (run folder, machine outputs, probe records)"
    from filelock import FileLock
    run, probe = shared/'ref', shared/'probe'
    with FileLock(str(shared/'ref.lock')):
        if not (run/'gan.pt').exists():
            m = Machines(run, teacher, shared/'ref-logs', probe=probe)
            try:
                m.start()
                assert m.finish() == [0, 0], m.report()
            finally: m.close()
    outs = [(shared/'ref-logs'/f'machine{r}.out').read_text() for r in (0, 1)]
    recs = {r: [json.loads(l) for l in (probe/f'rank{r}.jsonl').read_text().splitlines()] for r in (0, 1)}
    return run, outs, recs

def latest(run):
    ck = torch.load(run/'checkpoints'/'latest.pt', weights_only=True)
    return ck['step'], {k: ck[k] for k in ('G', 'D', 'G_ema')}

def alive(p)->bool:
    try: return p.is_running() and p.status() != psutil.STATUS_ZOMBIE
    except psutil.NoSuchProcess: return False

def metric_steps(run): return [json.loads(l)['step'] for l in (run/'metrics.jsonl').read_text().splitlines()]

def test_two_machines_train_one_model(reference):
    run, (out0, out1), recs = reference
    assert out0.count('processes 2 (DistributedType.MULTI_CPU)') == 1 and 'global batch 32' in out0, out0
    assert 'weights identical on all 2 processes' in out0, out0
    assert 'dglkit compress ·' not in out1 and 'global batch' not in out1, out1  # machine 1 logs nothing
    env = {r: next(x for x in recs[r] if x['kind'] == 'env') for r in (0, 1)}
    for r in (0, 1):  # two machines (torchrun's GROUP_RANK is the machine rank), one process each
        assert (env[r]['RANK'], env[r]['GROUP_RANK'], env[r]['LOCAL_RANK'], env[r]['WORLD_SIZE']) == (str(r), str(r), '0', '2'), env[r]
    # the same G, D and EMA on both ranks: each rank's own checksum, gathered at the end, and what the checkpoint holds
    st = json.loads((run/'status.json').read_text())
    assert st['state'] == 'finished' and st['step'] == STEPS and st['world'] == 2
    assert len(st['checksums']) == 2 and st['checksums'][0] == st['checksums'][1], st
    from dglkit.build import state_checksum
    from dglkit.dgl import load_gan
    G, D, _ = load_gan(run/'checkpoints'/'latest.pt', ema=False)
    Ge, _, _ = load_gan(run/'checkpoints'/'latest.pt', ema=True)
    assert state_checksum(G, D, Ge) == st['checksums'][0]
    # disjoint data: each rank read its own 16 items at every iteration, and no item twice in this first pass
    data = {r: [x for x in recs[r] if x['kind'] == 'data'] for r in (0, 1)}
    for r in (0, 1):
        assert [x['it'] for x in data[r]] == list(range(STEPS)), [x['it'] for x in data[r]]
        assert all(x['rank'] == r and x['world'] == 2 and len(x['idx']) == 16 for x in data[r])
    for a, b in zip(data[0], data[1]): assert not set(a['idx']) & set(b['idx']), a['it']
    every = [i for r in (0, 1) for x in data[r] for i in x['idx']]
    assert len(every) == len(set(every)) == 2 * 16 * STEPS
    # files written once: every checkpoint and gan.pt by the main process only
    saves = {r: [Path(x['fn']).relative_to(run).as_posix() for x in recs[r] if x['kind'] == 'save'] for r in (0, 1)}
    assert saves[1] == [], saves[1]
    assert saves[0].count('checkpoints/latest.pt') >= STEPS // 2 and set(saves[0]) == {'checkpoints/latest.pt', 'gan.pt'}, saves[0]
    assert sorted(p.name for p in (run/'checkpoints').iterdir()) == ['latest.pt']
    log = (run/'log.txt').read_text()
    assert log.count('dglkit compress ·') == 1 and log.count('global batch') == 1
    assert metric_steps(run) == list(range(EVERY, STEPS + 1, EVERY))
    assert not list(run.rglob('*.tmp')) and not list(run.rglob('.*.tmp'))

def test_killed_machine_fails_the_other_then_both_resume_exactly(reference, teacher, tmp_path, machines):
    ref_run = reference[0]
    run = tmp_path/'run'
    m = machines(run, teacher, tmp_path/'logs').start()
    ck = run/'checkpoints'/'latest.pt'
    m.wait_for(ck.exists, 200, 'the first checkpoint')
    victims = m.tree(1)
    assert len(victims) >= 2, victims  # the launcher (torchrun's agent) and the worker
    m.signal(1, signal.SIGKILL); t0 = time.time()
    try: m.procs[0].wait(timeout=90)
    except subprocess.TimeoutExpired: pytest.fail(f'machine 0 still runs 90 s after machine 1 was killed:\n{m.report()}')
    waited = time.time() - t0
    print(f'machine 0 exited {m.procs[0].returncode} {waited:.1f} s after machine 1 was killed')
    assert m.procs[0].returncode != 0
    assert not any(alive(p) for p in victims)
    st = json.loads((run/'status.json').read_text())
    assert st['state'] == 'failed', st  # written by machine 0's main process on its way out
    step, _ = latest(run)  # loads: never half-written
    assert 2 <= step < STEPS, step
    # relaunch both machines with the same command: a plain resume from the last checkpoint
    m2 = machines(run, teacher, tmp_path/'logs2').start()
    assert m2.finish() == [0, 0], m2.report()
    assert f'Resuming from step {step}' in m2.out(0), m2.out(0)
    end, w = latest(run)
    _, ref = latest(ref_run)
    assert end == STEPS
    for k in ref:
        for name, v in ref[k].items(): assert torch.equal(v, w[k][name]), f'{k}.{name} differs from the uninterrupted run'
    st, st_ref = (json.loads((r/'status.json').read_text()) for r in (run, ref_run))
    assert st['state'] == 'finished' and st['checksums'] == st_ref['checksums'], (st, st_ref)
    steps = metric_steps(run)
    assert steps == sorted(set(steps)) and steps[-1] == STEPS  # no row twice, none lost at the end
    assert not list(run.rglob('*.tmp')) and not list(run.rglob('.*.tmp'))

def test_frozen_machine_fails_the_other_within_the_timeout(teacher, tmp_path, machines):
    "A machine that stops answering (SIGSTOP: no connection reset) is only noticed at the process-group timeout"
    run = tmp_path/'run'
    m = machines(run, teacher, tmp_path/'logs', env=dict(DGLKIT_DIST_TIMEOUT='10')).start()
    m.wait_for((run/'checkpoints'/'latest.pt').exists, 200, 'the first checkpoint')
    m.signal(1, signal.SIGSTOP); t0 = time.time()
    try: m.procs[0].wait(timeout=90)
    except subprocess.TimeoutExpired: pytest.fail(f'machine 0 still runs 90 s after machine 1 froze (timeout 10 s):\n{m.report()}')
    waited = time.time() - t0
    print(f'machine 0 exited {m.procs[0].returncode} {waited:.1f} s after machine 1 froze')
    assert m.procs[0].returncode != 0 and waited >= 9, (waited, m.report())
    assert 'timed out' in m.out(0).lower() or 'timeout' in m.out(0).lower(), m.out(0)[-3000:]
    assert json.loads((run/'status.json').read_text())['state'] == 'failed'

@pytest.mark.skipif(torch.cuda.is_available(), reason='the trap exists on machines without GPUs')
def test_launch_without_accelerate_use_cpu_is_refused(teacher, tmp_path):
    "torchrun (or `accelerate launch --multi_gpu`) on a CPU machine without ACCELERATE_USE_CPU=1 gives every process a run of its own"
    env = {k: v for k, v in ENV.items() if k != 'ACCELERATE_USE_CPU'}
    run = tmp_path/'run'
    cmd = [sys.executable, '-m', 'torch.distributed.run', '--nproc_per_node', '2', '--master_port', str(free_port()), '-m', 'dglkit.cli',
           'compress', '--config', str(QUARTER), '--run-dir', str(run), '--steps', '10', *map(str, small(teacher))]
    r = subprocess.run(cmd, env=env, cwd=ROOT, capture_output=True, text=True, timeout=180)
    out = r.stdout + r.stderr
    assert r.returncode != 0, out[-3000:]
    assert 'Launched as 2 processes (WORLD_SIZE) but Accelerate set up 1 (DistributedType.NO)' in out and 'set ACCELERATE_USE_CPU=1' in out, out[-3000:]
    assert not run.exists()  # refused before anything was written
