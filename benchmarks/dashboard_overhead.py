"""Dashboard overhead: the same tiny DGL run without a dashboard, with the live dashboard (widgets, as in Jupyter)
and with the static one (HTML/PNG files, as in scripts), side by side in one process.

    python benchmarks/dashboard_overhead.py [--steps 200] [--rounds 3] [--every 25] [--budget 0.03]

The run is the tutorial's: MNIST digits 32×32, batch 32, a DCGAN student (width 0.125) with EMA against its own D and
a frozen teacher D (width 0.25), TwoStage switching at half the run. Each round trains the three variants from the same
seed, in a rotating order so they share the machine's load. Without a browser the live widgets' messages go nowhere,
but everything the kernel does for them (rendering the grid, the teacher's forward passes, PNG encoding, building and
serialising the plotly updates) is timed.

Reported per variant (medians over rounds; ratios against the run without a dashboard in the same round, adjacent
in time, so paired against the machine's load):
- **steady**: time per iteration over iterations 2 … N-1 (every throttled refresh included; the refresh before the first
  iteration and the forced one after the last are not), as wall time and as this process's CPU time. On a shared
  machine the CPU-time ratio is the reliable one: other processes' load changes wall time by tens of percent between
  runs, but not the work this process does;
- **self**: the dashboard's own (wall) time over the same iterations divided by the rest of their time, measured inside
  one run: the quantity the `budget` bounds;
- **total**: the whole `fit_steps` call, including the forced first and last refreshes (and, for the static dashboard,
  the files written then): what a run this short pays in all;
- the refreshes done and skipped, and the dashboard's time per refresh.

Prints a table and writes benchmarks/results/dashboard_overhead.json."""
import argparse, json, os, platform, statistics, tempfile, time
from pathlib import Path
import torch
from fastai.callback.core import Callback
from dglkit.data import mnist_digits
from dglkit.models import DCGANGenerator, DCGANDiscriminator
from dglkit.engine import DGLLearner
from dglkit.callbacks import EMA
from dglkit.dgl import DGLTeacher, TwoStage
from dglkit.dashboard import Dashboard

p = argparse.ArgumentParser()
p.add_argument('--steps', type=int, default=150); p.add_argument('--rounds', type=int, default=6)
p.add_argument('--every', type=int, default=25); p.add_argument('--budget', type=float, default=0.03)
a = p.parse_args()
data = mnist_digits(size=32, split='train')
torch.manual_seed(1000); TEACHER = DCGANDiscriminator(nc=1, width=0.25)

class IterTimes(Callback):
    "Wall and CPU time stamps (and the dashboard's time so far) at the end of every iteration, after every other callback"
    order = 1000
    def __init__(self, dash=None): self.dash = dash
    def before_fit(self): self.t, self.c, self.spent = [time.perf_counter()], [time.process_time()], [0.]
    def after_batch(self):
        self.t.append(time.perf_counter()); self.c.append(time.process_time())
        self.spent.append(self.dash.spent if self.dash else 0.)

def run(variant, steps=None):
    "Train the tiny DGL run once; `variant` is None (no dashboard), 'live' or 'static'"
    steps = steps or a.steps
    torch.manual_seed(0)
    G, D = DCGANGenerator(nz=32, nc=1, width=0.125), DCGANDiscriminator(nc=1, width=0.125)
    dash = None if variant is None else Dashboard(every=a.every, budget=a.budget, live=variant == 'live', static=variant == 'static')
    it = IterTimes(dash)
    learn = DGLLearner(data, G, D, bs=32, quiet=True, log_every=50, path=tempfile.mkdtemp(prefix='dash-bench-'),
                       cbs=[EMA(ema_kimg=0.5), DGLTeacher(TEACHER, lam=0.1), TwoStage(at_frac=0.5), it] + ([dash] if dash else []))
    t0, c0 = time.perf_counter(), time.process_time()
    learn.fit_steps(steps)
    total, total_cpu = time.perf_counter() - t0, time.process_time() - c0
    # iterations 2 … N-1: from the end of iteration 1 to the end of iteration N-1
    wall, cpu, own = it.t[-2] - it.t[1], it.c[-2] - it.c[1], it.spent[-2] - it.spent[1]
    return dict(steady_ms=wall / (steps - 2) * 1000, steady_cpu_ms=cpu / (steps - 2) * 1000, self_frac=own / (wall - own),
                total_s=total, total_cpu_s=total_cpu, refreshes=dash.n_refresh if dash else 0, skipped=dash.n_skipped if dash else 0,
                ms_per_refresh=dash.spent / dash.n_refresh * 1000 if dash else 0.)

VARIANTS = [None, 'live', 'static']
name = lambda v: v or 'none'
for v in VARIANTS: run(v, steps=12)                     # warm-up: imports, first plotly/matplotlib use, allocator
res = {name(v): [] for v in VARIANTS}
for r in range(a.rounds):
    order = VARIANTS[r % 3:] + VARIANTS[:r % 3]
    got = {name(v): run(v) for v in order}
    for k, x in got.items():
        for m in ('steady_ms', 'steady_cpu_ms', 'total_s', 'total_cpu_s'): x[m + '_ratio'] = x[m] / got['none'][m]
        res[k].append(x)
        print(f"round {r} {k:6s}: {x['steady_ms']:.1f} ms/iteration (x{x['steady_ms_ratio']:.3f}), CPU {x['steady_cpu_ms']:.1f} ms "
              f"(x{x['steady_cpu_ms_ratio']:.3f}), self {x['self_frac']:.2%}, total {x['total_s']:.2f} s, "
              f"{x['refreshes']} refreshes ({x['skipped']} skipped), {x['ms_per_refresh']:.0f} ms/refresh", flush=True)

med = {k: {m: statistics.median(r[m] for r in rs) for m in rs[0]} for k, rs in res.items()}
load = os.getloadavg()[0] if hasattr(os, 'getloadavg') else None
print(f"\n{a.steps} iterations, batch 32, every={a.every}, budget={a.budget}, medians of {a.rounds} rounds"
      f"{'' if load is None else f', load average {load:.1f} on {os.cpu_count()} cores'}; ratios paired within a round\n")
print('| dashboard | ms / iteration (steady, wall) | ratio | CPU ms / iteration | ratio | self (own / rest) | total s | ratio | total CPU ratio | refreshes (skipped) | ms / refresh |')
print('|---|---|---|---|---|---|---|---|---|---|---|')
for k, m in med.items():
    print(f"| {k} | {m['steady_ms']:.1f} | {m['steady_ms_ratio']:.3f} | {m['steady_cpu_ms']:.1f} | {m['steady_cpu_ms_ratio']:.3f} | "
          f"{m['self_frac']:.2%} | {m['total_s']:.2f} | {m['total_s_ratio']:.3f} | {m['total_cpu_s_ratio']:.3f} | "
          f"{m['refreshes']:.0f} ({m['skipped']:.0f}) | {m['ms_per_refresh']:.0f} |")
out = dict(benchmark='dashboard_overhead', steps=a.steps, rounds=a.rounds, every=a.every, budget=a.budget, batch=32,
           torch_threads=torch.get_num_threads(), machine=platform.processor() or platform.machine(), cpu_count=os.cpu_count(),
           load_average_at_end=load, median=med, rounds_detail=res)
Path('benchmarks/results').mkdir(parents=True, exist_ok=True)
Path('benchmarks/results/dashboard_overhead.json').write_text(json.dumps(out, indent=1))
