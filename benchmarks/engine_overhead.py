"""Engine overhead: DGLLearner's iteration vs a plain hand-written PyTorch GAN loop, same models, data and batch.

    python benchmarks/engine_overhead.py [--steps 60] [--rounds 3]
    OMP_NUM_THREADS=1 python benchmarks/engine_overhead.py --small [--steps 200] [--rounds 5]   # small models: see engine_overhead_small.py

DCGAN G/D (width 1, 32×32, 1 channel) on the MNIST digits, batch 64, non-saturating logistic loss, Adam. Both loops
do the same work per iteration (one D step on real+fake, one G step). Each engine iteration is preceded by one timed plain
iteration (a callback runs it), so both see the same machine load; the table reports the median time per iteration of
each, their ratio, and the median of the paired per-iteration ratios. Prints a table, writes
benchmarks/results/engine_overhead.json."""
import argparse, json, platform, statistics, time
from pathlib import Path
import torch, torch.nn.functional as F
from dglkit.data import mnist_digits
from dglkit.models import DCGANGenerator, DCGANDiscriminator
from dglkit.engine import DGLLearner
from dglkit.losses import GANLoss

p = argparse.ArgumentParser(); p.add_argument('--steps', type=int, default=60); p.add_argument('--rounds', type=int, default=3)
p.add_argument('--bs', type=int, default=64)
p.add_argument('--small', action='store_true', help='a 2-D mixture MLP GAN (the mixture benchmark\'s student): fast paths vs general paths')
a = p.parse_args()
if a.small:
    import sys; sys.path.insert(0, str(Path(__file__).parent))
    from engine_overhead_small import main as small
    small(a); raise SystemExit
data = mnist_digits(size=32, split='train')

def models(seed=0):
    torch.manual_seed(seed)
    return DCGANGenerator(ngf=64, res=32, nc=1), DCGANDiscriminator(ndf=64, res=32, nc=1)

class PlainLoop:
    "The reference: one iteration of what a researcher writes by hand (own models, optimizers and data order)"
    def __init__(self, G, D):
        self.G, self.D = G, D
        self.og = torch.optim.Adam(G.parameters(), 2e-4, betas=(0.5, 0.999)); self.od = torch.optim.Adam(D.parameters(), 2e-4, betas=(0.5, 0.999))
        self.dl = torch.utils.data.DataLoader(data, batch_size=a.bs, shuffle=True, drop_last=True); self.it = iter(self.dl)
    def step(self):
        G, D = self.G, self.D
        try: x, _ = next(self.it)
        except StopIteration: self.it = iter(self.dl); x, _ = next(self.it)
        with torch.no_grad(): fake = G(torch.randn(a.bs, G.nz))
        lr_, lf = D(torch.cat([x, fake])).split([a.bs, a.bs])
        ld = F.softplus(-lr_).mean() + F.softplus(lf).mean()
        self.od.zero_grad(set_to_none=True); ld.backward(); self.od.step()
        for q in D.parameters(): q.requires_grad_(False)
        lg = F.softplus(-D(G(torch.randn(a.bs, G.nz)))).mean()
        self.og.zero_grad(set_to_none=True); lg.backward(); self.og.step()
        for q in D.parameters(): q.requires_grad_(True)

from fastai.callback.core import Callback
class Paired(Callback):
    "Before each engine iteration, run and time one plain iteration: both see the same machine load"
    order = -100
    def __init__(self, plain): self.plain, self.tp, self.te = plain, [], []
    def before_batch(self):
        t = time.perf_counter(); self.plain.step(); self.tp.append(time.perf_counter() - t)
        self.t = time.perf_counter()
    def after_batch(self): self.te.append(time.perf_counter() - self.t)

res = dict(plain=[], engine=[])
for r in range(a.rounds):
    G, D = models(r); Gp, Dp = models(r)
    pair = Paired(PlainLoop(Gp, Dp))
    learn = DGLLearner(data, G, D, loss=GANLoss('logistic'), bs=a.bs, quiet=True, log_every=a.steps, path='/tmp/engine_bench', cbs=[pair])
    learn.fit_steps(a.steps)
    res['plain'] += pair.tp[5:]; res['engine'] += pair.te[5:]  # drop warm-up iterations
    print(f"round {r}: plain {statistics.median(pair.tp[5:])*1000:.1f} ms, engine {statistics.median(pair.te[5:])*1000:.1f} ms", flush=True)
med = {k: statistics.median(v) for k, v in res.items()}
ratio = med['engine'] / med['plain']
print('\n| loop | median ms / iteration (batch %d) | ratio |\n|---|---|---|' % a.bs)
print(f"| plain PyTorch | {med['plain']*1000:.1f} | 1.00 |\n| DGLLearner | {med['engine']*1000:.1f} | {ratio:.3f} |")
paired = statistics.median(e / p_ for e, p_ in zip(res['engine'], res['plain']))
print(f'median of per-iteration ratios (engine/plain, paired): {paired:.3f}')
out = dict(benchmark='engine_overhead', batch=a.bs, steps_per_round=a.steps, rounds=a.rounds, torch_threads=torch.get_num_threads(),
           machine=platform.processor() or platform.machine(), ms_per_iter={k: v * 1000 for k, v in med.items()},
           ratio_of_medians=ratio, median_paired_ratio=paired, n_pairs=len(res['plain']))
Path('benchmarks/results').mkdir(parents=True, exist_ok=True)
Path('benchmarks/results/engine_overhead.json').write_text(json.dumps(out, indent=1))
