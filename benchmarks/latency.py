"""Teacher vs student latency on CPU: eager PyTorch, channels-last, torch.compile and ONNX Runtime, side by side.

Pairs (teacher, student):
- dcgan: the demo's DCGAN teacher (`dglkit/assets/teacher_dcgan_mnist.pt`) and its x0.25 student
  (`dglkit.models.student_config(G.config, 0.25)`), batch 1 and 64.
- stylegan2: StyleGAN2 256x256 in rosinality's FFHQ configuration (style_dim 512, 8 mapping layers, channel
  multiplier 2) and its f = 2 student (width 1/2), random weights (latency does not depend on them), batch 1 and 64,
  3 rounds after 1 warm-up pass: at batch 64 one teacher pass takes 40-60 s of CPU on one core and its activations are
  ~2 GB each (`--sg-batch-sizes 1 16` for a smaller machine). Its ONNX Runtime sessions run without a memory arena
  (`measure_latency(onnx_arena=False)`): at batch 64 the two sessions' arenas would not fit in 24 GB side by side.

Every number comes from `dglkit.report.measure_latency` (the function the compression report uses): teacher and
student are timed in interleaved rounds (T, S, S, T, T, S, ...) so that load from other processes hits both alike;
per batch size and backend we keep the median and interquartile range of each model's times and the **paired
speed-up**: the median (and IQR) over rounds of teacher time / student time in the same round. On a shared machine
a long pass is more likely to be preempted than a short one, which inflates the paired ratio; the ratio of the two
minimum times (`speedup_of_mins`, each model's least disturbed pass) is the conservative estimate, also kept. Each pass
is also timed by the process's CPU time (`cpu_*`: with one thread, its time without the waits for a busy core), paired
the same way (`cpu_speedup`): on a loaded machine this is the estimate of the quiet-machine ratio. The speed-up is
compared with the MAC ratio (teacher MACs / student MACs; the convention is written into the JSON: transposed convs
at output resolution; `mac_ratio_transposed_at_input` is the other convention). "best" is, per pair and batch size,
the backend with the fastest student (median CPU time). ONNX Runtime runs the export view (`dglkit.export.timing_view`): for
DCGAN the deploy form (batch norms folded, the first transposed convolution a matrix product; see
`benchmarks/latency_ablation.py` for what each step buys).

    OMP_NUM_THREADS=1 .venv/bin/python benchmarks/latency.py                       # both pairs: 25 min at load average 3-5
    .venv/bin/python benchmarks/latency.py --pairs dcgan --threads 1 2             # thread-count sweep
    .venv/bin/python benchmarks/latency.py --sg-backends eager onnx compile        # torch.compile for StyleGAN2 too (slow to compile)
    .venv/bin/python benchmarks/latency.py --sg-backends eager eager-unfused onnx  # PyTorch running the unfused export view too

Writes benchmarks/results/latency.json."""
import argparse, json, os, platform, statistics, sys, time, warnings
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def paired(ts_t:list, ts_s:list)->dict:
    "Median and quartiles of the per-round ratios teacher time / student time"
    r = [a / b for a, b in zip(ts_t, ts_s)]
    q1, med, q3 = statistics.quantiles(r, n=4, method='inclusive') if len(r) > 1 else r * 3
    return dict(speedup=med, speedup_q1=q1, speedup_q3=q3)

KEEP = ('median_ms', 'q1_ms', 'q3_ms', 'iqr_ms', 'min_ms', 'images_per_s', 'times_ms')

def pairs(names):
    import torch
    from dglkit.dgl import load_gan
    from dglkit.models import build_model, student_config
    from dglkit.stylegan2 import StyleGAN2Generator
    out = {}
    if 'dcgan' in names:
        G = load_gan(ROOT/'dglkit'/'assets'/'teacher_dcgan_mnist.pt')[0]
        out['dcgan'] = dict(teacher=G, student=build_model(student_config(G.config, 0.25)).eval(),
                            desc="demo DCGAN teacher (dglkit/assets/teacher_dcgan_mnist.pt) vs student_config(G.config, 0.25)")
    if 'stylegan2' in names:
        torch.manual_seed(0)
        out['stylegan2'] = dict(teacher=StyleGAN2Generator(256, 512, 8, 2).eval(), student=StyleGAN2Generator(256, 512, 8, 2, width=0.5).eval(),
                                desc='StyleGAN2 256x256, rosinality FFHQ config, vs f = 2 (width 1/2), random weights')
    return out

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--pairs', nargs='+', default=['dcgan', 'stylegan2'], choices=['dcgan', 'stylegan2'])
    ap.add_argument('--backends', nargs='+', default=['eager', 'channels_last', 'compile', 'onnx'],
                    help='DCGAN backends (dglkit.report.LATENCY_BACKENDS; compile: about a minute of compilation)')
    ap.add_argument('--sg-backends', nargs='+', default=['eager', 'onnx'],
                    help="StyleGAN2 backends; 'eager-unfused': PyTorch running the export view (modulated convs unfused, fixed noise), "
                         'as the ONNX graph does (its convs are functional: channels-last changes nothing)')
    ap.add_argument('--threads', type=int, nargs='+', default=[1], help='CPU thread counts to run (each a full set of measurements)')
    ap.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 64], help='DCGAN batch sizes')
    ap.add_argument('--sg-batch-sizes', type=int, nargs='+', default=[1, 64], help='StyleGAN2 batch sizes')
    ap.add_argument('--warmup', type=int, default=10, help='DCGAN untimed passes per model and batch size')
    ap.add_argument('--repeats', type=int, default=100, help='DCGAN timed rounds')
    ap.add_argument('--sg-warmup', type=int, default=1)
    ap.add_argument('--sg-repeats', type=int, default=3)
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'latency.json'))
    a = ap.parse_args(argv)

    warnings.filterwarnings('ignore')
    import torch, onnxruntime
    from dglkit.report import measure_latency, count_macs, generator_inputs, device_name, MAC_CONVENTION
    from dglkit.stylegan2 import STYLEGAN2_MAC_CONVENTION
    from dglkit.core import num_params
    t0 = time.perf_counter()
    res = dict(benchmark='latency', device='cpu', device_name=device_name('cpu'), cpu_count=os.cpu_count(),
               torch=torch.__version__, onnxruntime=onnxruntime.__version__, python=platform.python_version(),
               threads=a.threads, load_average_start=os.getloadavg(), pairs={})
    def save(complete):  # after every backend, so that a run killed later (out of memory) keeps what it measured
        res['complete'] = complete
        Path(a.out).parent.mkdir(parents=True, exist_ok=True)
        Path(a.out).write_text(json.dumps(res, indent=1) + '\n')
    for name, p in pairs(a.pairs).items():
        T, S = p['teacher'], p['student']
        mt, ms = count_macs(T, *generator_inputs(T)), count_macs(S, *generator_inputs(S))
        mti, msi = count_macs(T, *generator_inputs(T), transposed='input'), count_macs(S, *generator_inputs(S), transposed='input')
        sg = name == 'stylegan2'
        bss, warm, reps, backends = ((a.sg_batch_sizes, a.sg_warmup, a.sg_repeats, a.sg_backends) if sg else
                                     (a.batch_sizes, a.warmup, a.repeats, a.backends))
        conv = STYLEGAN2_MAC_CONVENTION if name == 'stylegan2' else MAC_CONVENTION
        entry = dict(description=p['desc'], mac_convention=conv, teacher_params=num_params(T), student_params=num_params(S), teacher_macs=mt,
                     student_macs=ms, mac_ratio=mt / ms, mac_ratio_transposed_at_input=mti / msi, batch_sizes=bss,
                     warmup=warm, repeats=reps, results=[])
        for th in a.threads:
            for be in backends:
                t1 = time.perf_counter()
                ms_ = {'teacher': T, 'student': S}
                if be == 'eager-unfused':
                    from dglkit.export import timing_view
                    ms_ = {k: timing_view(m) for k, m in ms_.items()}
                try: r = measure_latency(ms_, bss, 'cpu', warm, reps, backend=be.replace('-unfused', ''), threads=th, onnx_arena=not sg)
                except Exception as e:
                    print(f'{name} {be} threads={th}: failed: {str(e)[:300]}', file=sys.stderr)
                    entry['results'].append(dict(backend=be, threads=th, error=str(e)[:1000])); continue
                for dt, ds in zip(r['teacher'], r['student']):
                    row = dict(backend=be, threads=th, batch_size=dt['batch_size'], **paired(dt['times_ms'], ds['times_ms']),
                               speedup_of_medians=dt['median_ms'] / ds['median_ms'], speedup_of_mins=dt['min_ms'] / ds['min_ms'],
                               **{f'cpu_{k}': v for k, v in paired(dt['cpu_times_ms'], ds['cpu_times_ms']).items()},
                               cpu_speedup_of_mins=dt['cpu_min_ms'] / ds['cpu_min_ms'],
                               teacher={k: v for k, v in dt.items() if k.removeprefix('cpu_') in KEEP},
                               student={k: v for k, v in ds.items() if k.removeprefix('cpu_') in KEEP})
                    row['speedup_vs_mac_ratio'] = row['speedup'] / entry['mac_ratio']
                    row['cpu_speedup_vs_mac_ratio'] = row['cpu_speedup'] / entry['mac_ratio']
                    row['load_average'] = os.getloadavg()
                    entry['results'].append(row)
                    print(f"{name:<9} {be:<13} thr {th} bs {row['batch_size']:>3}: teacher {dt['median_ms']:9.3f} ms "
                          f"[{dt['q1_ms']:.3f}, {dt['q3_ms']:.3f}]  student {ds['median_ms']:9.3f} ms [{ds['q1_ms']:.3f}, {ds['q3_ms']:.3f}]  "
                          f"speed-up {row['speedup']:5.2f}x [{row['speedup_q1']:.2f}, {row['speedup_q3']:.2f}]  "
                          f"= {row['speedup_vs_mac_ratio']:.0%} of MAC ratio {entry['mac_ratio']:.2f}; CPU time: teacher {dt['cpu_median_ms']:.3f} "
                          f"student {ds['cpu_median_ms']:.3f} ms, {row['cpu_speedup']:.2f}x = {row['cpu_speedup_vs_mac_ratio']:.0%}; load {os.getloadavg()[0]:.1f}",
                          file=sys.stderr, flush=True)
                print(f'  ({name} {be} threads={th}: {time.perf_counter() - t1:.0f} s)', file=sys.stderr, flush=True)
                res['pairs'][name] = entry; save(False)
        ok = [r for r in entry['results'] if 'error' not in r]
        entry['best'] = {}
        for th in a.threads:
            for bs in bss:
                cand = [r for r in ok if r['batch_size'] == bs and r['threads'] == th]
                if cand:
                    b = min(cand, key=lambda r: r['student']['cpu_median_ms'])
                    entry['best'][f'threads={th},bs={bs}'] = dict(backend=b['backend'], speedup=b['speedup'], speedup_q1=b['speedup_q1'],
                                                                  speedup_q3=b['speedup_q3'], speedup_of_mins=b['speedup_of_mins'],
                                                                  mac_ratio=entry['mac_ratio'],
                                                                  speedup_vs_mac_ratio=b['speedup_vs_mac_ratio'], cpu_speedup=b['cpu_speedup'],
                                                                  cpu_speedup_q1=b['cpu_speedup_q1'], cpu_speedup_q3=b['cpu_speedup_q3'],
                                                                  cpu_speedup_vs_mac_ratio=b['cpu_speedup_vs_mac_ratio'],
                                                                  student_cpu_ms=b['student']['cpu_median_ms'], teacher_cpu_ms=b['teacher']['cpu_median_ms'],
                                                                  student_ms=b['student']['median_ms'], teacher_ms=b['teacher']['median_ms'])
        res['pairs'][name] = entry
    res['seconds'], res['load_average_end'] = time.perf_counter() - t0, os.getloadavg()

    print(f"\nLoad average (1, 5, 15 min) at the start {res['load_average_start']}, at the end {res['load_average_end']}")
    print(f"Teacher vs student on {res['device_name']}, paired speed-up = median over interleaved rounds of teacher/student time [IQR]")
    print("CPU columns: the same passes timed by the process's CPU time (one thread: without the waits for a busy core)")
    hdr = (f"{'pair':<10} {'backend':<13} {'thr':>3} {'bs':>4} {'teacher ms':>11} {'student ms':>11} {'speed-up':>9} {'IQR':>13} {'of mins':>8} "
           f"{'CPU T ms':>10} {'CPU S ms':>10} {'CPU sp-up':>9} {'IQR':>13} {'MAC ratio':>9} {'÷ MACs':>7} {'CPU ÷ MACs':>10} {'load':>5}")
    print(hdr); print('-' * len(hdr))
    for name, e in res['pairs'].items():
        for r in e['results']:
            if 'error' in r: print(f"{name:<10} {r['backend']:<13} {r['threads']:>3} failed"); continue
            print(f"{name:<10} {r['backend']:<13} {r['threads']:>3} {r['batch_size']:>4} {r['teacher']['median_ms']:>11.3f} {r['student']['median_ms']:>11.3f} "
                  f"{r['speedup']:>8.2f}x {'[%.2f, %.2f]' % (r['speedup_q1'], r['speedup_q3']):>13} {r['speedup_of_mins']:>7.2f}x "
                  f"{r['teacher']['cpu_median_ms']:>10.3f} {r['student']['cpu_median_ms']:>10.3f} {r['cpu_speedup']:>8.2f}x "
                  f"{'[%.2f, %.2f]' % (r['cpu_speedup_q1'], r['cpu_speedup_q3']):>13} {e['mac_ratio']:>9.2f} {r['speedup_vs_mac_ratio']:>7.0%} "
                  f"{r['cpu_speedup_vs_mac_ratio']:>10.0%} {r['load_average'][0]:>5.1f}")
        for k, b in e['best'].items(): print(f"  best for {name} at {k}: {b['backend']} ({b['speedup']:.2f}x wall, {b['speedup_vs_mac_ratio']:.0%} of the MAC ratio; "
                                             f"{b['cpu_speedup']:.2f}x CPU time, {b['cpu_speedup_vs_mac_ratio']:.0%})")
    for name, e in res['pairs'].items(): print(f"\n{name}: {e['mac_convention']}")
    save(True)
    print(f'wrote {a.out} ({res["seconds"]:.0f} s)')

if __name__ == '__main__': main()
