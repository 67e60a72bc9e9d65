"""An NVlabs network pickle wherever a teacher file goes: `dglkit compress` with the StyleGAN2 recipe and
`teacher.path=network-snapshot.pkl` (on an LMDB data set in rosinality's layout, named by its dotted path), then
`dglkit sample` and `dglkit evaluate` on the pickle, each in its own process.

The pickle is a 32×32 one-channel StyleGAN2 in NVlabs' layout with 32 channels (channel_base 1024, channel_max 32).
rosinality's channel table has 512 channels up to 32×32, so each process runs dglkit with that table divided by 16
(`dglkit.stylegan2._BASE_CH`), which keeps the architecture and makes the teacher small enough for a CPU test."""
import io, os, subprocess, sys
from pathlib import Path
import pytest

sys.path.insert(0, str(Path(__file__).parent))
from test_nvlabs_reference import nv_generator, nv_discriminator, snapshot, write_nvlabs_pickle, network_source

ROOT = Path(__file__).resolve().parent.parent
RECIPE = ROOT/'configs'/'stylegan2-mnist32-cpu.yaml'
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore')

def run_dglkit(*args, timeout=600):
    "`dglkit <args>` in a fresh process whose dglkit StyleGAN2 channel table is divided by 16"
    code = ('import sys, dglkit.stylegan2 as s; s._BASE_CH = {r: c // 16 for r, c in s._BASE_CH.items()}; '
            'import dglkit.cli as c; sys.exit(c.main(sys.argv[1:]))')
    return subprocess.run([sys.executable, '-c', code, *map(str, args)], capture_output=True, text=True, timeout=timeout,
                          env=ENV, cwd=ROOT)

def mnist_lmdb(out, n=100):
    "The first `n` test digits in rosinality's prepare_data.py layout (32×32 PNG values)"
    import lmdb
    from PIL import Image
    from dglkit.data import mnist_digits
    imgs = mnist_digits(size=32, split='test').images[:n]
    with lmdb.open(str(out), map_size=2 ** 26) as env, env.begin(write=True) as txn:
        for i, im in enumerate(imgs):
            buf = io.BytesIO(); Image.fromarray(im[0].numpy()).save(buf, format='png')
            txn.put(f'32-{i:05d}'.encode(), buf.getvalue())
        txn.put(b'length', str(n).encode())
    return out

def test_compress_sample_evaluate_with_an_nvlabs_teacher(tmp_path):
    marker = tmp_path/'marker'
    G, D = nv_generator(32, z_dim=32, n_map=2, channel_base=1024, channel_max=32, nc=1), nv_discriminator(32, 1024, 32, nc=1)
    pkl = write_nvlabs_pickle(tmp_path/'network-snapshot-000200.pkl', snapshot(G, D, src=network_source(marker), res=32))
    db, run = mnist_lmdb(tmp_path/'mnist-lmdb'), tmp_path/'run'
    r = run_dglkit('compress', '--config', RECIPE, '--run-dir', run, '--set', f'teacher.path={pkl}',
               'teacher.loader=dglkit.stylegan2.load_stylegan2_teacher', 'data.source=dglkit.data.LMDBDataset', f'data.path={db}',
               'data.res=32', 'data.channels=1', 'train.steps=4', 'train.bs=8', 'train.log_every=2', 'train.ckpt_every=2',
               'train.sample_every=4', 'train.n_samples=4', 'eval.n=100', 'eval.every=4', 'report.latency=false',
               'dgl.warmup_steps=0', 'eval.metrics=[fid]')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert (run/'gan.pt').exists() and not marker.exists()
    import torch
    cfg = torch.load(run/'gan.pt', weights_only=True)['G_config']  # the student: half the teacher's width
    assert (cfg['arch'], cfg['width'], cfg['style_dim'], cfg['n_mlp'], cfg['lr_mlp'], cfg['nc']) == ('StyleGAN2Generator', 0.5, 32, 2, 0.01, 1)
    r = run_dglkit('sample', pkl, '--n', 4, '--out', tmp_path/'grid.png')
    assert r.returncode == 0 and (tmp_path/'grid.png').exists(), r.stdout[-2000:] + r.stderr[-2000:]
    r = run_dglkit('evaluate', pkl, '--config', RECIPE, '--set', 'data.source=dglkit.data.LMDBDataset', f'data.path={db}',
               'data.res=32', 'data.channels=1', f'teacher.path={pkl}',
               'teacher.loader=dglkit.stylegan2.load_stylegan2_teacher', '--n', 100, '--metrics', 'fid', '--latency', 'false',
               '--out', tmp_path/'eval')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    import json
    ev = json.loads((tmp_path/'eval'/'eval.json').read_text())  # the pickle as the evaluated model and as the teacher
    assert ev['model']['fid'] > 0 and ev['teacher']['fid'] > 0 and not marker.exists()
