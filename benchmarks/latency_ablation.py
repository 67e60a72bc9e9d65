"""What each step of the DCGAN deploy path buys: the demo's teacher and its x0.25 student, on CPU, side by side.

Variants (each applied to teacher and student alike; `dglkit.export.DCGANGeneratorView` runs `deploy_layers`):
- `eager`: PyTorch, the model's own forward (what `measure_latency(backend='eager')` times).
- `eager deploy`: PyTorch running the deploy form (batch norms folded, first transposed conv as one matrix product).
- `onnx plain`: ONNX Runtime, the graph as exported before the deploy form (batch norms and a first ConvTranspose in
  the graph), optimisation level `all` (ONNX Runtime then fuses the batch norms itself).
- `onnx fold`: batch norms folded at export, first layer still a ConvTranspose.
- `onnx deploy/<level>`: the deploy form (what `dglkit export` writes) at ONNX Runtime's graph optimisation
  levels none, basic, extended, all (`all` is what `dglkit.export.OnnxModel` and `measure_latency` use).

All variants of both models run in the same interleaved rounds (the order reversed every other round), so load
from other processes hits them alike. Per variant and batch size: teacher and student medians with IQR, the paired
speed-up (median over rounds of teacher / student time, with IQR), the ratio of the minima, and the speed-up divided
by the MAC ratio (`dglkit.report.count_macs`, transposed convs at output resolution); each once by wall-clock time and
once by the process's CPU time (`cpu_*`; with one thread, the time without the waits for a busy core, the figure to
trust on a shared machine).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/latency_ablation.py      # ~1 min on one quiet thread

Writes benchmarks/results/latency_ablation.json."""
import argparse, json, os, statistics, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def spread(ts:list)->dict:
    q1, med, q3 = statistics.quantiles(ts, n=4, method='inclusive')
    return dict(median_ms=med * 1e3, q1_ms=q1 * 1e3, q3_ms=q3 * 1e3, min_ms=min(ts) * 1e3)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 64])
    ap.add_argument('--warmup', type=int, default=10)
    ap.add_argument('--repeats', type=int, default=60)
    ap.add_argument('--threads', type=int, default=1)
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'latency_ablation.json'))
    a = ap.parse_args(argv)
    warnings.filterwarnings('ignore')
    import torch, onnxruntime
    from dglkit.dgl import load_gan
    from dglkit.models import build_model, student_config
    from dglkit.export import DCGANGeneratorView, OnnxModel
    from dglkit.report import count_macs, generator_inputs, device_name, MAC_CONVENTION
    torch.set_num_threads(a.threads)
    T = load_gan(ROOT/'dglkit'/'assets'/'teacher_dcgan_mnist.pt')[0].eval()
    S = build_model(student_config(T.config, 0.25)).eval()
    models = dict(teacher=T, student=S)
    mac_ratio = count_macs(T, *generator_inputs(T)) / count_macs(S, *generator_inputs(S))
    t0, load0 = time.perf_counter(), os.getloadavg()
    runners = {}  # (variant, model) -> make(inputs) -> run()
    for k, M in models.items():
        deploy = DCGANGeneratorView(M)
        runners[('eager', k)] = lambda inp, M=M: (lambda: M(*inp))
        runners[('eager deploy', k)] = lambda inp, V=deploy: (lambda: V(*inp))
        for name, view, opt in [('onnx plain', DCGANGeneratorView(M, fold=False, latent_linear=False), 'all'),
                                ('onnx fold', DCGANGeneratorView(M, latent_linear=False), 'all')] + \
                               [(f'onnx deploy/{o}', deploy, o) for o in ('none', 'basic', 'extended', 'all')]:
            om = OnnxModel(view, threads=a.threads, optimization=opt, check=True)
            runners[(name, k)] = lambda inp, om=om: (lambda f=om.feeds(*inp): om.run(f))
    variants = list(dict.fromkeys(v for v, _ in runners))
    res = dict(benchmark='latency_ablation', device_name=device_name('cpu'), cpu_count=os.cpu_count(), threads=a.threads,
               torch=torch.__version__, onnxruntime=onnxruntime.__version__, mac_ratio=mac_ratio, mac_convention=MAC_CONVENTION,
               warmup=a.warmup, repeats=a.repeats, load_average_start=load0, rows=[])
    with torch.inference_mode():
        for bs in a.batch_sizes:
            inp = generator_inputs(T, bs, 'cpu')
            runs = {key: make(inp) for key, make in runners.items()}
            for run in runs.values():
                for _ in range(a.warmup): run()
            ts = {key: [] for key in runs}; cs = {key: [] for key in runs}; keys = list(runs)
            for r in range(a.repeats):
                for key in (keys if r % 2 == 0 else keys[::-1]):
                    c, t = time.process_time(), time.perf_counter(); runs[key]()
                    ts[key].append(time.perf_counter() - t); cs[key].append(time.process_time() - c)
            for v in variants:
                row = dict(variant=v, batch_size=bs, load_average=os.getloadavg())
                for pre, d in (('', ts), ('cpu_', cs)):
                    tt, st = d[(v, 'teacher')], d[(v, 'student')]
                    q1, med, q3 = statistics.quantiles([x / y for x, y in zip(tt, st)], n=4, method='inclusive')
                    row.update({f'{pre}teacher': spread(tt), f'{pre}student': spread(st), f'{pre}speedup': med, f'{pre}speedup_q1': q1,
                                f'{pre}speedup_q3': q3, f'{pre}speedup_of_mins': min(tt) / min(st), f'{pre}speedup_vs_mac_ratio': med / mac_ratio})
                res['rows'].append(row)
    res['seconds'], res['load_average_end'] = time.perf_counter() - t0, os.getloadavg()
    print(f"DCGAN teacher vs x0.25 student, {res['device_name']}, {a.repeats} interleaved rounds; load average {load0[0]:.2f} -> {res['load_average_end'][0]:.2f}")
    for pre, what in (('cpu_', "CPU time of the process (one thread: without the waits for a busy core)"), ('', 'wall-clock time')):
        print(f'\n{what}')
        hdr = f"{'variant':<20} {'bs':>3} {'teacher ms [IQR]':>26} {'student ms [IQR]':>26} {'speed-up [IQR]':>20} {'of mins':>8} {'÷ MACs':>7}"
        print(hdr); print('-' * len(hdr))
        for r in res['rows']:
            t, s = r[f'{pre}teacher'], r[f'{pre}student']
            print(f"{r['variant']:<20} {r['batch_size']:>3} {t['median_ms']:>9.3f} [{t['q1_ms']:7.3f},{t['q3_ms']:8.3f}] "
                  f"{s['median_ms']:>9.3f} [{s['q1_ms']:7.3f},{s['q3_ms']:8.3f}] {r[f'{pre}speedup']:>6.2f}x [{r[f'{pre}speedup_q1']:.2f}, {r[f'{pre}speedup_q3']:.2f}] "
                  f"{r[f'{pre}speedup_of_mins']:>7.2f}x {r[f'{pre}speedup_vs_mac_ratio']:>7.0%}")
    print(f'MAC ratio {mac_ratio:.2f}')
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    print(f"wrote {a.out} ({res['seconds']:.0f} s)")

if __name__ == '__main__': main()
