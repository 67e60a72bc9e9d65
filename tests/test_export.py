"""`dglkit export` as a user runs it: a real process per command, on tiny DCGAN, StyleGAN2 and BigGAN files.

ONNX Runtime's outputs must equal PyTorch's within 1e-4 (at batch sizes other than the one traced), a safetensors
export must sample the same images as the file it came from, and what a format cannot hold is refused."""
import os, subprocess, sys
from pathlib import Path
import numpy as np
import pytest, torch

pytest.importorskip('onnxruntime'); pytest.importorskip('onnxscript'); pytest.importorskip('safetensors')
import onnxruntime as ort

ROOT = Path(__file__).resolve().parent.parent
DGLKIT = Path(sys.executable).parent/'dglkit'
ENV = dict(os.environ, OMP_NUM_THREADS='1', PYTHONWARNINGS='ignore', PYTHONPATH=str(ROOT))
ATOL = 1e-4

def dglkit(*args, timeout=600):
    return subprocess.run([str(DGLKIT), *map(str, args)], capture_output=True, text=True, timeout=timeout, env=ENV, cwd=ROOT)

@pytest.fixture(scope='module')
def files(tmp_path_factory):
    "gan.pt files (G and D, as a run folder ends with) of a tiny DCGAN, StyleGAN2 and class-conditional BigGAN"
    from dglkit.dgl import save_gan
    from dglkit.models import DCGANGenerator, DCGANDiscriminator
    from dglkit.stylegan2 import StyleGAN2Generator, StyleGAN2Discriminator
    from dglkit.biggan import BigGANGenerator, BigGANDiscriminator
    d = tmp_path_factory.mktemp('export')
    torch.manual_seed(0)
    models = dict(dcgan=(DCGANGenerator(nz=16, ngf=8, res=16, nc=1), DCGANDiscriminator(ndf=8, res=16, nc=1)),
                  stylegan2=(StyleGAN2Generator(size=16, style_dim=32, n_mlp=2, channel_multiplier=1, width=1/16),
                             StyleGAN2Discriminator(size=16, channel_multiplier=1, width=1/16, stddev_split=2)),
                  biggan=(BigGANGenerator(G_ch=8, dim_z=64, shared_dim=32, hier=True, resolution=32, n_classes=10, G_attn='16'),
                          BigGANDiscriminator(D_ch=8, resolution=32, n_classes=10, D_attn='16')))
    out = {}
    for name, (G, D) in models.items():
        with torch.no_grad():  # non-trivial weights where init leaves zeros (noise strengths, attention gain)
            for k, p in G.named_parameters():
                if k.endswith('noise.weight') or k.endswith('gamma'): p.fill_(0.3)
            for bn in G.modules():  # and batch-norm statistics that the DCGAN export folds into its convolutions
                if isinstance(bn, torch.nn.BatchNorm2d) and bn.running_var is not None:
                    bn.running_mean.normal_(0, 0.3); bn.running_var.uniform_(0.2, 2.2)
        out[name] = save_gan(G.eval(), D.eval(), d/name/'gan.pt', step=7, name=name)
    return out

def load(fn):
    from dglkit.dgl import load_gan
    return load_gan(fn)

def ort_run(fn, feeds):
    return ort.InferenceSession(str(fn), providers=['CPUExecutionProvider']).run(None, {k: v.numpy() for k, v in feeds.items()})[0]

@pytest.mark.parametrize('name', ['dcgan', 'biggan'])
def test_onnx_matches_pytorch(files, name):
    r = dglkit('export', files[name], '--to', 'onnx')
    assert r.returncode == 0, r.stdout + r.stderr
    fn = files[name].parent/'export'/'G.onnx'
    assert f'wrote {fn}' in r.stdout and 'opset 18, dynamic batch' in r.stdout, r.stdout
    G = load(files[name])[0]
    sess = ort.InferenceSession(str(fn), providers=['CPUExecutionProvider'])
    names = [i.name for i in sess.get_inputs()]
    assert names == (['z', 'y'] if name == 'biggan' else ['z'])
    for n in (1, 5):
        z = torch.randn(n, G.nz, generator=torch.Generator().manual_seed(n))
        args = (z, torch.tensor([3, 1, 4, 1, 5][:n])) if name == 'biggan' else (z,)
        with torch.no_grad(): ref = G(*args).numpy()
        out = ort_run(fn, dict(zip(names, args)))
        assert out.shape == ref.shape and np.abs(out - ref).max() < ATOL, np.abs(out - ref).max()
    if name == 'biggan':  # the class input is really used
        z = torch.randn(2, G.nz)
        a, b = ort_run(fn, dict(z=z, y=torch.tensor([0, 0]))), ort_run(fn, dict(z=z, y=torch.tensor([0, 9])))
        assert np.abs(a[0] - b[0]).max() == 0 and np.abs(a[1] - b[1]).max() > 1e-3

def test_onnx_stylegan2_psi_input_fixed_noise(files):
    r = dglkit('export', files['stylegan2'], '--to', 'onnx', '--with-d')
    assert r.returncode == 0, r.stdout + r.stderr
    assert 'noise fixed, truncation input' in r.stdout and '(a multiple of 8)' in r.stdout, r.stdout
    G, D, _ = load(files['stylegan2'])
    G.update_latent_avg()  # what the export used: the mean of 4096 mapped latents, seed 0
    ex = files['stylegan2'].parent/'export'
    for n, psi in ((1, 1.), (3, 0.5)):
        z = torch.randn(n, G.nz, generator=torch.Generator().manual_seed(n))
        with torch.no_grad(): ref = G(z, randomize_noise=False, truncation=psi).numpy()
        out = ort_run(ex/'G.onnx', dict(z=z, psi=torch.tensor([psi])))
        assert np.abs(out - ref).max() < ATOL, np.abs(out - ref).max()
    x = torch.randn(16, 3, 16, 16)
    with torch.no_grad(): ref = D(x).numpy()
    assert np.abs(ort_run(ex/'D.onnx', dict(img=x)) - ref).max() < ATOL

def test_onnx_stylegan2_noise_inputs_fixed_psi(files, tmp_path):
    fn = tmp_path/'sg.onnx'
    r = dglkit('export', files['stylegan2'], '--to', 'onnx', '--noise', 'input', '--truncation', '0.7', '--out', fn)
    assert r.returncode == 0, r.stdout + r.stderr
    G = load(files['stylegan2'])[0]; G.update_latent_avg()
    names = [i.name for i in ort.InferenceSession(str(fn), providers=['CPUExecutionProvider']).get_inputs()]
    assert names == ['z'] + [f'noise_{i}' for i in range(G.num_layers)]
    g = torch.Generator().manual_seed(0)
    z = torch.randn(4, G.nz, generator=g)
    noise = [torch.randn(4, 1, 2 ** ((i + 5) // 2), 2 ** ((i + 5) // 2), generator=g) for i in range(G.num_layers)]
    with torch.no_grad(): ref = G(z, noise=noise, truncation=0.7).numpy()
    out = ort_run(fn, dict(z=z, **{f'noise_{i}': t for i, t in enumerate(noise)}))
    assert np.abs(out - ref).max() < ATOL, np.abs(out - ref).max()

@pytest.mark.parametrize('name', ['biggan', 'dcgan'])
def test_safetensors_samples_like_the_source(files, tmp_path, name):
    src = files[name]
    r = dglkit('export', src, '--to', 'safetensors', '--with-d')
    assert r.returncode == 0, r.stdout + r.stderr
    st = src.parent/'export'/'gan.safetensors'
    from dglkit.export import load_safetensors
    G, D, meta = load_safetensors(st, need_D=True)
    G0, D0, _ = load(src)
    for a, b in ((G, G0), (D, D0)):
        assert a.config == b.config
        assert all(torch.equal(x, y) for x, y in zip(a.state_dict().values(), b.state_dict().values()))
    assert (meta['step'], meta['name']) == (7, name)
    r = dglkit('sample', st, '--n', '8', '--seed', '3', '--out', tmp_path/'b.png')
    assert r.returncode == 0, r.stdout + r.stderr
    if name == 'dcgan':  # (`dglkit sample` of a BigGAN gan.pt needs dglkit.biggan imported first: not this module's business)
        assert dglkit('sample', src, '--n', '8', '--seed', '3', '--out', tmp_path/'a.png').returncode == 0
        assert (tmp_path/'a.png').read_bytes() == (tmp_path/'b.png').read_bytes()

def test_original_formats(files):
    from dglkit.stylegan2 import load_rosinality
    from dglkit.biggan_io import load_biggan_pytorch
    assert dglkit('export', files['stylegan2'], '--to', 'rosinality', '--with-d').returncode == 0
    G, D, meta = load_rosinality(files['stylegan2'].parent/'export'/'rosinality.pt', need_D=True)
    assert meta['args']['size'] == 16 and G.latent_avg is not None
    assert dglkit('export', files['biggan'], '--to', 'biggan-pytorch').returncode == 0
    G, D, meta = load_biggan_pytorch(files['biggan'].parent/'export'/'biggan-pytorch')
    G0 = load(files['biggan'])[0]
    assert D is None and all(torch.equal(x, y) for x, y in zip(G.state_dict().values(), G0.state_dict().values()))

@pytest.mark.parametrize('args, msg', [
    (['--to', 'rosinality'], "rosinality's stylegan2-pytorch layout holds a StyleGAN2 generator; this generator is a DCGANGenerator: use --to onnx or --to safetensors"),
    (['--to', 'biggan-pytorch'], "BigGAN-PyTorch's layout holds a BigGAN generator; this generator is a DCGANGenerator"),
    ([], '--to: missing: one of onnx, safetensors, rosinality, biggan-pytorch'),
    (['--to', 'tflite'], "must be one of onnx, safetensors, rosinality, biggan-pytorch, got 'tflite'"),
    (['--to', 'onnx', '--noise', 'input'], 'only a StyleGAN2 generator has noise and ψ inputs; this is a DCGANGenerator'),
])
def test_refusals(files, args, msg):
    r = dglkit('export', files['dcgan'], *args)
    assert r.returncode == 2 and msg in r.stderr, r.stdout + r.stderr
    assert not (files['dcgan'].parent/'export'/'rosinality.pt').exists()
