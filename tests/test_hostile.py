"""The hostile user: bad configs, odd data, broken checkpoints, faults (signals, SIGKILL inside a checkpoint write,
a full disk, a read-only folder, two runs on one folder, NaN and exploding losses, Ctrl-C) and multi-process runs
(a rank killed, a resume with another number of processes, a refused launch).

Every case asserts the exit status, a message that names the problem and the fix, no traceback for a user error,
and that nothing was lost (the checkpoints load, the run folder is consistent, a resumed run ends with exactly the
weights of an uninterrupted one). The run is a DCGAN student at 16×16 (width 0.5 of a width-16 teacher) on 64 toy
images, 8 steps; faults are injected by `hostile_hooks.Hook`, a `GANLoss` with the same math that fires a fault at
a given iteration (`loss.cls`, so the fault travels with the config into subprocesses and every rank)."""
import contextlib, errno, io, json, os, shutil, signal, struct, subprocess, sys, time, zlib
from pathlib import Path
from types import SimpleNamespace
import numpy as np, pytest, torch
import dglkit

CODE = Path(dglkit.__file__).resolve().parent.parent  # the checkout under test (subprocesses import the same code)

HOOKS = r'''
import io, os, signal, time
from pathlib import Path
from dglkit.losses import GANLoss

def _kill_in_save(h, arg):  # the next torch.save writes half the file, then the process is SIGKILLed
    import torch
    real = torch.save
    def save(obj, f, *a, **k):
        b = io.BytesIO(); real(obj, b); f.write(b.getvalue()[:len(b.getvalue()) // 2]); f.flush(); os.kill(os.getpid(), signal.SIGKILL)
    torch.save = save

def _fill_disk(h, arg):  # fill the file system that holds `arg`
    with open(arg, 'wb') as f:
        try:
            while True: f.write(b'\0' * 65536); f.flush()
        except OSError: pass

def _enospc(h, arg):  # (without a small file system to fill) the next torch.save fails as on a full disk
    import torch
    real = torch.save
    def save(*a, **k):
        torch.save = real; raise OSError(28, 'No space left on device')
    torch.save = save

def _kbd(h, arg): raise KeyboardInterrupt
def _term(h, arg): os.kill(os.getpid(), signal.SIGTERM)
def _kill_rank(h, arg):
    if os.environ.get('RANK', '0') == str(arg): os.kill(os.getpid(), signal.SIGKILL)
def _sleep(h, arg): time.sleep(float(arg))

ACTIONS = dict(kill_in_save=_kill_in_save, fill_disk=_fill_disk, enospc=_enospc, kbd=_kbd, term=_term, kill_rank=_kill_rank, sleep=_sleep)

class Hook(GANLoss):
    "GANLoss (the same math) with faults 'at:action[:arg];...' fired at iteration `at` ('all': every one); once each (per rank) with `marker`"
    def __init__(self, kind='logistic', r1_gamma=0., r1_every=16, faults='', marker=''):
        super().__init__(kind, r1_gamma, r1_every)
        self.faults = [f.split(':', 2) + [''] * (3 - len(f.split(':', 2))) for f in faults.split(';') if f]
        self.marker, self.step = marker, 0
    def _once(self, i):
        if not self.marker: return True
        m = Path(f"{self.marker}.{i}.{os.environ.get('RANK', '0')}")
        if m.exists(): return False
        m.write_text('fired'); return True
    def r1_due(self, d_step):
        self.step = d_step
        for i, (at, act, arg) in enumerate(self.faults):
            if act in ACTIONS and (at == 'all' or (int(at) == d_step and self._once(i))): ACTIONS[act](self, arg)
        return super().r1_due(d_step)
    def g_terms(self, logits):
        t = super().g_terms(logits)
        for at, act, _ in self.faults:
            if act in ('nan', 'explode') and self.step >= int(at): t['g_adv'] = t['g_adv'] * (float('nan') if act == 'nan' else 1e39)
        return t
'''

RECIPE = '''task: compress
name: hostile
data: {{source: dglkit._testing.toy_data, n: 64, res: 16}}
teacher: {{path: {teacher}}}
student: {{width: 0.5}}
dgl: {{lam: 0.1, at_step: 4}}
loss: {{cls: hostile_hooks.Hook}}
train: {{steps: 8, bs: 8, log_every: 2, ckpt_every: 2, sample_every: 0, n_samples: 4, ema_kimg: 0.05}}
eval: {{metrics: []}}
report: {{latency: false}}
'''

class Evil:
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))

@pytest.fixture(scope='module')
def kit(tmp_path_factory):
    from dglkit.models import DCGANGenerator, DCGANDiscriminator
    from dglkit.dgl import save_gan
    d = tmp_path_factory.mktemp('hostile')
    (d/'hostile_hooks.py').write_text(HOOKS)
    torch.manual_seed(0)
    save_gan(DCGANGenerator(nc=1, ngf=16, res=16, nz=32), DCGANDiscriminator(nc=1, ndf=16, res=16), d/'teacher.pt')
    (d/'recipe.yaml').write_text(RECIPE.format(teacher=d/'teacher.pt'))
    env = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore', DGLKIT_OFFLINE='1', ACCELERATE_USE_CPU='1',
               PYTHONPATH=os.pathsep.join([str(d), str(CODE)] + [p for p in [os.environ.get('PYTHONPATH')] if p]))
    mp = pytest.MonkeyPatch()
    mp.syspath_prepend(str(d)); mp.setenv('DGLKIT_OFFLINE', '1'); mp.setenv('TORCH_HOME', str(d/'torch_home'))  # no Inception weights there
    yield SimpleNamespace(dir=d, recipe=d/'recipe.yaml', teacher=d/'teacher.pt', env=env)
    mp.undo()

def cli(kit, *args, cmd='compress', config=None):
    "`dglkit compress --config <recipe> ARGS` in this process: (exit status, stdout, stderr)"
    from dglkit.cli import main
    out, err = io.StringIO(), io.StringIO()
    with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
        code = main([cmd, '--config', str(config or kit.recipe), *map(str, args)])
    return code, out.getvalue(), err.getvalue()

def proc(kit, *args):
    "The same command as a real process (`subprocess.Popen`)"
    return subprocess.Popen([sys.executable, '-m', 'dglkit.cli', 'compress', '--config', str(kit.recipe), *map(str, args)],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=kit.env, cwd=kit.dir)

def launch(kit, nproc, *args, timeout=240):
    "`accelerate launch` with `nproc` CPU processes (DDP over gloo): (exit status, output, seconds)"
    cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', str(nproc), '--num_machines', '1',
           '--mixed_precision', 'no', '--dynamo_backend', 'no', '-m', 'dglkit.cli', 'compress', '--config', str(kit.recipe), *map(str, args)]
    t0 = time.time()
    r = subprocess.run(cmd, capture_output=True, text=True, timeout=timeout, env=kit.env, cwd=kit.dir)
    return r.returncode, r.stdout + r.stderr, time.time() - t0

def ckpt(run, name='latest'):
    "The step and weights of a checkpoint (it must load)"
    sd = torch.load(Path(run)/'checkpoints'/f'{name}.pt', weights_only=True)
    return sd['step'], {k: sd[k] for k in ('G', 'D', 'G_ema')}

def same_weights(a, b):
    return all(torch.equal(v, b[k][n]) for k in a for n, v in a[k].items())

def status(run): return json.loads((Path(run)/'status.json').read_text())
def steps_of(run): return [json.loads(l)['step'] for l in (Path(run)/'metrics.jsonl').read_text().splitlines()]
def temp_files(run): return sorted(p.name for p in Path(run).rglob('*.tmp'))

def user_error(code, err, want_code, *msgs):
    assert code == want_code, (code, err[-3000:])
    for m in msgs: assert m in err, (m, err[-3000:])
    assert 'Traceback' not in err, err[-3000:]

@pytest.fixture(scope='module')
def ref(kit):
    "An uninterrupted run: what every interrupted-and-resumed run must end with"
    run = kit.dir/'ref'
    code, out, err = cli(kit, '--run-dir', run)
    assert code == 0, err[-3000:]
    assert status(run)['state'] == 'finished' and steps_of(run) == [2, 4, 6, 8]
    return run, ckpt(run)[1]

def copy_run(src, dst):
    shutil.copytree(src, dst); return dst

def finishes_like_ref(kit, run, ref, *args):
    "Resume `run` in this process; it must end at step 8 with the reference weights, no duplicated rows, no temp files"
    code, out, err = cli(kit, '--run-dir', run, *args)
    assert code == 0, err[-3000:]
    step, w = ckpt(run)
    assert step == 8 and same_weights(w, ref[1])
    assert steps_of(run) == [2, 4, 6, 8] and status(run)['state'] == 'finished' and temp_files(run) == []
    return out

# ---------------------------------------------------------------------------------------------------------------
# Configs: refused before anything is built or written, with the key and the fix
CONFIGS = [
    ('unknown-key', ['--set', 'train.stepz=3'], 'train.stepz: unknown key'),
    ('switch-after-budget', ['--set', 'dgl.at_step=8'], 'dgl.at_step: 8 is not before train.steps 8: stage 2 (the teacher term) would never run'),
    ('frac-switch-at-end', ['--set', 'dgl.at_frac=1'], 'dgl.at_frac: 1 x train.steps 8 is the last step'),
    ('kimg-switch-after-budget', ['--set', 'dgl.at_kimg=0.2'], 'dgl.at_kimg: 0.2 kimg is step 25 at 8 real images per iteration'),
    ('inception-without-weights', ['--set', 'eval.metrics=[fid]', 'eval.extractor=inception'], 'eval.extractor: Inception weights are not available'),
    ('unknown-extractor', ['--set', 'eval.metrics=[fid]', 'eval.extractor=inceptionv3'], "eval.extractor: unknown extractor 'inceptionv3'"),
    ('batch-larger-than-data', ['--set', 'train.bs=128'], 'the data set has 64 image(s), but one iteration reads train.bs x train.n_dis x processes = 128 x 1 x 1'),
    ('fp16-on-cpu', ['--set', 'train.precision=fp16'], 'train.precision: fp16 needs a CUDA GPU'),
    ('wrong-type', ['--set', 'train.steps=abc'], 'train.steps: expected int'),
    ('eval-batch-zero', ['--set', 'eval.metrics=[fid]', 'eval.batch_size=0'], 'eval.batch_size: must be >= 1'),
    ('resolution-mismatch', ['--set', 'data.res=32'], 'data.res/model.G: the data set yields images of shape (1, 32, 32)'),
    ('override-without-value', ['--set', 'train.steps'], 'an override must look like key=value'),
    ('kd-features-wrong-size', ['--set', 'kd.enabled=true', 'kd.kind=lpips-lenet'], "kd.kind: 'lpips-lenet' compares MNIST-LeNet features of 1×32×32 images"),
]

@pytest.mark.parametrize('name,args,msg', CONFIGS, ids=[c[0] for c in CONFIGS])
def test_config(kit, tmp_path, name, args, msg):
    if name == 'fp16-on-cpu' and torch.cuda.is_available(): pytest.skip('has a GPU')
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', *args)
    user_error(code, err, 2, msg)
    assert not (tmp_path/'run').exists()  # nothing written

def test_config_file_not_yaml(kit, tmp_path):
    (tmp_path/'broken.yaml').write_text('task: compress\ntrain: {steps: 3\n')
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', config=tmp_path/'broken.yaml')
    user_error(code, err, 2, '--config:', 'broken.yaml is not valid YAML')
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', config=tmp_path)
    user_error(code, err, 2, 'is a folder: pass a recipe file')

def test_resume_with_another_experiment(kit, ref, tmp_path):
    run = copy_run(ref[0], tmp_path/'run')
    code, out, err = cli(kit, '--run-dir', run, '--steps', 10, '--set', 'dgl.lam=0.3')
    user_error(code, err, 2, 'holds a run with a different config (dgl.lam: 0.1 → 0.3)', 'use a new --run-dir')

# ---------------------------------------------------------------------------------------------------------------
# Data: odd modes and bit depths load right; too few images are refused before training
def png16(a, fn):
    "Write a 16-bit gray (H×W) or RGB (H×W×3) PNG by hand (PIL cannot write 16-bit RGB)"
    h, w = a.shape[:2]
    raw = b''.join(b'\0' + a[y].astype('>u2').tobytes() for y in range(h))
    chunk = lambda t, d: struct.pack('>I', len(d)) + t + d + struct.pack('>I', zlib.crc32(t + d) & 0xffffffff)
    ihdr = struct.pack('>IIBBBBB', w, h, 16, 2 if a.ndim == 3 else 0, 0, 0, 0)
    Path(fn).write_bytes(b'\x89PNG\r\n\x1a\n' + chunk(b'IHDR', ihdr) + chunk(b'IDAT', zlib.compress(raw)) + chunk(b'IEND', b''))

def test_data_16bit_gray_png(tmp_path):
    from dglkit.data import ImageFolderDataset
    for i, v in enumerate((0, 16384, 32768, 65535)): png16(np.full((16, 16), v, np.uint16), tmp_path/f'{i}.png')
    ds = ImageFolderDataset(tmp_path, res=16, channels=1)
    assert [int(x) for x in ds.images[:, 0, 0, 0]] == [0, 64, 128, 255]  # scaled, not clipped to white

def test_data_16bit_rgb_png(tmp_path):
    from dglkit.data import ImageFolderDataset
    png16(np.full((16, 16, 3), [65535, 32768, 0], np.uint16), tmp_path/'a.png')
    assert ImageFolderDataset(tmp_path, res=16).images[0, :, 0, 0].tolist() == [255, 128, 0]

def test_data_float_and_int32_images(tmp_path):
    from PIL import Image
    from dglkit.data import ImageFolderDataset
    Image.fromarray(np.full((16, 16), 0.5, np.float32)).save(tmp_path/'f.tiff')
    Image.fromarray(np.full((16, 16), 0.25, np.float32)).save(tmp_path/'g.tif')
    assert ImageFolderDataset(tmp_path, res=16, channels=1).images[:, 0, 0, 0].tolist() == [128, 64]

def test_data_odd_modes_and_sizes(tmp_path):
    from PIL import Image
    from dglkit.data import ImageFolderDataset
    red = np.zeros((20, 40, 3), np.uint8); red[..., 0] = 255
    Image.fromarray(red).convert('P').save(tmp_path/'a_palette.png')
    Image.fromarray(np.dstack([red, np.full((20, 40), 255, np.uint8)]), 'RGBA').save(tmp_path/'b_rgba.png')
    Image.fromarray(red).convert('CMYK').save(tmp_path/'c_cmyk.jpg', quality=100)
    Image.fromarray(np.full((4, 4), 255, np.uint8)).convert('1').save(tmp_path/'d_bilevel.png')  # 4×4: upscaled
    Image.fromarray(np.full((16, 16, 2), 200, np.uint8), 'LA').save(tmp_path/'e_la.png')
    ds = ImageFolderDataset(tmp_path, res=16)
    assert ds.images.shape == (5, 3, 16, 16)
    assert ds.images[0, :, 8, 8].tolist() == [255, 0, 0] and ds.images[1, :, 8, 8].tolist() == [255, 0, 0]
    assert ds.images[2, 0, 8, 8] > 240 and ds.images[2, 1, 8, 8] < 15  # CMYK JPEG, red within JPEG error
    assert ds.images[3].min() == 255 and ds.images[4].unique().tolist() == [200]

def test_data_unreadable_files_are_named(tmp_path):
    from PIL import Image
    from dglkit.data import ImageFolderDataset
    for i in range(3): Image.fromarray(np.full((16, 16), 9 * i, np.uint8)).save(tmp_path/f'{i}.png')
    (tmp_path/'broken.png').write_bytes(b'\x89PNG not really')
    (tmp_path/'cut.png').write_bytes((tmp_path/'0.png').read_bytes()[:40])
    with pytest.warns(UserWarning, match=r'Skipped 2 unreadable image file\(s\).*broken.png.*cut.png'):
        ds = ImageFolderDataset(tmp_path, res=16, channels=1)
    assert len(ds) == 3

def folder_recipe(kit, tmp_path, n):
    from PIL import Image
    imgs = tmp_path/'imgs'; imgs.mkdir()
    for i in range(n): Image.fromarray(np.full((16, 16), 9 * i, np.uint8)).save(imgs/f'{i}.png')
    return imgs

def test_data_one_image_folder(kit, tmp_path):
    imgs = folder_recipe(kit, tmp_path, 1)
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', '--set', 'data={source: folder, res: 16, channels: 1}', f'data.path={imgs}',
                         'eval.metrics=[fid]')
    user_error(code, err, 2, 'data.path: the data set has 1 image(s), but one iteration reads', 'lower train.bs to at most 1')
    assert not (tmp_path/'run').exists()

def test_data_empty_folder(kit, tmp_path):
    (tmp_path/'empty').mkdir()
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', '--set', 'data={source: folder, res: 16, channels: 1}', f'data.path={tmp_path/"empty"}')
    user_error(code, err, 2, 'could not build the data set: No readable images in')

def test_data_one_image_reference(kit, tmp_path):
    imgs = folder_recipe(kit, tmp_path, 1)
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', '--set', 'eval.metrics=[fid]',
                         f'eval.reference={{source: folder, res: 16, channels: 1, path: {imgs}}}')
    user_error(code, err, 2, 'eval.reference: the evaluation reference has 1 image(s): FID needs at least 2 real images')
    assert not (tmp_path/'run').exists()

def test_data_path_is_not_a_zip(kit, tmp_path):
    (tmp_path/'data.zip').write_text('not a zip')
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', '--set', 'data={source: folder, res: 16, channels: 1}', f'data.path={tmp_path/"data.zip"}')
    user_error(code, err, 2, 'is a file but not a zip archive')

# ---------------------------------------------------------------------------------------------------------------
# Checkpoints: a bad checkpoints/latest.pt (or teacher) is named; nothing is deleted or overwritten
def bad_latest(kit, ref, tmp_path, make, *msgs, code=2):
    run = copy_run(ref[0], tmp_path/'run')
    make(run/'checkpoints'/'latest.pt')
    before = {p: p.read_bytes() for p in run.rglob('*') if p.is_file() and p.name not in ('log.txt', '.lock')}
    c, out, err = cli(kit, '--run-dir', run, '--steps', 10)
    user_error(c, err, code, *msgs)
    after = {p: p.read_bytes() for p in run.rglob('*') if p.is_file() and p.name not in ('log.txt', '.lock')}
    assert after == before  # nothing changed: the user decides what to do with the file
    return run

def test_checkpoint_truncated(kit, ref, tmp_path):
    bad_latest(kit, ref, tmp_path, lambda f: f.write_bytes(f.read_bytes()[:5000]), 'checkpoint error: Could not read checkpoint',
               '(5000 bytes)', 'truncated or not a torch checkpoint: use the previous checkpoint')

def test_checkpoint_empty(kit, ref, tmp_path):
    bad_latest(kit, ref, tmp_path, lambda f: f.write_bytes(b''), 'checkpoint error: Could not read checkpoint', '(0 bytes)')

def test_checkpoint_foreign(kit, ref, tmp_path):
    bad_latest(kit, ref, tmp_path, lambda f: shutil.copy(ref[0]/'gan.pt', f), 'checkpoint error: Not a dglkit training checkpoint')

def test_checkpoint_wrong_architecture(kit, ref, tmp_path):
    from dglkit.models import DCGANGenerator
    from dglkit.core import atomic_save
    def wide(f):
        sd = torch.load(f, weights_only=True); sd['G'] = DCGANGenerator(nc=1, ngf=16, res=16, nz=32).state_dict(); atomic_save(sd, f)
    bad_latest(kit, ref, tmp_path, wide, "checkpoint error: The checkpoint's G does not fit this run's G (DCGANGenerator",
               'It belongs to another run: move it away or use a new run folder')

def test_checkpoint_pickle_with_code(kit, ref, tmp_path):
    marker = tmp_path/'pwned'
    bad_latest(kit, ref, tmp_path, lambda f: torch.save({'x': Evil(marker)}, f), 'holds pickled Python objects that weights_only loading refuses')
    assert not marker.exists()  # the code in the file never ran

def test_checkpoint_is_a_folder(kit, ref, tmp_path):
    def folder(f): f.unlink(); f.mkdir()
    run = copy_run(ref[0], tmp_path/'run'); folder(run/'checkpoints'/'latest.pt')
    code, out, err = cli(kit, '--run-dir', run, '--steps', 10)
    user_error(code, err, 2, 'is a folder, not a checkpoint file')

def test_checkpoint_from_more_processes(kit, ref, tmp_path):
    from dglkit.core import atomic_save
    def two(f): sd = torch.load(f, weights_only=True); sd['world'] = 2; atomic_save(sd, f)
    bad_latest(kit, ref, tmp_path, two, 'written by a run with 2 process(es)', 'Resume with 2 process(es) (accelerate launch --num_processes 2)')

def test_teacher_pickle_with_code(kit, tmp_path):
    marker = tmp_path/'pwned'; torch.save({'G': Evil(marker)}, tmp_path/'evil.pt')
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', '--set', f'teacher.path={tmp_path/"evil.pt"}')
    user_error(code, err, 2, 'teacher.path: cannot load the teacher', 'pickled Python objects')
    assert not marker.exists() and not (tmp_path/'run').exists()

def test_teacher_truncated(kit, tmp_path):
    (tmp_path/'t.pt').write_bytes(kit.teacher.read_bytes()[:3000])
    code, out, err = cli(kit, '--run-dir', tmp_path/'run', '--set', f'teacher.path={tmp_path/"t.pt"}')
    user_error(code, err, 2, 'teacher.path: cannot load the teacher', 'truncated')

# ---------------------------------------------------------------------------------------------------------------
# Faults: every interruption resumes to the uninterrupted result
def test_sigterm_then_resume(kit, ref, tmp_path):
    run = tmp_path/'run'
    p = proc(kit, '--run-dir', run, '--set', 'loss.faults=5:term'); out, err = p.communicate(timeout=240)
    assert p.returncode == 128 + signal.SIGTERM, err[-3000:]
    assert 'interrupted at step 6: run the same command again to resume' in out and 'Traceback' not in err
    assert status(run)['state'] == 'interrupted' and ckpt(run)[0] == 6
    out = finishes_like_ref(kit, run, ref, '--set', 'loss.faults=5:term')
    assert 'Resuming from step 6' in out

def test_sigkill_inside_a_checkpoint_write(kit, ref, tmp_path):
    run, marker = tmp_path/'run', tmp_path/'fired'
    args = ('--set', 'loss.faults=3:kill_in_save', f'loss.marker={marker}')
    p = proc(kit, '--run-dir', run, *args); p.communicate(timeout=240)
    assert p.returncode == -signal.SIGKILL
    assert ckpt(run)[0] == 2 and len(temp_files(run)) == 1  # the old checkpoint is intact; the half-written one is a temp file
    assert status(run)['state'] == 'running'  # what the killed process left
    (run/'status.json.tmp').write_text('{"sta'); (run/'config.yaml.tmp').write_text('task:')  # other writers' leftovers
    out = finishes_like_ref(kit, run, ref, *args)
    assert 'removed 3 temporary file(s) left by an interrupted write' in out
    assert 'ended without updating status.json: it was killed' in out and 'Resuming from step 2' in out

@pytest.fixture
def small_disk(tmp_path):
    "A 3 MB tmpfs (root), else None"
    d = tmp_path/'disk'; d.mkdir()
    if os.geteuid() != 0 or subprocess.run(['mount', '-t', 'tmpfs', '-o', 'size=3m', 'tmpfs', str(d)], capture_output=True).returncode:
        yield None; return
    try: yield d
    finally: subprocess.run(['umount', '-l', str(d)])

def test_disk_full(kit, ref, tmp_path, small_disk):
    disk = small_disk or tmp_path
    run, filler = disk/'run', disk/'filler'
    fault = f'3:fill_disk:{filler}' if small_disk else '3:enospc'  # a real full disk, or torch.save failing as on one
    args = ('--set', f'loss.faults={fault}', f'loss.marker={tmp_path/"fired"}')
    code, out, err = cli(kit, '--run-dir', run, *args)
    user_error(code, err, 1, 'No space left on device', 'the disk is full: free space or use a --run-dir on another disk',
               'once fixed, run the same command again to resume')
    assert ckpt(run)[0] == 2 and temp_files(run) == []
    assert status(run)['state'] in ('failed', 'running')  # (a full disk may not take the status either)
    if filler.exists(): filler.unlink()
    finishes_like_ref(kit, run, ref, *args)

def test_read_only_run_folder(kit, ref, tmp_path, small_disk):
    if small_disk is None and os.geteuid() == 0: pytest.skip('needs a mount (root ignores file modes)')
    run = copy_run(ref[0], (small_disk or tmp_path)/'run')
    before = {p: p.read_bytes() for p in run.rglob('*') if p.is_file()}
    if small_disk: subprocess.run(['mount', '-o', 'remount,ro', str(small_disk)], check=True)
    else: [p.chmod(0o555 if p.is_dir() else 0o444) for p in [run, *run.rglob('*')]]
    try:
        code, out, err = cli(kit, '--run-dir', run, '--steps', 10)
        user_error(code, err, 1, 'read-only' if small_disk else 'permission denied', f'{run}')
    finally:
        if small_disk: subprocess.run(['mount', '-o', 'remount,rw', str(small_disk)], check=True)
        else: [p.chmod(0o755 if p.is_dir() else 0o644) for p in [run, *run.rglob('*')]]
    assert {p: p.read_bytes() for p in run.rglob('*') if p.is_file()} == before

def test_two_processes_on_one_folder(kit, ref, tmp_path):
    run = tmp_path/'run'
    args = ('--run-dir', run, '--set', 'loss.faults=all:sleep:0.3')  # 2.4 s of training: the other start falls inside it
    a, b = proc(kit, *args), proc(kit, *args)  # started together
    (oa, ea), (ob, eb) = a.communicate(timeout=240), b.communicate(timeout=240)
    (win, lose, err) = (a, b, eb) if a.returncode == 0 else (b, a, ea)
    assert win.returncode == 0, (ea + eb)[-3000:]
    user_error(lose.returncode, err, 2, f'is in use by another process (pid {win.pid}): wait for it to finish, or give this run its own --run-dir')
    assert same_weights(ckpt(run)[1], ref[1]) and steps_of(run) == [2, 4, 6, 8]
    assert (run/'log.txt').read_text().count('dglkit compress ·') == 1  # the refused process wrote nothing

@pytest.mark.parametrize('kind', ['nan', 'explode'])
def test_non_finite_loss(kit, tmp_path, kind):
    run = tmp_path/'run'
    code, out, err = cli(kit, '--run-dir', run, '--set', f'loss.faults=5:{kind}')
    user_error(code, err, 1, 'training stopped: Non-finite loss at step 5 (phase G)', f'the last good checkpoint is {run}/checkpoints/latest.pt',
               'Try a lower learning rate')
    st = status(run)
    assert st['state'] == 'failed' and st['reason'].startswith('NonFiniteLossError: Non-finite loss at step 5')
    step, w = ckpt(run)
    assert step == 4 and all(torch.isfinite(v).all() for m in w.values() for v in m.values() if v.is_floating_point())

def test_double_ctrl_c(kit, ref, tmp_path):
    run = tmp_path/'run'
    args = ('--set', 'loss.faults=5:kbd', f'loss.marker={tmp_path/"fired"}')
    code, out, err = cli(kit, '--run-dir', run, *args)
    user_error(code, err, 130, 'interrupted; run the same command again to resume from the last checkpoint')
    assert status(run)['state'] == 'interrupted' and ckpt(run)[0] == 4
    finishes_like_ref(kit, run, ref, *args)

def test_extending_a_two_stage_run_keeps_stage_2(kit, tmp_path):
    run = tmp_path/'run'
    args = ('--run-dir', run, '--set', 'dgl.at_frac=0.5')
    assert cli(kit, *args)[0] == 0
    code, out, err = cli(kit, *args, '--steps', 20)  # 0.5 x 20 = 10: the switch must not move there
    assert code == 0, err[-3000:]
    rows = [json.loads(l) for l in (run/'metrics.jsonl').read_text().splitlines()]
    assert [(r['step'], r['stage'], r['lam']) for r in rows] == [(2, 1, 0), (4, 1, 0)] + [(s, 2, .1) for s in range(6, 21, 2)]
    assert 'stage 2 stays from step 4 on (dgl.at_frac 0.5 of the budget the run started with)' in out

# ---------------------------------------------------------------------------------------------------------------
# Several processes: a killed rank, resumes with the same / another number of processes, a refused launch
MP_FAULTS = ('--set', 'loss.faults=5:kill_rank:1;6:term')

@pytest.fixture(scope='module')
def mp_run(kit):
    "A 2-process run whose rank 1 is SIGKILLed in iteration 5 (after the checkpoint at step 4)"
    run = kit.dir/'mp'
    code, out, secs = launch(kit, 2, '--run-dir', run, *MP_FAULTS, f'loss.marker={kit.dir/"mp-fired"}')
    return run, code, out, secs

def test_mp_killed_rank(kit, mp_run):
    run, code, out, secs = mp_run
    assert code != 0 and secs < 120, (code, secs, out[-3000:])  # the other rank does not hang
    assert 'dglkit compress: another process of this multi-process run stopped' in out, out[-3000:]
    assert '[rank0]: Traceback' not in out  # rank 0 says it in one line (the launcher adds its own report)
    assert ckpt(run)[0] == 4 and temp_files(run) == []
    st = status(run)
    assert st['state'] == 'failed' and st['step'] == 5 and st['checkpoint'].endswith('latest.pt')

def test_mp_resume_with_one_process_is_refused(kit, mp_run):
    run = mp_run[0]
    before = (run/'checkpoints'/'latest.pt').read_bytes()
    code, out, err = cli(kit, '--run-dir', run, *MP_FAULTS, f'loss.marker={kit.dir/"mp-fired"}')
    user_error(code, err, 2, 'checkpoint error: The checkpoint was written by a run with 2 process(es) (global batch 16 = 8 x 2), this run has 1',
               'Resume with 2 process(es) (accelerate launch --num_processes 2)')
    assert (run/'checkpoints'/'latest.pt').read_bytes() == before

def test_mp_sigterm_then_resume_with_two_processes(kit, mp_run):
    run = mp_run[0]
    args = ('--run-dir', run, *MP_FAULTS, f'loss.marker={kit.dir/"mp-fired"}')
    code, out, secs = launch(kit, 2, *args)
    assert code != 0 and 'Resuming from step 4' in out, out[-3000:]
    assert out.count('interrupted at step 7: run the same command again to resume') == 1
    assert status(run)['state'] == 'interrupted' and ckpt(run)[0] == 7
    code, out, secs = launch(kit, 2, *args)  # issue 16.1: this failed on both ranks ("tagged with cpu:0")
    assert code == 0 and 'Resuming from step 7' in out, out[-3000:]
    assert 'weights identical on all 2 processes' in out
    st = status(run)
    assert st['state'] == 'finished' and st['world'] == 2 and st['checksums'][0] == st['checksums'][1]
    assert steps_of(run) == [2, 4, 6, 8] and temp_files(run) == []

def test_mp_resume_one_process_run_with_two(kit, ref, tmp_path):
    run = copy_run(ref[0], tmp_path/'run')
    before = (run/'checkpoints'/'latest.pt').read_bytes()
    code, out, secs = launch(kit, 2, '--run-dir', run, '--steps', 10)
    assert code != 0 and secs < 120, (code, secs, out[-3000:])
    assert out.count('Resume with 1 process(es) (accelerate launch --num_processes 1, or without accelerate launch)') == 1, out[-3000:]
    assert (run/'checkpoints'/'latest.pt').read_bytes() == before and status(run)['state'] == 'finished'

def test_mp_launch_on_a_locked_folder(kit, tmp_path):
    from dglkit.runs import RunLock
    run = tmp_path/'run'
    with RunLock(run):
        code, out, secs = launch(kit, 2, '--run-dir', run)
    assert code != 0 and secs < 120, (code, secs, out[-3000:])
    assert out.count(f'is in use by another process (pid {os.getpid()})') == 1, out[-3000:]
    assert not run.exists()  # the refused launch wrote nothing (and the lock's folder went with the lock)
