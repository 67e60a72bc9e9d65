"""2-D mixture benchmark: does the teacher's discriminator carry the modes?

For the 8-Gaussian ring and the 25-Gaussian grid: train the teacher once (configs/mixture-<kind>-teacher.yaml through
`dglkit.build.train_run`, cached in runs/mixtures/<kind>-teacher), then the ×0.25 student of configs/mixture-<kind>.yaml
in every mode of `dglkit.build.MODES` (vanilla, two-stage DGL, DGL from step 0, KD, DGL + KD), two processes at a time.
One job per (mixture, mode): its seeds are the members of one learner (`train.members`, `dglkit.models.EnsembleLinear`;
seed k = member k, the same in every mode, so the comparison is paired), built by `build_models` and trained by
`build_learner` (no run folder: the run-folder overhead is measured once, side by side, with `--overhead`). dgl and
dgl_kd start from vanilla's and kd's state at the switch (same seed ⇒ same stage 1; `--no-fork` trains them from step 0,
with identical numbers). Metrics: `EvalDuringTraining` (modes, hq every eval.every steps) and
`dglkit.mixtures.evaluate_mixture` at the end (all four), the path every run with `eval.metrics: [modes, ...]` takes.

    OMP_NUM_THREADS=1 python benchmarks/mixtures.py                       # 10 seeds, both mixtures -> benchmarks/results/mixtures.json
    python benchmarks/mixtures.py --seeds 2 --steps 100 --mixtures ring --out /tmp/m.json --no-pictures   # a smoke run

Writes benchmarks/results/mixtures.json (per-seed values, `paired` comparisons with bootstrap CIs, curves, timings)
and, unless --no-pictures, nbs/images/mixtures-<kind>.png and nbs/images/mixtures-curves.png (the docs page
nbs/tutorials/mixtures.ipynb links them); --update-docs rewrites the table on that page. Every job's seeds are appended
to <out>.rows.jsonl as it finishes: `--from-rows <out>.rows.jsonl` summarises a stopped run (its finished jobs),
`--resume` runs only the jobs missing from it.

Budgets (the recipes' train.steps): ring 1,500 and grid 4,000 student steps, where the seeds' mean curves have
flattened in modes (nbs/images/mixtures-curves.png; the high-quality share still rises). Timings: nbs/tutorials/mixtures.ipynb.
"""
import os
os.environ.setdefault('OMP_NUM_THREADS', '1')
import argparse, json, platform, shutil, sys, tempfile, time
from concurrent.futures import ProcessPoolExecutor, as_completed
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
MIXTURES = ('ring', 'grid')
PICTURE_SEED = 0

def _torch1():
    import torch
    torch.set_num_threads(1)
    return torch

def train_teacher(kind:str, runs:Path)->dict:
    "Train (or find cached) the teacher of `kind`: its metrics and seconds"
    from dglkit.config import load_config
    from dglkit.build import train_run
    from dglkit.dgl import load_gan
    _torch1()
    cfg = load_config(ROOT/f'configs/mixture-{kind}-teacher.yaml')
    run = runs/f'{kind}-teacher'
    t0 = time.perf_counter()
    r = train_run(cfg, run)
    secs = time.perf_counter() - t0
    _, _, meta = load_gan(run/'gan.pt')
    return dict(run=str(run), gan=str(run/'gan.pt'), cached=r['learn'] is None, seconds=round(secs, 2),
                steps=cfg['train']['steps'], metrics=meta.get('metrics', {}))

def student_config(kind:str, mode:str, seeds:int, teacher:str, steps:int|None=None)->dict:
    "The recipe of `kind` in `mode` with `seeds` members (train.members): member k is seed k of the paired comparison"
    from dglkit.config import load_config
    from dglkit.build import mode_overrides
    ov = {**mode_overrides(mode), 'seed': 0, 'train.members': seeds, 'teacher.path': teacher, 'name': f'mixture-{kind}-{mode}'}
    if steps: ov['train.steps'] = steps
    return load_config(ROOT/f'configs/mixture-{kind}.yaml', ov)

def switch_step(cfg:dict)->int:
    d = cfg['dgl']
    if not d['two_stage']: return 0
    if d['at_step'] is not None: return d['at_step']
    return int(round((d['at_frac'] if d['at_frac'] is not None else 0.5) * cfg['train']['steps']))

CURVE_METRICS = ('modes', 'hq')  # during training (every eval.every steps); all of eval.metrics at the end

FORK = {'dgl': 'vanilla', 'dgl_kd': 'kd'}  # two-stage modes whose stage 1 is another mode's (same seed ⇒ same stage 1): they start from its state at the switch

def _save_at(step:int, fn:Path):
    "A callback writing the learner's whole state (`state_dict`, what a resume loads) to `fn` after iteration `step`"
    from fastai.callback.core import Callback
    from dglkit.core import atomic_save
    class SaveAt(Callback):
        order = 99  # after every other callback of the iteration (EMA, evaluation): the state a resume at `step` sees
        def after_batch(self):
            if self.learn.step == step: atomic_save(self.learn.state_dict(), fn)
    return SaveAt()

def run_students(kind:str, mode:str, seeds:int, teacher:str, steps:int|None=None, snapshots:bool=False,
                 save_at:str|None=None, start_from:str|None=None)->list:
    """The `seeds` students of `kind` in `mode`, trained at once as the members of one learner (`build_learner`, train.members): one row per seed.
    `save_at`: write the state at the switch there (for the modes of FORK); `start_from`: continue from such a state"""
    _torch1()  # one thread per worker
    from dglkit.build import build_models, build_data, build_learner
    from dglkit.eval_callback import EvalDuringTraining
    from dglkit.mixtures import MixtureSnapshots, evaluate_mixture
    cfg = student_config(kind, mode, seeds, teacher, steps)
    t0 = time.perf_counter()
    m, data = build_models(cfg), build_data(cfg['data'])
    ev = cfg['eval']
    evcb = EvalDuringTraining(data, every=ev['every'] or 10**12, n=ev['n'], metrics=CURVE_METRICS, best=None, seed=ev['seed'])
    cbs = [evcb] + ([MixtureSnapshots([switch_step(cfg)], n=ev['n'], seed=ev['seed'])] if snapshots else [])
    if save_at: cbs.append(_save_at(switch_step(cfg), Path(save_at)))
    with tempfile.TemporaryDirectory() as tmp:
        learn = build_learner(cfg, data, m['G'], m['D'], m['teacher_D'], m['teacher_G'], cbs=cbs, path=tmp)
        if start_from: learn.load_checkpoint(start_from)
        t1 = time.perf_counter(); s0 = learn.step
        learn.fit_steps(cfg['train']['steps'])
        t2 = time.perf_counter()
    final = evaluate_mixture(learn.G_ema if learn.G_ema is not None else learn.G, data, n=ev['n'], metrics=tuple(ev['metrics']), seed=ev['seed'])
    per = final['meta']['members'] if seeds > 1 else [dict(final.numbers(), counts=final['meta']['counts'])]
    curves = [[[r['step']] + [round((r['meta']['members'][k] if seeds > 1 else r)[c], 5) for c in CURVE_METRICS] for r in evcb.results]
              for k in range(seeds)]
    rows = [dict(mixture=kind, mode=mode, seed=k, steps=learn.step, **{x: p[x] for x in ev['metrics']}, counts=p['counts'],
                 members=seeds, seconds=round((t2 - t0) / seeds, 3), sec_per_step=round((t2 - t1) / max(learn.step - s0, 1) / seeds, 5),
                 started_from=FORK[mode] + f' at step {s0}' if start_from else None,
                 job_seconds=round(time.perf_counter() - t0, 3), curve=curves[k]) for k, p in enumerate(per)]
    if snapshots:
        pts = {int(st): (v[PICTURE_SEED] if v.ndim == 3 else v).tolist() for st, v in learn.mixture_snapshots.points.items()}
        rows[PICTURE_SEED]['snapshots'] = pts
    return rows

def run_folder_student(kind:str, mode:str, seeds:int, teacher:str, steps:int|None, runs:Path)->dict:
    "The same students through `train_run` (a run folder: log, metrics.jsonl, checkpoint, gan.pt, report); the members' mean metrics"
    _torch1()
    import shutil
    from dglkit.build import train_run
    cfg = student_config(kind, mode, seeds, teacher, steps)
    run = runs/f'overhead-{kind}-{mode}'
    shutil.rmtree(run, ignore_errors=True)
    t0 = time.perf_counter()
    r = train_run(cfg, run)
    secs = time.perf_counter() - t0
    last = r['learn'].eval_during_training.results[-1]
    return dict(seconds=round(secs, 3), **{k: last[k] for k in cfg['eval']['metrics']})

def pictures(kind:str, rows:list, teacher_gan:str, out_dir:Path, steps:int|None=None)->list:
    "Samples of the teacher and of every mode's student (seed PICTURE_SEED) over the teacher D's logit, at the switch and at the end"
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt, torch
    from dglkit.dgl import load_teacher
    from dglkit.build import build_data
    from dglkit.mixtures import plot_mixture, sample_points
    Gt, Dt, _ = load_teacher(teacher_gan)
    cfg = student_config(kind, 'dgl', 1, teacher_gan, steps)
    gm = build_data(cfg['data'])
    snaps = {r['mode']: r['snapshots'] for r in rows if r['mixture'] == kind and r['seed'] == PICTURE_SEED and 'snapshots' in r}
    modes = list(snaps)
    sw, end = switch_step(cfg), cfg['train']['steps']
    fig, axs = plt.subplots(2, len(modes) + 1, figsize=(2.6 * (len(modes) + 1), 5.0))
    plot_mixture(sample_points(Gt, cfg['eval']['n'], cfg['eval']['seed']), gm, Dt, ax=axs[0, 0], title='teacher (its own D)')
    plot_mixture(None, gm, Dt, ax=axs[1, 0], title='teacher D logit, real 3σ discs')
    for j, mode in enumerate(modes, 1):
        s = snaps[mode]
        k0 = min(s, key=lambda k: abs(int(k) - sw))
        plot_mixture(torch.tensor(s[k0]), gm, Dt, ax=axs[0, j], title=f'{mode} · step {k0} ' + ('(switch)' if int(k0) < end else '(no switch: end)'))
        plot_mixture(torch.tensor(s[max(s, key=int)]), gm, Dt, ax=axs[1, j], title=f'{mode} · step {max(s, key=int)} (end)')
    fig.suptitle(f'{kind}: student samples (yellow) over the teacher discriminator\'s logit (red: "real"), seed {PICTURE_SEED}', fontsize=9)
    fig.tight_layout()
    p = out_dir/f'mixtures-{kind}.png'
    fig.savefig(p, dpi=72); plt.close(fig)
    return [p]

def curves_picture(rows:list, metric_names:list, out_dir:Path)->Path:
    "Modes covered and high-quality share over training: the mean over seeds per mode (band: the seeds' 25th-75th percentiles)"
    import matplotlib
    matplotlib.use('Agg')
    import matplotlib.pyplot as plt, numpy as np
    kinds = list(dict.fromkeys(r['mixture'] for r in rows))
    fig, axs = plt.subplots(2, len(kinds), figsize=(4.6 * len(kinds), 5.8), squeeze=False)
    for j, kind in enumerate(kinds):
        for mode in dict.fromkeys(r['mode'] for r in rows):
            cs = [r['curve'] for r in rows if r['mixture'] == kind and r['mode'] == mode]
            if not cs: continue
            n = min(len(c) for c in cs); steps = [x[0] for x in cs[0][:n]]
            for i, k in enumerate(('modes', 'hq')):
                v = np.array([[x[1 + CURVE_METRICS.index(k)] for x in c[:n]] for c in cs])
                line, = axs[i, j].plot(steps, v.mean(0), label=mode, lw=1.2)
                axs[i, j].fill_between(steps, *np.percentile(v, [25, 75], axis=0), color=line.get_color(), alpha=0.12, lw=0)
        ns = len({r['seed'] for r in rows if r['mixture'] == kind})
        for i, k in enumerate(('modes covered', 'high-quality share')):
            axs[i, j].set_title(f'{kind}: {k}, mean of {ns} seeds (band: 25-75%)', fontsize=9); axs[i, j].set_xlabel('student step', fontsize=8)
            axs[i, j].set_ylabel(k, fontsize=8); axs[i, j].legend(fontsize=7); axs[i, j].tick_params(labelsize=7)
    fig.tight_layout()
    p = out_dir/'mixtures-curves.png'
    fig.savefig(p, dpi=72); plt.close(fig)
    return p

def means(rows:list, metric_names)->dict:
    import numpy as np
    out = {}
    for r in rows: out.setdefault((r['mixture'], r['mode']), []).append(r)
    return {k: {m: float(np.mean([x[m] for x in v])) for m in metric_names} | {f'{m}_sd': float(np.std([x[m] for x in v])) for m in metric_names}
            for k, v in out.items()}

def update_docs(table:str, page:Path):
    "Replace the table between the markers <!-- mixtures-table --> ... <!-- /mixtures-table --> in the docs notebook"
    nb = json.loads(page.read_text())
    a, b = '<!-- mixtures-table -->', '<!-- /mixtures-table -->'
    for c in nb['cells']:
        src = ''.join(c['source'])
        if c['cell_type'] == 'markdown' and a in src:
            new = src[:src.index(a) + len(a)] + '\n' + table + '\n' + src[src.index(b):]
            lines = new.split('\n')
            c['source'] = [l + '\n' for l in lines[:-1]] + [lines[-1]]
            page.write_text(json.dumps(nb, indent=1, ensure_ascii=False) + '\n')
            return True
    raise SystemExit(f'{page} has no {a} marker')

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__.split('\n')[0])
    ap.add_argument('--seeds', type=int, default=10)
    ap.add_argument('--mixtures', nargs='+', default=list(MIXTURES), choices=MIXTURES)
    ap.add_argument('--modes', nargs='+', default=None, help='default: all of dglkit.build.MODES')
    ap.add_argument('--steps', type=int, default=None, help='student steps (default: the recipe\'s train.steps)')
    ap.add_argument('--workers', type=int, default=2)
    ap.add_argument('--runs', default=str(ROOT/'runs'/'mixtures'), help='where the teachers (and the overhead run) live')
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'mixtures.json'))
    ap.add_argument('--images', default=str(ROOT/'nbs'/'images'))
    ap.add_argument('--no-pictures', action='store_true')
    ap.add_argument('--overhead', action='store_true', help='also time one student through train_run (a run folder) beside build_learner')
    ap.add_argument('--update-docs', action='store_true', help='rewrite the table of nbs/tutorials/mixtures.ipynb')
    ap.add_argument('--no-fork', action='store_true', help='train dgl and dgl_kd from step 0 instead of from vanilla\'s and kd\'s state at the switch')
    ap.add_argument('--resume', action='store_true', help='keep the students already in <out>.rows.jsonl (a stopped run) and run only the missing ones')
    ap.add_argument('--from-rows', default=None, help='no training: summarise the students already in this rows file (written as they finish: <out>.rows.jsonl)')
    a = ap.parse_args(argv)
    import numpy as np
    from dglkit.build import MODES
    from dglkit.mixtures import paired_summary, paired_table
    modes = a.modes or list(MODES)
    runs = Path(a.runs); runs.mkdir(parents=True, exist_ok=True)
    t_all = time.perf_counter()
    with ProcessPoolExecutor(a.workers) as ex:
        t0 = time.perf_counter()
        teachers = dict(zip(a.mixtures, ex.map(train_teacher, a.mixtures, [runs] * len(a.mixtures))))
        t_teach = time.perf_counter() - t0
        for k, t in teachers.items():
            how = 'cached' if t['cached'] else f"trained in {t['seconds']} s"
            print(f"teacher {k}: {how} · " +
                  ', '.join(f'{m} {v:.4g}' for m, v in t['metrics'].items()), flush=True)
        cost = dict(vanilla=1., kd=1.3, dgl=1.5, dgl_kd=1.8, dgl0=2.)  # relative step costs (the teacher's D and G): the longest jobs first
        import yaml
        steps_of = {k: a.steps or yaml.safe_load((ROOT/f'configs/mixture-{k}.yaml').read_text())['train']['steps'] for k in a.mixtures}
        jobs = sorted(((k, m) for k in a.mixtures for m in modes), key=lambda j: -steps_of[j[0]] * cost.get(j[1], 2.))
        t0 = time.perf_counter()
        rows_file = Path(a.from_rows or str(a.out) + '.rows.jsonl')
        if a.from_rows:  # a finished (or stopped) run's jobs: each one is written whole (all its seeds), so the comparison stays paired
            rows = [json.loads(l) for l in rows_file.read_text().splitlines() if l.strip()]
            a.mixtures = [k for k in a.mixtures if any(r['mixture'] == k for r in rows)]
            a.seeds = len({r['seed'] for r in rows})
            t_students = float(json.loads(rows_file.with_suffix('.time').read_text())['students']) if rows_file.with_suffix('.time').exists() else float('nan')
        else:
            rows, t_before = [], 0.
            if a.resume and rows_file.exists():  # keep the students already in the rows file, run the others
                rows = [json.loads(l) for l in rows_file.read_text().splitlines() if l.strip()]
                done = {(r['mixture'], r['mode']) for r in rows}
                jobs = [j for j in jobs if j not in done]
                tf = rows_file.with_suffix('.time')
                t_before = float(json.loads(tf.read_text())['students']) if tf.exists() else 0.
                print(f'resuming: {len(rows)} students in {rows_file}, {len(jobs)} to run', flush=True)
            else:
                rows_file.parent.mkdir(parents=True, exist_ok=True); rows_file.write_text('')
            snap_dir = Path(tempfile.mkdtemp(prefix='dglkit-mixtures-'))  # the states at the switch that FORK modes start from
            submit = lambda k, m, **kw: ex.submit(run_students, k, m, a.seeds, teachers[k]['gan'], a.steps, not a.no_pictures, **kw)
            forks = {(k, m) for k, m in jobs if m in FORK and (k, FORK[m]) in jobs and not a.no_fork}
            base_of = {(k, FORK[m]): (k, m) for k, m in forks}
            futs = {submit(k, m, save_at=str(snap_dir/f'{k}-{m}.pt') if (k, m) in base_of else None): (k, m) for k, m in jobs if (k, m) not in forks}
            pending = set(futs)
            while pending:
                f = next(as_completed(pending)); pending.remove(f)
                k, m = futs[f]
                got = f.result(); rows += got
                if (k, m) in base_of:  # its fork starts from its state at the switch
                    fk = submit(*base_of[(k, m)], start_from=str(snap_dir/f'{k}-{m}.pt')); futs[fk] = base_of[(k, m)]; pending.add(fk)
                if m in FORK and (k, m) in forks and 'snapshots' in got[PICTURE_SEED]:  # the points at the switch are its base's
                    b0 = next(r for r in rows if (r['mixture'], r['mode'], r['seed']) == (k, FORK[m], PICTURE_SEED))
                    got[PICTURE_SEED]['snapshots'] = {**{st: v for st, v in b0.get('snapshots', {}).items() if st <= min(got[PICTURE_SEED]['snapshots'])},
                                                      **got[PICTURE_SEED]['snapshots']}
                with rows_file.open('a') as fh: fh.write(''.join(json.dumps(r) + '\n' for r in got))
                rows_file.with_suffix('.time').write_text(json.dumps(dict(students=t_before + time.perf_counter() - t0, n=len(rows))))
                mean = lambda x: sum(r[x] for r in got) / len(got)
                print(f"{k:4s} {m:7s} {len(got)} seeds in {got[0]['job_seconds']:.1f} s: mean modes {mean('modes'):.1f} hq {mean('hq'):.3f} "
                      f"kl {mean('kl'):.3f} sw1 {mean('sw1'):.3f}", flush=True)
            t_students = t_before + time.perf_counter() - t0
            shutil.rmtree(snap_dir, ignore_errors=True)
        overhead = None
        if a.overhead:
            k, m = a.mixtures[0], 'dgl'
            f1 = ex.submit(run_folder_student, k, m, a.seeds, teachers[k]['gan'], a.steps, runs)
            f2 = ex.submit(run_students, k, m, a.seeds, teachers[k]['gan'], a.steps)
            rf, bl = f1.result(), f2.result()
            bl = dict(seconds=bl[0]['job_seconds'], **{n: float(np.mean([r[n] for r in bl])) for n in ('modes', 'hq', 'kl', 'sw1')})
            names = [x for x in ('modes', 'hq', 'kl', 'sw1')]
            overhead = dict(mixture=k, mode=m, seeds=a.seeds, train_run_seconds=rf['seconds'], build_learner_seconds=bl['seconds'],
                            ratio=round(rf['seconds'] / bl['seconds'], 3), same_metrics=all(abs(rf[n] - bl[n]) < 1e-9 for n in names))
            print(f"run folder (train_run) {rf['seconds']:.2f} s vs build_learner {bl['seconds']:.2f} s "
                  f"(x{overhead['ratio']:.2f}); same metrics: {overhead['same_metrics']}", flush=True)
    wall = time.perf_counter() - t_all
    stopped = None
    if a.from_rows:  # the time the stopped run took to here (teachers were cached in both)
        wall = t_teach + t_students
        tf = rows_file.with_suffix('.time')
        stopped = dict(rows_file=str(rows_file), students_finished=json.loads(tf.read_text())['n'] if tf.exists() else None,
                       complete_seeds=a.seeds, note='the run was stopped; seconds are the time to its last finished student')
    metric_names = ['modes', 'hq', 'kl', 'sw1']
    rows.sort(key=lambda r: (a.mixtures.index(r['mixture']), modes.index(r['mode']), r['seed']))  # (jobs finish in any order)
    paired = paired_summary(rows, metrics=metric_names)
    mm = means(rows, metric_names)
    table = paired_table(paired, mm)
    base = '\n'.join(f"| {k} | vanilla | {sum(r['mixture'] == k and r['mode'] == 'vanilla' for r in rows)} | "
                     f"{mm[(k, 'vanilla')]['modes']:.1f} | (baseline) | | {mm[(k, 'vanilla')]['hq']:.3f} | (baseline) | |"
                     for k in a.mixtures if (k, 'vanilla') in mm)
    lines = table.split('\n'); table = '\n'.join(lines[:2] + base.split('\n') + lines[2:])
    print(); print(table)
    sps = [r['sec_per_step'] for r in rows]
    res = dict(
        command='OMP_NUM_THREADS=1 python benchmarks/mixtures.py ' + ' '.join(argv if argv is not None else sys.argv[1:]),
        machine=dict(cpus=os.cpu_count(), workers=a.workers, platform=platform.platform(), python=platform.python_version(),
                     torch=__import__('torch').__version__, load_average=list(os.getloadavg())),
        protocol=dict(n_samples=2500, min_count=20, thresh_sigma=3.0, metrics=metric_names, recipes=[f'configs/mixture-{k}.yaml' for k in a.mixtures],
                      teacher_recipes=[f'configs/mixture-{k}-teacher.yaml' for k in a.mixtures], bootstrap=dict(n_boot=10_000, seed=0)),
        seeds=a.seeds, modes=modes, student_steps={k: rows[[r['mixture'] for r in rows].index(k)]['steps'] for k in a.mixtures},
        seconds=dict(total=round(wall, 1), teachers=round(t_teach, 1), students=round(t_students, 1), students_runs=len(rows),
                     sec_per_step_median=float(np.median(sps))),
        teachers=teachers, overhead=overhead, stopped=stopped,
        means={f'{k}/{m}': v for (k, m), v in mm.items()},
        paired=paired, table=table,
        per_seed=[{k: v for k, v in r.items() if k not in ('snapshots',)} for r in rows])
    out = Path(a.out); out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(json.dumps(res, indent=1) + '\n')
    print(f"\nwrote {out} · total {wall:.0f} s (teachers {t_teach:.0f} s, {len(rows)} students {t_students:.0f} s on {a.workers} processes)")
    if not a.no_pictures:
        img = Path(a.images); img.mkdir(parents=True, exist_ok=True)
        ps = [p for k in a.mixtures for p in pictures(k, rows, teachers[k]['gan'], img, a.steps)] + [curves_picture(rows, metric_names, img)]
        print('pictures:', ', '.join(str(p) for p in ps))
    if a.update_docs: update_docs(table, ROOT/'nbs'/'tutorials'/'mixtures.ipynb'); print('updated nbs/tutorials/mixtures.ipynb')
    return res

if __name__ == '__main__': main()
