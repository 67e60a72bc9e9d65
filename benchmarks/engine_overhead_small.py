"""Engine overhead for small models: the ×0.25 student of the 8-Gaussian ring (configs/mixture-ring.yaml: MLP G and D of
width 32, batch 512, EMA; vanilla and DGL + KD with a width-128 teacher), `DGLLearner(fast=True)` against `fast=False`
(the general paths: items fetched one by one and collated, every callback called for every event, Accelerate's optimizer and
backward wrappers), and a plain hand-written loop for reference. One process, one thread.

    OMP_NUM_THREADS=1 python benchmarks/engine_overhead.py --small [--steps 200] [--rounds 5]

Each round trains every variant for `--steps` iterations in an order that alternates between rounds (so both see the same
machine load); the time of an iteration is the interval between consecutive `before_batch` events (data fetch included).
The variants give bit-identical runs (tested in nbs/04_engine.ipynb); the table reports the median ms per iteration and the
median over rounds of the paired ratio general/fast. Writes benchmarks/results/engine_overhead_small.json."""
import json, os, platform, statistics, tempfile, time
from pathlib import Path
import torch, torch.nn.functional as F
from fastai.callback.core import Callback

class Intervals(Callback):
    order = -100
    def __init__(self): self.t, self.d = None, []
    def before_batch(self):
        t = time.perf_counter()
        if self.t is not None: self.d.append(t - self.t)
        self.t = t

def learner(mode, fast, seed, steps, teachers):
    from dglkit.build import recipe, recipe_callbacks, build_loss, mode_overrides
    from dglkit.data import GaussianMixture2D
    from dglkit.models import MLPGenerator, MLPDiscriminator
    from dglkit.engine import DGLLearner
    cfg = recipe('compress', mode_overrides(mode), train=dict(steps=steps, bs=512, ema_kimg=2.0, ema_rampup=None, log_every=100),
                 optim=dict(g_lr=2e-3, d_lr=2e-3, g_betas=[0.5, 0.99], d_betas=[0.5, 0.99]), loss=dict(kind='logistic'))
    torch.manual_seed(seed)
    G, D = MLPGenerator(nz=8, hidden=32, n_layers=3), MLPDiscriminator(hidden=32, n_layers=3)
    cbs = recipe_callbacks(cfg, *teachers) if mode != 'vanilla' else recipe_callbacks({**cfg, 'task': 'train'})
    iv = Intervals()
    l = DGLLearner(GaussianMixture2D('ring', std=0.1), G, D, loss=build_loss(cfg), bs=512, g_lr=2e-3, d_lr=2e-3, g_betas=(0.5, 0.99),
                   d_betas=(0.5, 0.99), seed=seed, log_every=100, quiet=True, path=tempfile.mkdtemp(), cbs=cbs + [iv], fast=fast)
    return l, iv

def plain(steps, seed):
    "A hand-written loop: the same models, batch and losses, data by tensor indexing, no callbacks"
    from dglkit.data import GaussianMixture2D
    from dglkit.models import MLPGenerator, MLPDiscriminator
    torch.manual_seed(seed)
    G, D = MLPGenerator(nz=8, hidden=32, n_layers=3), MLPDiscriminator(hidden=32, n_layers=3)
    og, od = (torch.optim.Adam(m.parameters(), 2e-3, betas=(0.5, 0.99)) for m in (G, D))
    data = GaussianMixture2D('ring', std=0.1).points
    d, t0 = [], time.perf_counter()
    for i in range(steps):
        x = data[torch.randint(len(data), (512,))]
        with torch.no_grad(): fake = G(torch.randn(512, 8))
        ld = F.softplus(-D(x)).mean() + F.softplus(D(fake)).mean()
        od.zero_grad(set_to_none=True); ld.backward(); od.step()
        D.requires_grad_(False)
        lg = F.softplus(-D(G(torch.randn(512, 8)))).mean()
        og.zero_grad(set_to_none=True); lg.backward(); og.step()
        D.requires_grad_(True)
        t = time.perf_counter(); d.append(t - t0); t0 = t
    return d

def main(a):
    torch.set_num_threads(1)
    from dglkit.models import MLPGenerator, MLPDiscriminator
    torch.manual_seed(99)
    teachers = (MLPDiscriminator(hidden=128, n_layers=3), MLPGenerator(nz=8, hidden=128, n_layers=3))
    steps, rounds = (a.steps if a.steps != 60 else 200), (a.rounds if a.rounds != 3 else 5)  # this mode's own defaults (the DCGAN mode's are 60 and 3)
    variants = [('vanilla', True), ('vanilla', False), ('dgl_kd', True), ('dgl_kd', False), ('plain', None)]
    ms = {v: [] for v in variants}
    for r in range(rounds):
        for v in (variants if r % 2 == 0 else variants[::-1]):
            if v[0] == 'plain': d = plain(steps, r)
            else:
                l, iv = learner(v[0], v[1], r, steps, teachers)
                l.fit_steps(steps); d = iv.d
            ms[v].append(statistics.median(d[10:]) * 1000)
        print(f'round {r}: ' + ', '.join(f'{m}{"" if f is None else (" fast" if f else " general")} {ms[(m, f)][-1]:.2f} ms' for m, f in variants), flush=True)
    med = {v: statistics.median(x) for v, x in ms.items()}
    ratio = {m: statistics.median(g / f for f, g in zip(ms[(m, True)], ms[(m, False)])) for m in ('vanilla', 'dgl_kd')}
    print('\n| variant | median ms / iteration (batch 512, 1 thread) | general / fast (paired by round) |\n|---|---|---|')
    for m in ('vanilla', 'dgl_kd'):
        print(f'| {m}, general paths (fast=False) | {med[(m, False)]:.2f} | {ratio[m]:.2f} |')
        print(f'| {m}, fast paths (default) | {med[(m, True)]:.2f} | 1.00 |')
    print(f"| plain hand-written loop (vanilla) | {med[('plain', None)]:.2f} | |")
    out = dict(benchmark='engine_overhead_small', model='MLP G/D width 32 (ring ×0.25 student), teacher width 128', batch=512,
               steps_per_round=steps, rounds=rounds, torch_threads=torch.get_num_threads(), machine=platform.processor() or platform.machine(),
               load_average=list(os.getloadavg()),
               ms_per_iter={f'{m}/{"plain" if f is None else ("fast" if f else "general")}': v for (m, f), v in med.items()},
               per_round={f'{m}/{"plain" if f is None else ("fast" if f else "general")}': v for (m, f), v in ms.items()},
               general_over_fast=ratio, fast_over_plain=med[('vanilla', True)] / med[('plain', None)])
    Path('benchmarks/results').mkdir(parents=True, exist_ok=True)
    Path('benchmarks/results/engine_overhead_small.json').write_text(json.dumps(out, indent=1) + '\n')
    print('wrote benchmarks/results/engine_overhead_small.json')
