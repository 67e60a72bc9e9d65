"""Replication benchmark: does DGL beat vanilla training at the same budget? (not a test: minutes to hours on a CPU)

    python benchmarks/replication.py [--seeds 0 1 2 3 4] [--steps 1000] [--jobs 2] [--runs quarter full dgl0]

Every student is a run of the demo's recipe (configs/demo.yaml through `dglkit.demo.demo_config` and
`dglkit.build.train_run`: the same path as `dglkit compress` and `make demo`), one run folder each, with the
shipped MNIST teacher. Modes are `dglkit.build.MODES` switches of that recipe; the same seed gives every mode the
same initial weights, data order and latents (stage 1 is identical), so modes are compared **paired by seed**.
- `quarter`: the 1/4-width student: vanilla, two-stage DGL, KD, DGL + KD;
- `full`: a full-width student (the teacher's architecture, fresh weights), vanilla vs DGL;
- `dgl0`: the 1/4-width student with DGL from step 0 (no stage 1).
Extra rows come from `--lams`, `--switch` and `--d-f` (λ, switch point and student-D width ablations).
Metrics: the demo's protocol (configs/demo.yaml `eval`): FID and KID (MNIST-LeNet features) of G_ema, 500 samples vs
the 4,500 training digits, mean over 5 sample seeds, with the real-data floor (the 500 held-out digits) measured the
same way; during training every steps/8 with one seed (the FID curve: has it flattened? the worst value after the
switch shows instability). Prints per-seed
values and, for each mode against vanilla, the paired ΔFID/ΔKID with a bootstrap 95% CI and the seeds won;
writes benchmarks/results/replication.json (list `paired`: {mode, row, seeds, delta_fid_mean, ci95, wins, ...})."""
import argparse, json, os, random, statistics, time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

def one(job):
    os.environ.setdefault('OMP_NUM_THREADS', '1')
    import torch; torch.set_num_threads(1)
    from dglkit.demo import demo_config
    from dglkit.build import train_run, make_evaluator
    from dglkit.runs import read_metrics, read_status
    from dglkit.dgl import load_gan
    name, mode, seed, ov, steps, out, skip_missing, extend_from = job
    cfg = demo_config(mode, overrides=[f'train.steps={steps}', f'seed={seed}', f'eval.every={max(1, steps // 8)}',
                                       'report.latency=false', f'train.ckpt_every={max(1, steps // 4)}', *ov])
    run = Path(out)/f'{name}-{mode}-s{seed}'
    if skip_missing and read_status(run).get('state') != 'finished': return None
    if extend_from and not run.exists() and (Path(extend_from)/run.name).exists():  # continue a shorter run (a copy: the original stays)
        import shutil; shutil.copytree(Path(extend_from)/run.name, run, ignore=shutil.ignore_patterns('.lock'))
    t = time.time(); train_run(cfg, run); secs = time.time() - t
    if skip_missing: secs = read_metrics(run)[-1]['time']  # trained by an earlier invocation: its training time (without the report)
    G = load_gan(run/'gan.pt')[0]
    ev = make_evaluator(cfg)(G)
    rows = read_metrics(run)
    sw = next((r['step'] for r in rows if r.get('stage') == 2), 0) if cfg['dgl']['two_stage'] else 0  # the switch as it happened (an extended run keeps its own)
    curve = [(r['step'], r['fid']) for r in rows if r.get('fid') is not None]
    after = [f for s, f in curve if s > sw] or [f for _, f in curve]
    return dict(row=name, mode=mode, seed=seed, overrides=ov, fid=ev['fid'], kid=ev['kid'], fid_seed_std=ev['fid_seed_std'], fid_curve=curve,
                best_fid=min(f for _, f in curve) if curve else None, worst_fid_after_switch=max(after) if after else None,
                train_seconds=round(secs, 1), run=str(run))

def bootstrap_ci(xs, n=10000, seed=0):
    "95% percentile bootstrap CI of the mean of `xs`"
    rng = random.Random(seed)
    means = sorted(statistics.mean(rng.choices(xs, k=len(xs))) for _ in range(n))
    return [means[int(0.025 * n)], means[int(0.975 * n) - 1]]

def paired(res, row, mode, base='vanilla', base_row=None):
    "Paired differences (mode − base, same seed) of FID and KID"
    a = {x['seed']: x for x in res if x['row'] == row and x['mode'] == mode}
    b = {x['seed']: x for x in res if x['row'] == (base_row or row) and x['mode'] == base}
    seeds = sorted(set(a) & set(b))
    if not seeds: return None
    df, dk = [a[s]['fid'] - b[s]['fid'] for s in seeds], [a[s]['kid'] - b[s]['kid'] for s in seeds]
    return dict(mode=mode, row=row, base=base, seeds=seeds, delta_fid=df, delta_fid_mean=statistics.mean(df), ci95=bootstrap_ci(df),
                wins=sum(d < 0 for d in df), delta_kid=dk, delta_kid_mean=statistics.mean(dk), ci95_kid=bootstrap_ci(dk),
                wins_kid=sum(d < 0 for d in dk))

def ms(xs): return (statistics.mean(xs), statistics.stdev(xs) if len(xs) > 1 else 0.)

if __name__ == '__main__':
    p = argparse.ArgumentParser()
    p.add_argument('--seeds', type=int, nargs='+', default=[0, 1, 2, 3, 4]); p.add_argument('--steps', type=int, default=1000)
    p.add_argument('--jobs', type=int, default=2); p.add_argument('--runs', nargs='+', default=['quarter', 'full', 'dgl0'])
    p.add_argument('--lams', type=float, nargs='*', default=[]); p.add_argument('--switch', type=float, nargs='*', default=[])
    p.add_argument('--d-f', type=float, nargs='*', default=[]); p.add_argument('--out', default='/tmp/dglkit-replication')
    p.add_argument('--json', default='benchmarks/results/replication.json')
    p.add_argument('--modes', nargs='*', default=None, help='keep only these modes of the rows (e.g. vanilla dgl kd)')
    p.add_argument('--extend-from', default=None, help='a --out folder of a shorter run of the benchmark: its finished runs are copied '
                   'into --out and trained on to --steps (resumed: stage 2 stays where it started, see the log)')
    p.add_argument('--skip-missing', action='store_true', help='train nothing: evaluate the finished runs in --out, skip the others '
                   '(one JSON from runs made by several invocations with the same --out and --steps)')
    a = p.parse_args()
    rows = {'quarter': [('vanilla', []), ('dgl', []), ('kd', []), ('dgl_kd', [])],
            'full': [(m, ['student.width=1.0', 'student.d_width=1.0', 'student.init=random']) for m in ('vanilla', 'dgl')],
            'random': [(m, ['student.init=random']) for m in ('vanilla', 'dgl', 'kd', 'dgl_kd')],
            'dgl0': [('dgl0', [])]}
    plan = [(r, m, ov) for r in a.runs for m, ov in rows[r] if a.modes is None or m in a.modes]
    plan += [(f'quarter-lam{l}', 'dgl', [f'dgl.lam={l}']) for l in a.lams]
    plan += [(f'quarter-switch{w}', 'dgl', [f'dgl.at_frac={w}']) for w in a.switch]
    plan += [(f'quarter-df{d}', m, [f'student.d_width={d}']) for d in a.d_f for m in ('vanilla', 'dgl')]
    jobs = [(r, m, seed, kw, a.steps, a.out, a.skip_missing, a.extend_from) for seed in a.seeds for r, m, kw in plan]  # seed-major: a stopped run leaves whole pairs
    t0 = time.time(); res = []
    from dglkit.demo import demo_config
    from dglkit.build import evaluate_floor, protocol_text
    c0 = demo_config('vanilla')
    floor = evaluate_floor(c0).numbers(); print(f"real-data floor: FID {floor['fid']:.2f} (protocol: {protocol_text(c0)})", flush=True)
    def write(res, final):
        "Tables and the JSON from the runs so far (rewritten after every run: a stopped benchmark keeps its finished pairs)"
        table = ['| run | mode | seeds | FID per seed | FID mean ± std | best FID | worst FID after switch |', '|---|---|---|---|---|---|---|']
        summary = []
        for r, m, _ in plan:
            g = sorted((x for x in res if x['row'] == r and x['mode'] == m), key=lambda x: x['seed'])
            if not g: continue
            f, k, w = ms([x['fid'] for x in g]), ms([x['kid'] for x in g]), ms([x['worst_fid_after_switch'] for x in g])
            summary.append(dict(row=r, mode=m, seeds=[x['seed'] for x in g], fid=[x['fid'] for x in g], fid_mean=f[0], fid_std=f[1],
                                kid_mean=k[0], kid_std=k[1], worst_fid_mean=w[0], worst_fid_std=w[1]))
            per = ' / '.join(f"{x['fid']:.1f}" for x in g)
            table.append(f"| {r} | {m} | {len(g)} | {per} | {f[0]:.1f} ± {f[1]:.1f} | {ms([x['best_fid'] for x in g])[0]:.1f} | {w[0]:.1f} |")
        has_base = {r for r, m, _ in plan if m == 'vanilla'}
        pairs = [p for p in (paired(res, r, m, base_row=r if r in has_base else 'quarter') for r, m, _ in plan if m != 'vanilla') if p]
        pairs += [p for p in [paired(res, 'quarter', 'dgl_kd', base='kd'), paired(res, 'random', 'dgl_kd', base='kd')] if p]
        table += ['', '| row | mode − base | seeds | ΔFID per seed | mean ΔFID [95% CI] | wins | mean ΔKID [95% CI] |', '|---|---|---|---|---|---|---|']
        for p in pairs:
            table.append(f"| {p['row']} | {p['mode']} − {p['base']} | {len(p['seeds'])} | {' / '.join(f'{d:+.1f}' for d in p['delta_fid'])} | "
                         f"{p['delta_fid_mean']:+.1f} [{p['ci95'][0]:+.1f}, {p['ci95'][1]:+.1f}] | {p['wins']}/{len(p['seeds'])} | "
                         f"{p['delta_kid_mean']:+.4f} [{p['ci95_kid'][0]:+.4f}, {p['ci95_kid'][1]:+.4f}] |")
        if final:
            print('\n' + '\n'.join(table))
            print(f'\n{len(jobs)} runs of {a.steps} steps in {time.time() - t0:.0f} s')
        Path(a.json).parent.mkdir(parents=True, exist_ok=True)
        Path(a.json).write_text(json.dumps(dict(benchmark='replication', command='python benchmarks/replication.py ' + ' '.join(
            f'--{k.replace("_", "-")} {" ".join(map(str, v)) if isinstance(v, list) else v}' for k, v in vars(a).items() if k not in ('out', 'json') and v),
            complete=final, steps=a.steps, seeds=a.seeds, seconds=round(time.time() - t0), protocol=protocol_text(c0), floor=floor,
            summary=summary, paired=pairs, table='\n'.join(table), runs=res), indent=1))
    with ProcessPoolExecutor(a.jobs) as ex:
        for r in ex.map(one, jobs):
            if r is None: continue
            res.append(r); print(f"{r['row']:>18s} {r['mode']:8s} seed {r['seed']}: FID {r['fid']:.2f} KID {r['kid']:.3f} "
                                 f"worst FID after the switch {r['worst_fid_after_switch']:.2f} ({r['train_seconds']:.0f} s)", flush=True)
            write(res, False)
    write(res, True)
