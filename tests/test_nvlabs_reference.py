"""An independent reference for NVlabs' StyleGAN2 (stylegan2-ada-pytorch `training/networks.py`, the stylegan3 repository's
`training/networks_stylegan2.py`), written from their definitions for tests only, and the checks that dglkit's
conversion (`dglkit.nvlabs`) reproduces it.

Nothing here imports or copies NVlabs code. `NVModule` stands for an NVlabs persistent class: a plain `nn.Module` with
NVlabs' attribute, parameter and buffer names, whose pickle has the byte layout `torch_utils.persistence` writes
(`_reconstruct_persistent_obj(meta)` with the module's state and the embedded source). `write_nvlabs_pickle` writes a
snapshot the way NVlabs' training loop does (`pickle.dump(dict(training_set_kwargs, G, D, G_ema, augment_pipe))`).

The reference follows NVlabs' definitions, not dglkit's code paths: FIR resampling as upfirdn2d defines it (zero
insertion, padding, a true convolution with the filter, decimation) inside conv2d_resample's generic path (padding once,
then filter and convolve; a transposed convolution nowhere), the non-fused modulated convolution (activations scaled
before, demodulation coefficients after the convolution), bias_act's order (bias, activation, gain, clamp), the mapping
network's lr multiplier as weight and bias gains, w_avg.lerp for truncation, and the minibatch-std layer's grouping."""
import contextlib, copy, math, pickle, sys, types
from collections import OrderedDict
import numpy as np
import pytest
import torch
import torch.nn.functional as F

# ---------------------------------------------------------------- the pickle layout of torch_utils.persistence
class NVModule(torch.nn.Module):
    "Stands for an instance of an NVlabs persistent class `class_name`: attributes, parameters and buffers by NVlabs' names"
    def __init__(self, class_name, **attrs):
        super().__init__()
        self.nv_class, self.nv_src = class_name, ''
        for k, v in attrs.items(): setattr(self, k, v)
    def __reduce__(self):
        if not _PICKLING[0]: return super().__reduce__()  # copy.deepcopy: an ordinary module copy
        state = {k: v for k, v in self.__getstate__().items() if k not in ('nv_class', 'nv_src')}
        meta = dict(type='class', version=6, module_src=self.nv_src, class_name=self.nv_class, state=state)
        return (_reconstruct_persistent_obj, (meta,), None)

_PICKLING = [False]

def _reconstruct_persistent_obj(meta):
    "What NVlabs' loader does with a persistent object, reduced to its danger: it executes the embedded source"
    exec(compile(meta['module_src'], '<embedded>', 'exec'), {})  # only reached by the control test's plain pickle.load
    return meta

class EasyDict(dict):
    "Stands for dnnlib.util.EasyDict (pickled by that name)"
    def __getattr__(self, k):
        try: return self[k]
        except KeyError: raise AttributeError(k) from None

@contextlib.contextmanager
def nvlabs_names():
    "Make the two NVlabs globals a snapshot pickle names resolvable while pickling (and for the control test's plain load)"
    mods = {n: types.ModuleType(n) for n in ('torch_utils', 'torch_utils.persistence', 'dnnlib', 'dnnlib.util')}
    _reconstruct_persistent_obj.__module__, EasyDict.__module__ = 'torch_utils.persistence', 'dnnlib.util'
    mods['torch_utils.persistence']._reconstruct_persistent_obj = _reconstruct_persistent_obj
    mods['dnnlib.util'].EasyDict = EasyDict
    old = {n: sys.modules.get(n) for n in mods}
    sys.modules.update(mods); _PICKLING[0] = True
    try: yield
    finally:
        _PICKLING[0] = False
        for n, m in old.items():
            if m is None: sys.modules.pop(n, None)
            else: sys.modules[n] = m

def network_source(marker):
    "An embedded module source like NVlabs' (class definitions) whose import would write `marker`"
    return (f"import pathlib\npathlib.Path({str(marker)!r}).write_text('the embedded source ran')\n"
            + ''.join(f'class {c}:\n    pass\n' for c in ('Generator', 'MappingNetwork', 'SynthesisNetwork', 'SynthesisBlock',
                      'SynthesisLayer', 'ToRGBLayer', 'FullyConnectedLayer', 'Conv2dLayer', 'Discriminator',
                      'DiscriminatorBlock', 'DiscriminatorEpilogue', 'MinibatchStdLayer')))

def snapshot(G_ema, D=None, G=None, src='', res=None):
    "The dict NVlabs' training loop pickles, with every network's embedded source set to `src`"
    nets = dict(G=G if G is not None else G_ema, D=D, G_ema=G_ema)
    for n in nets.values():
        for m in ([] if n is None else n.modules()): m.nv_src = src
        if n is not None: n.eval().requires_grad_(False)
    return dict(training_set_kwargs=dict(class_name='training.dataset.ImageFolderDataset', path='data/ffhq.zip', use_labels=False,
                                         max_size=70000, xflip=True, resolution=res), **nets, augment_pipe=None)

def write_nvlabs_pickle(path, data, protocol=pickle.DEFAULT_PROTOCOL):
    with nvlabs_names(), open(path, 'wb') as f: pickle.dump(data, f, protocol=protocol)
    return path

# ---------------------------------------------------------------- random networks in NVlabs' layout
def _p(*shape, scale=1.): return torch.nn.Parameter(torch.randn(shape) * scale)

def nv_fc(n_in, n_out, act='linear', lr=1., bias_init=0.):
    L = NVModule('FullyConnectedLayer', activation=act, weight_gain=lr / np.sqrt(n_in), bias_gain=lr)
    L.weight = torch.nn.Parameter(torch.randn(n_out, n_in) / lr)
    L.bias = torch.nn.Parameter(bias_init + 0.2 * torch.randn(n_out))  # random, not NVlabs' constant init: a misplaced bias shows
    return L

def _filter(): return (lambda f: f / f.sum())(torch.outer(torch.tensor([1., 3, 3, 1]), torch.tensor([1., 3, 3, 1])))

def nv_generator(res=8, z_dim=32, n_map=2, channel_base=32768, channel_max=512, nc=3, lr=0.01, conv_clamp=None, seed=0):
    "A random NVlabs StyleGAN2 `Generator` (skip architecture) with NVlabs' names, shapes and attributes"
    torch.manual_seed(seed)
    rs = [2 ** i for i in range(2, int(math.log2(res)) + 1)]
    ch = {r: min(channel_base // r, channel_max) for r in rs}
    num_ws = 2 * len(rs)
    m = NVModule('MappingNetwork', z_dim=z_dim, c_dim=0, w_dim=z_dim, num_ws=num_ws, num_layers=n_map, w_avg_beta=0.995)
    for i in range(n_map): setattr(m, f'fc{i}', nv_fc(z_dim, z_dim, 'lrelu', lr))
    m.register_buffer('w_avg', 0.5 * torch.randn(z_dim))
    s = NVModule('SynthesisNetwork', w_dim=z_dim, img_resolution=res, img_resolution_log2=len(rs) + 1, img_channels=nc,
                 block_resolutions=rs, num_ws=num_ws, num_fp16_res=0)
    def layer(cin, cout, r, up):
        L = NVModule('SynthesisLayer', resolution=r, up=up, use_noise=True, activation='lrelu', conv_clamp=conv_clamp,
                     padding=1, act_gain=np.sqrt(2))
        L.register_buffer('resample_filter', _filter())
        L.affine = nv_fc(z_dim, cin, bias_init=1)
        L.weight = _p(cout, cin, 3, 3)
        L.register_buffer('noise_const', torch.randn(r, r))
        L.noise_strength, L.bias = _p(scale=0.5), _p(cout, scale=0.2)
        return L
    for r in rs:
        cin = ch[r // 2] if r > 4 else 0
        b = NVModule('SynthesisBlock', in_channels=cin, w_dim=z_dim, resolution=r, img_channels=nc, is_last=r == res,
                     architecture='skip', use_fp16=False, channels_last=False, num_conv=1 if r == 4 else 2, num_torgb=1)
        b.register_buffer('resample_filter', _filter())
        if r == 4: b.const = _p(ch[4], 4, 4)
        else: b.conv0 = layer(cin, ch[r], r, 2)
        b.conv1 = layer(ch[r], ch[r], r, 1)
        t = NVModule('ToRGBLayer', conv_clamp=conv_clamp, weight_gain=1 / np.sqrt(ch[r]))
        t.affine, t.weight, t.bias = nv_fc(z_dim, ch[r], bias_init=1), _p(nc, ch[r], 1, 1), _p(nc, scale=0.2)
        b.torgb = t
        setattr(s, f'b{r}', b)
    G = NVModule('Generator', z_dim=z_dim, c_dim=0, w_dim=z_dim, img_resolution=res, img_channels=nc, num_ws=num_ws)
    G.synthesis, G.mapping = s, m
    G._init_args = ()
    G._init_kwargs = dict(z_dim=z_dim, w_dim=z_dim, mapping_kwargs=EasyDict(num_layers=n_map),
                          synthesis_kwargs=EasyDict(channel_base=channel_base, channel_max=channel_max, num_fp16_res=0,
                                                    conv_clamp=conv_clamp), c_dim=0, img_resolution=res, img_channels=nc)
    return G

def nv_conv(cin, cout, k, act='lrelu', down=1, bias=True, conv_clamp=None):
    L = NVModule('Conv2dLayer', activation=act, up=1, down=down, conv_clamp=conv_clamp, padding=k // 2,
                 weight_gain=1 / np.sqrt(cin * k * k), act_gain=np.sqrt(2) if act == 'lrelu' else 1)
    L.register_buffer('resample_filter', _filter())
    L.weight = _p(cout, cin, k, k)
    L.bias = _p(cout, scale=0.2) if bias else None
    return L

def nv_discriminator(res=8, channel_base=32768, channel_max=512, nc=3, mbstd_group=4, conv_clamp=None, seed=1):
    "A random NVlabs StyleGAN2 `Discriminator` (resnet architecture) with NVlabs' names, shapes and attributes"
    torch.manual_seed(seed)
    rs = [2 ** i for i in range(int(math.log2(res)), 2, -1)]
    ch = {r: min(channel_base // r, channel_max) for r in rs + [4]}
    D = NVModule('Discriminator', c_dim=0, img_resolution=res, img_resolution_log2=int(math.log2(res)), img_channels=nc,
                 block_resolutions=rs)
    for i, r in enumerate(rs):
        b = NVModule('DiscriminatorBlock', in_channels=0 if r == res else ch[r], resolution=r, img_channels=nc,
                     first_layer_idx=0, architecture='resnet', use_fp16=False, channels_last=False, num_layers=4 if r == res else 3)
        b.register_buffer('resample_filter', _filter())
        if r == res: b.fromrgb = nv_conv(nc, ch[r], 1, conv_clamp=conv_clamp)
        b.conv0 = nv_conv(ch[r], ch[r], 3, conv_clamp=conv_clamp)
        b.conv1 = nv_conv(ch[r], ch[r // 2], 3, down=2, conv_clamp=conv_clamp)
        b.skip = nv_conv(ch[r], ch[r // 2], 1, act='linear', down=2, bias=False)
        setattr(D, f'b{r}', b)
    e = NVModule('DiscriminatorEpilogue', in_channels=ch[4], cmap_dim=0, resolution=4, img_channels=nc, architecture='resnet')
    e.mbstd = NVModule('MinibatchStdLayer', group_size=mbstd_group, num_channels=1)
    e.conv = nv_conv(ch[4] + 1, ch[4], 3, conv_clamp=conv_clamp)
    e.fc, e.out = nv_fc(ch[4] * 16, ch[4], 'lrelu'), nv_fc(ch[4], 1)
    D.b4 = e
    D._init_args = ()
    D._init_kwargs = dict(c_dim=0, img_resolution=res, img_channels=nc, architecture='resnet', channel_base=channel_base,
                          channel_max=channel_max, num_fp16_res=0, conv_clamp=conv_clamp,
                          epilogue_kwargs=EasyDict(mbstd_group_size=mbstd_group))
    return D

# ---------------------------------------------------------------- the reference forward pass (NVlabs' definitions)
def ref_upfirdn2d(x, f=None, up=1, down=1, padding=(0, 0, 0, 0), gain=1.):
    "Per channel: insert up-1 zeros after each pixel, pad (x0, x1, y0, y1; negative crops), convolve with f·gain, keep every down-th"
    B, C, H, W = x.shape
    if up > 1:
        u = x.new_zeros(B, C, H * up, W * up); u[:, :, ::up, ::up] = x; x = u
    x0, x1, y0, y1 = padding
    x = F.pad(x, [max(x0, 0), max(x1, 0), max(y0, 0), max(y1, 0)])
    x = x[:, :, max(-y0, 0):x.shape[2] - max(-y1, 0), max(-x0, 0):x.shape[3] - max(-x1, 0)]
    f = torch.ones(1, 1) if f is None else f
    k = (f * gain).flip([0, 1])  # conv2d correlates: the flipped filter makes it the convolution upfirdn2d specifies
    x = F.conv2d(x, k[None, None].repeat(C, 1, 1, 1).to(x.dtype), groups=C)
    return x[:, :, ::down, ::down]

def ref_conv2d_resample(x, w, f=None, up=1, down=1, padding=0, flip_weight=True):
    "conv2d_resample's generic path: pad once (adjusted for the resampling), [upsample + filter], convolve, [filter + decimate]"
    fw = f.shape[-1] if f is not None else 1
    p0 = p1 = padding
    if up > 1: p0, p1 = p0 + (fw + up - 1) // 2, p1 + (fw - up) // 2
    if down > 1: p0, p1 = p0 + (fw - down + 1) // 2, p1 + (fw - down) // 2
    x = ref_upfirdn2d(x, f if up > 1 else None, up=up, padding=(p0, p1, p0, p1), gain=up ** 2)
    x = F.conv2d(x, w if flip_weight else w.flip([2, 3]))  # flip_weight=False: a true convolution
    return ref_upfirdn2d(x, f, down=down) if down > 1 else x

def ref_bias_act(x, b=None, act='linear', gain=None, clamp=None):
    "bias_act: add the bias, apply the activation, multiply by the gain (√2 for lrelu by default), clamp to ±clamp"
    if b is not None: x = x + b.reshape(1, -1, *[1] * (x.ndim - 2))
    if act == 'lrelu': x = F.leaky_relu(x, 0.2)
    elif act != 'linear': raise NotImplementedError(act)
    gain = float(gain if gain is not None else (math.sqrt(2) if act == 'lrelu' else 1))
    if gain != 1: x = x * gain
    return x.clamp(-clamp, clamp) if clamp is not None else x

def ref_fc(L, x):
    w = L.weight * float(L.weight_gain)
    b = None if L.bias is None else L.bias * float(L.bias_gain)
    return ref_bias_act(x @ w.t(), b, L.activation)

def ref_modulated_conv(x, weight, styles, noise=None, up=1, padding=0, f=None, demodulate=True, flip_weight=True):
    "modulated_conv2d's non-fused path: scale the activations by the styles, convolve, multiply by the demodulation coefficients"
    eps = 1e-8 * (weight[0].numel() if ROSINALITY_EPS[0] else 1)  # rosinality adds 1e-8 after the 1/√fan_in weight scale
    if demodulate: d = ((weight[None] * styles[:, None, :, None, None]).square().sum([2, 3, 4]) + eps).rsqrt()
    x = ref_conv2d_resample(x * styles[:, :, None, None], weight, f, up=up, padding=padding, flip_weight=flip_weight)
    if demodulate: x = x * d[:, :, None, None]
    return x if noise is None else x + noise

ROSINALITY_EPS = [False]  # tests only: the demodulation epsilon where rosinality adds it, to show it is the whole difference

def ref_synthesis_layer(L, x, w, noise_mode='const', noise=None):
    n = None
    if L.use_noise and noise_mode != 'none': n = (L.noise_const if noise_mode == 'const' else noise) * L.noise_strength
    x = ref_modulated_conv(x, L.weight, ref_fc(L.affine, w), n, up=L.up, padding=L.padding, f=L.resample_filter,
                           flip_weight=L.up == 1)
    return ref_bias_act(x, L.bias, L.activation, gain=float(L.act_gain), clamp=L.conv_clamp)

def ref_torgb(T, x, w):
    x = ref_modulated_conv(x, T.weight, ref_fc(T.affine, w) * float(T.weight_gain), demodulate=False)
    return ref_bias_act(x, T.bias, clamp=T.conv_clamp)

@torch.no_grad()
def ref_generator(G, z, truncation_psi=1., noise_mode='const', noise=None):
    "NVlabs' G(z, c=None, truncation_psi, noise_mode): noise_mode 'const', 'none', or 'explicit' with one tensor per layer"
    m, s = G.mapping, G.synthesis
    x = z * (z.square().mean(1, keepdim=True) + 1e-8).rsqrt()
    for i in range(m.num_layers): x = ref_fc(getattr(m, f'fc{i}'), x)
    ws = x[:, None].repeat(1, m.num_ws, 1)
    if truncation_psi != 1: ws = m.w_avg.lerp(ws, truncation_psi)
    noise = iter(noise or [])
    x = img = None; wi = 0
    for r in s.block_resolutions:
        b = getattr(s, f'b{r}'); bw = ws[:, wi:wi + b.num_conv + b.num_torgb].unbind(1); wi += b.num_conv
        layers = [b.conv1] if b.in_channels == 0 else [b.conv0, b.conv1]
        if b.in_channels == 0: x = b.const[None].repeat(len(z), 1, 1, 1)
        for L, w in zip(layers, bw): x = ref_synthesis_layer(L, x, w, noise_mode, next(noise, None))
        if img is not None:
            fw = b.resample_filter.shape[-1]
            img = ref_upfirdn2d(img, b.resample_filter, up=2, padding=((fw + 1) // 2, (fw - 2) // 2) * 2, gain=4)
        y = ref_torgb(b.torgb, x, bw[len(layers)])
        img = y if img is None else img + y
    return img

def ref_conv_layer(L, x, gain=1.):
    x = ref_conv2d_resample(x, L.weight * float(L.weight_gain), L.resample_filter, up=L.up, down=L.down, padding=L.padding,
                            flip_weight=L.up == 1)
    return ref_bias_act(x, L.bias, L.activation, gain=float(L.act_gain) * gain,
                        clamp=None if L.conv_clamp is None else L.conv_clamp * gain)

@torch.no_grad()
def ref_discriminator(D, img):
    "NVlabs' D(img, c=None) for the resnet architecture: logits N×1"
    x = None
    for r in D.block_resolutions:
        b = getattr(D, f'b{r}')
        if b.in_channels == 0: x = ref_conv_layer(b.fromrgb, img)
        y = ref_conv_layer(b.skip, x, gain=math.sqrt(0.5))
        x = y + ref_conv_layer(b.conv1, ref_conv_layer(b.conv0, x), gain=math.sqrt(0.5))
    e = D.b4
    N, C, H, W = x.shape
    g = min(e.mbstd.group_size, N) if e.mbstd.group_size is not None else N
    f = e.mbstd.num_channels
    y = x.reshape(g, -1, f, C // f, H, W)
    y = ((y - y.mean(0)).square().mean(0) + 1e-8).sqrt().mean([2, 3, 4]).reshape(-1, f, 1, 1).repeat(g, 1, H, W)
    x = ref_conv_layer(e.conv, torch.cat([x, y], 1))
    return ref_fc(e.out, ref_fc(e.fc, x.flatten(1)))

# ---------------------------------------------------------------- comparisons
def noise_list(G, n, seed=0):
    "One explicit noise image per synthesis layer, in the layers' order (b4.conv1, b8.conv0, b8.conv1, ...)"
    g = torch.Generator().manual_seed(seed)
    rs = G.synthesis.block_resolutions
    return [torch.randn(n, 1, r, r, generator=g) for r in rs for _ in range(1 if r == 4 else 2)]

def compare(nvG, nvD, G, D, n=4, seed=0, dtype=torch.float32):
    "Max abs differences between the reference and dglkit's converted models (const noise, explicit noise, ψ; D), and output scales"
    if dtype != torch.float32: nvG, nvD, G, D = (copy.deepcopy(m).to(dtype) for m in (nvG, nvD, G, D))
    g = torch.Generator().manual_seed(seed)
    z = torch.randn(n, nvG.mapping.z_dim, generator=g).to(dtype)
    nz = [t.to(dtype) for t in noise_list(nvG, n, seed)]
    img = torch.randn(n, nvD.img_channels, nvD.img_resolution, nvD.img_resolution, generator=g).to(dtype)
    with torch.no_grad():
        out = {'G const noise, ψ=1': (ref_generator(nvG, z), G(z, randomize_noise=False)),
               'G const noise, ψ=0.7': (ref_generator(nvG, z, 0.7), G(z, truncation=0.7, randomize_noise=False)),
               'G explicit noise, ψ=0.5': (ref_generator(nvG, z, 0.5, 'explicit', nz), G(z, truncation=0.5, noise=nz)),
               'D': (ref_discriminator(nvD, img).flatten(), D(img))}
    return {k: float((a - b).abs().max()) for k, (a, b) in out.items()}, {k: float(a.abs().max()) for k, (a, b) in out.items()}

def convert(tmp_path, nvG, nvD, name='net.pkl', **kw):
    from dglkit.nvlabs import load_nvlabs
    fn = write_nvlabs_pickle(tmp_path/name, snapshot(nvG, nvD, src=network_source(tmp_path/'marker')), **kw)
    G, D, meta = load_nvlabs(fn)
    assert not (tmp_path/'marker').exists()
    return G, D, meta

def check_same(nvG, nvD, G, D, tol32=1e-5):
    """float32: max abs difference < tol32 (× the output scale when it exceeds 1). float64: the same function: what remains
    (~1e-8 relative) is where the demodulation epsilon is added (NVlabs: 1e-8 on Σ(w·s)², rosinality: on Σ(w·s/√fan_in)²);
    with the reference's epsilon moved there, G agrees to 1e-11, and D to 1e-8 (dglkit's minibatch-std runs in float32)"""
    d32, scale = compare(nvG, nvD, G, D)
    assert all(d < tol32 * max(1, scale[k]) for k, d in d32.items()), (d32, scale)
    d64, _ = compare(nvG, nvD, G, D, dtype=torch.float64)
    assert all(d < 1e-6 * max(1, scale[k]) for k, d in d64.items()), d64
    ROSINALITY_EPS[0] = True
    try: d64r, _ = compare(nvG, nvD, G, D, dtype=torch.float64)
    finally: ROSINALITY_EPS[0] = False
    assert all(d < (1e-8 if k == 'D' else 1e-11) for k, d in d64r.items()), d64r
    return d32, scale

@pytest.fixture
def small_table(monkeypatch):
    "dglkit's channel table divided by 16 (512 → 32 channels): the same architecture, small enough for 32×32 and 64×64 tests"
    import dglkit.stylegan2 as sg2
    monkeypatch.setattr(sg2, '_BASE_CH', {r: c // 16 for r, c in sg2._BASE_CH.items()})

def test_reference_matches_conversion_real_channels(tmp_path):
    "rosinality's real channel table (512 at 4×4 and 8×8): an 8×8 network with channel_base 32768"
    nvG, nvD = nv_generator(8, z_dim=32), nv_discriminator(8)
    G, D, meta = convert(tmp_path, nvG, nvD)
    assert G.config['channel_multiplier'] == 2 and G.config['lr_mlp'] == 0.01 and D.config['width'] == 1
    d32, scale = check_same(nvG, nvD, G, D)
    assert all(d < 1e-5 for d in d32.values()), d32
    assert all(s > 0.1 for s in scale.values()), scale  # the outputs are not trivially small

@pytest.mark.parametrize('res,cb,cm', [(32, 1024, 2), (64, 2048, 2), (64, 1024, 1)])
def test_reference_matches_conversion_blocks(tmp_path, small_table, res, cb, cm):
    nvG, nvD = nv_generator(res, z_dim=16, n_map=3, channel_base=cb, channel_max=32, nc=3), nv_discriminator(res, cb, 32)
    G, D, _ = convert(tmp_path, nvG, nvD)
    want = cm if res >= 64 else 2
    assert (G.config['size'], G.config['channel_multiplier'], D.config['channel_multiplier']) == (res, want, want)
    check_same(nvG, nvD, G, D)

def test_conv_clamp_and_mbstd_group(tmp_path, small_table):
    "conv_clamp (small, so that it clamps often) and a minibatch-std group of 2 are reproduced"
    nvG = nv_generator(16, z_dim=16, channel_base=512, channel_max=32, conv_clamp=0.5)
    nvD = nv_discriminator(16, 512, 32, mbstd_group=2, conv_clamp=0.5)
    G, D, meta = convert(tmp_path, nvG, nvD)
    assert meta['conv_clamp']['G']['to_rgb1'] == 0.5 and D.stddev_group == 2
    check_same(nvG, nvD, G, D)
    z = torch.randn(4, 16)
    unclamped = copy.deepcopy(nvG)
    for m in unclamped.modules():
        if hasattr(m, 'conv_clamp'): m.conv_clamp = None
    assert (ref_generator(unclamped, z) - ref_generator(nvG, z)).abs().max() > 0.1  # the clamp is active

def test_reference_upfirdn_matches_shapes():
    "The reference's resampling keeps NVlabs' shapes: ×2 up, ×1/2 down, same size otherwise"
    x, f = torch.randn(1, 2, 8, 8), _filter()
    assert ref_conv2d_resample(x, torch.randn(3, 2, 3, 3), f, up=2, padding=1, flip_weight=False).shape == (1, 3, 16, 16)
    assert ref_conv2d_resample(x, torch.randn(3, 2, 3, 3), f, down=2, padding=1).shape == (1, 3, 4, 4)
    assert ref_conv2d_resample(x, torch.randn(3, 2, 1, 1), f, down=2).shape == (1, 3, 4, 4)
    assert ref_upfirdn2d(x, f, up=2, padding=(2, 1, 2, 1), gain=4).shape == (1, 2, 16, 16)
    c = torch.ones(1, 1, 8, 8)  # upsample2d keeps a constant image constant away from the borders
    assert torch.allclose(ref_upfirdn2d(c, f, up=2, padding=(2, 1, 2, 1), gain=4)[..., 2:-2, 2:-2], torch.ones(1, 1, 12, 12))
