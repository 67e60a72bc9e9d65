"""Replication benchmark: does DGL beat vanilla training at the same budget? (not a test: minutes to hours on a CPU)

    python benchmarks/replication.py [--seeds 0 1 2] [--steps 1000] [--jobs 2] [--runs quarter full dgl0]

For each seed, with the shipped MNIST teacher (dglkit/assets/teacher_dcgan_mnist.pt) and the demo's recipe
(`dglkit.demo.train_student`: same seed, data order, steps and batch for every mode):
- `quarter`: the 1/4-width student (G and student D at ×0.25), vanilla vs two-stage DGL (λ = 0.1, switch at 50%);
- `full`: a full-width student (the teacher's architecture, fresh weights): "DGL boosts an uncompressed GAN";
- `dgl0`: the 1/4-width student with DGL from step 0 (no stage 1): is two-stage more stable?
Extra rows come from `--lams`, `--switch` and `--d-f` (λ, switch point and student-D width ablations).
Metrics: FID and KID (MNIST-LeNet features) of G_ema, 5,000 samples vs the 5,000 digits, at the end and every
steps/4 (the worst value along training shows instability). Prints a table (mean ± std over seeds) and writes
benchmarks/results/replication.json."""
import argparse, json, os, statistics, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

def one(job):
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    import torch; torch.set_num_threads(1)
    from dglkit.demo import TEACHER_FILE, demo_settings, train_student
    from dglkit.dgl import load_teacher
    from dglkit.data import mnist_digits
    from dglkit.metrics import evaluate_generator
    name, mode, seed, kw, steps, out = job
    tG, tD, _ = load_teacher(TEACHER_FILE)
    data, ref = mnist_digits(size=32, split='train'), mnist_digits(size=32)
    s = demo_settings(steps=steps, seed=seed, eval_every=max(1, steps // 4), n_eval=2000, **kw)
    t = time.time()
    learn = train_student(mode, tG, tD, data, ref, Path(out)/f'{name}-{mode}-s{seed}', s, quiet=True)
    secs = time.time() - t
    ev = evaluate_generator(learn.G_ema, ref, n=5000)
    curve = [r['fid'] for r in learn.history if 'fid' in r]
    return dict(row=name, mode=mode, seed=seed, settings=s, fid=ev['fid'], kid=ev['kid'], fid_curve=curve,
                worst_fid=max(curve) if curve else None, train_seconds=round(secs, 1))

def ms(xs): return (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.)

if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2]); p.add_argument('--steps', type=int, default=1000)
    p.add_argument('--jobs', type=int, default=2); p.add_argument('--runs', nargs='+', default=['quarter', 'full', 'dgl0'])
    p.add_argument('--lams', type=float, nargs='*', default=[]); p.add_argument('--switch', type=float, nargs='*', default=[])
    p.add_argument('--d-f', type=float, nargs='*', default=[]); p.add_argument('--out', default='/tmp/dglkit-replication')
    p.add_argument('--json', default='benchmarks/results/replication.json')
    a = p.parse_args()
    rows = {'quarter': [('vanilla', {}), ('dgl', {})], 'full': [('vanilla', dict(f=1.0, d_f=1.0)), ('dgl', dict(f=1.0, d_f=1.0))],
            'dgl0': [('dgl0', {})]}
    plan = [(r, m, kw) for r in a.runs for m, kw in rows[r]]
    plan += [(f'quarter-lam{l}', 'dgl', dict(lam=l)) for l in a.lams]
    plan += [(f'quarter-switch{w}', 'dgl', dict(switch_frac=w)) for w in a.switch]
    plan += [(f'quarter-df{d}-{m}', m, dict(d_f=d)) for d in a.d_f for m in ('vanilla', 'dgl')]
    jobs = [(r, m, seed, kw, a.steps, a.out) for r, m, kw in plan for seed in a.seeds]
    t0 = time.time(); res = []
    with ProcessPoolExecutor(a.jobs) as ex:
        for r in ex.map(one, jobs):
            res.append(r); print(f"{r['row']:>18s} {r['mode']:8s} seed {r['seed']}: FID {r['fid']:.2f} KID {r['kid']:.3f} "
                                 f"worst FID {r['worst_fid']:.2f} ({r['train_seconds']:.0f} s)", flush=True)
    table = ['| run | mode | seeds | FID (MNIST-LeNet) | KID (MNIST-LeNet) | worst FID during training |', '|---|---|---|---|---|---|']
    summary = []
    for r, m, _ in plan:
        g = [x for x in res if x['row'] == r and x['mode'] == m]
        f, k, w = ms([x['fid'] for x in g]), ms([x['kid'] for x in g]), ms([x['worst_fid'] for x in g])
        summary.append(dict(row=r, mode=m, seeds=[x['seed'] for x in g], fid_mean=f[0], fid_std=f[1], kid_mean=k[0], kid_std=k[1],
                            worst_fid_mean=w[0], worst_fid_std=w[1]))
        table.append(f"| {r} | {m} | {len(g)} | {f[0]:.2f} ± {f[1]:.2f} | {k[0]:.3f} ± {k[1]:.3f} | {w[0]:.2f} ± {w[1]:.2f} |")
    print('\n' + '\n'.join(table))
    print(f'\n{len(jobs)} runs of {a.steps} steps in {time.time() - t0:.0f} s')
    Path(a.json).parent.mkdir(parents=True, exist_ok=True)
    Path(a.json).write_text(json.dumps(dict(benchmark='replication', command='python benchmarks/replication.py ' + ' '.join(
        f'--{k.replace("_", "-")} {" ".join(map(str, v)) if isinstance(v, list) else v}' for k, v in vars(a).items() if k not in ('out', 'json')),
        steps=a.steps, seeds=a.seeds, seconds=round(time.time() - t0), summary=summary, runs=res), indent=1))
