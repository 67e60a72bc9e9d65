"""Evaluation throughput: dglkit's in-memory path vs torch-fidelity fed from folders of saved PNGs.

Same generator, same samples (same noise stream), same extractor, same metrics (FID alone, then FID + KID), same
batch size, in one run. Rows:

- in memory, real statistics computed (cold cache) / loaded from the disk cache (a new process) / in memory (the
  training-callback case);
- torch-fidelity on a folder of PNGs: writing the PNGs, then `calculate_metrics(input1=<fake folder>,
  input2=<real folder>)`, with its real features cached under a name (warm) or not (cold).

Rows are measured in paired rounds (every path once per round) so that both paths see the same machine load;
the table shows medians over rounds and the ratios are medians of the per-round ratios. Wall time and CPU time
(all threads of this process plus its exited children, i.e. torch-fidelity's DataLoader workers) are both
reported: on a machine shared with other jobs the CPU-time ratio is the steadier one.
KID: dglkit computes torch-fidelity's KID (same subsets, same estimator) with torch kernels (`kid_from_features`),
torch-fidelity with NumPy kernels, so the FID+KID rows also include that difference; the FID rows do not.

Throughput is generated images per second of one whole evaluation. The FIDs of all rows must agree (printed).

    .venv/bin/python benchmarks/eval_throughput.py                 # 5000 samples, MNIST-LeNet, CPU (or CUDA)
    .venv/bin/python benchmarks/eval_throughput.py --n 2000 --threads 2

Writes benchmarks/results/eval_throughput.json."""
import argparse, json, os, platform, resource, shutil, sys, tempfile, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=5000, help='generated samples per evaluation')
    ap.add_argument('--batch-size', type=int, default=250)
    ap.add_argument('--extractor', default='mnist-lenet')
    ap.add_argument('--device', default=None, help='default: cuda if available, else cpu')
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--repeats', type=int, default=3, help='timed repeats of each warm row (the median is kept)')
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'eval_throughput.json'))
    a = ap.parse_args(argv)

    import torch, torch_fidelity, statistics
    if a.threads: torch.set_num_threads(a.threads)
    from dglkit.data import mnist_digits
    from dglkit.models import DCGANGenerator
    from dglkit.report import device_name
    import dglkit.metrics as M

    load0 = ' '.join(f'{x:.2f}' for x in os.getloadavg())
    device = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    torch.manual_seed(0)
    G = DCGANGenerator(nz=128, ngf=64, res=32, nc=1).to(device)
    ref = mnist_digits(split='train')
    work = Path(tempfile.mkdtemp(prefix='dglkit-bench-'))
    cache_dir, tf_cache = work/'dglkit-cache', work/'fidelity-cache'
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == 'cuda' else (lambda: None)
    rows, fids = [], {}

    def cpu_now():
        ch = resource.getrusage(resource.RUSAGE_CHILDREN)   # DataLoader workers, once they have exited
        return time.process_time() + ch.ru_utime + ch.ru_stime

    cpu_spent = [0.0]
    def timed(fn):
        "Run `fn`; return its result and wall seconds, adding its CPU seconds (all threads and reaped children) to cpu_spent"
        sync(); c, t = cpu_now(), time.perf_counter(); r = fn(); sync()
        cpu_spent[0] += cpu_now() - c
        return r, time.perf_counter() - t
    def cpu_of(fn):
        "`fn()` with its CPU seconds recorded in the returned dict"
        before = cpu_spent[0]; d = fn(); d['cpu'] = cpu_spent[0] - before; return d

    def row(tag, name, fid, secs, note='', cpu=None):
        rows.append(dict(metrics=tag, path=name, seconds=secs, images_per_s=a.n / secs, cpu_seconds=cpu,
                         images_per_cpu_s=a.n / cpu if cpu else None, fid=fid, note=note))

    M.get_extractor(a.extractor, device=device)     # build the extractor once, outside the timings (both paths reuse it)
    real_png = M.write_png_folder(ref.images, work/'real')
    summary = {}
    for metrics in (('fid',), ('fid', 'kid')):
        tag = '+'.join(metrics).upper()
        ev = dict(n=a.n, extractor=a.extractor, metrics=metrics, batch_size=a.batch_size, device=device, reference_name='mnist-train')
        kw = dict(feature_extractor=M.EXTRACTORS[a.extractor]['fidelity'], batch_size=a.batch_size, verbose=False,
                  cuda=device.type == 'cuda', kid_subset_size=min(1000, a.n, len(ref)), cache_root=str(tf_cache),
                  **{m: True for m in metrics})

        def mem(state):
            "One in-memory evaluation with the real statistics 'computed', read from 'disk' or in 'memory'"
            if state != 'memory': M._mem_cache.clear()
            if state == 'computed': shutil.rmtree(cache_dir, ignore_errors=True)
            r, t = timed(lambda: M.evaluate_generator(G, ref, cache_dir=cache_dir, **ev))
            assert r['meta']['real_cache'] == state, (r['meta']['real_cache'], state)
            return dict(fid=r['fid'], seconds=t)

        def png(cache):
            "Generate → write PNGs → torch-fidelity on the two folders (real features cached by name, or not)"
            fake = work/'fake'
            if fake.exists(): shutil.rmtree(fake)
            if not cache: shutil.rmtree(tf_cache, ignore_errors=True)
            _, t_gen = timed(lambda: M.write_png_folder(M.generate_uint8(G, a.n, a.batch_size), fake))
            m, t_tf = timed(lambda: torch_fidelity.calculate_metrics(input1=str(fake), input2=str(real_png), cache=cache,
                                                                     input2_cache_name='bench-real' if cache else None, **kw))
            return dict(fid=m['frechet_inception_distance'], seconds=t_gen + t_tf, write=t_gen, read=t_tf)

        names = {'mem_cold': 'in memory, real stats computed (cold)', 'mem_disk': 'in memory, real stats from the disk cache',
                 'mem_warm': 'in memory, real stats in memory (warm)', 'png_cold': 'PNG folders, real features computed (cold)',
                 'png_warm': 'PNG folders, real features cached (warm)'}
        mem('computed'); png(True)   # warm-up: fills both caches once
        rounds = []
        for i in range(a.repeats):   # paired rounds: both paths see the same machine load
            rd = dict(mem_cold=cpu_of(lambda: mem('computed')), mem_disk=cpu_of(lambda: mem('disk')),
                      mem_warm=cpu_of(lambda: mem('memory')), png_cold=cpu_of(lambda: png(False)), png_warm=cpu_of(lambda: png(True)))
            rounds.append(rd)
            print(f'{tag} round {i + 1}: ' + ', '.join(f'{k} {v["seconds"]:.2f} s ({v["cpu"]:.2f} CPU s)' for k, v in rd.items()), file=sys.stderr)
        med = lambda k, f='seconds': statistics.median(r_[k][f] for r_ in rounds)
        for k, name in names.items():
            note = f"writing PNGs {med(k, 'write'):.2f} s + torch-fidelity {med(k, 'read'):.2f} s" if k.startswith('png') else ''
            row(tag, name, rounds[-1][k]['fid'], med(k), note, med(k, 'cpu'))
        row(tag, 'torch-fidelity reading the PNGs only (warm)', rounds[-1]['png_warm']['fid'], med('png_warm', 'read'),
            'excludes generating and writing the PNGs')
        pr = lambda a_, b_, f='seconds', g='seconds': statistics.median(r_[b_][f] / r_[a_][g] for r_ in rounds)
        summary[tag] = dict(
            ratio_in_memory_vs_png=pr('mem_warm', 'png_warm'),          # throughput ratio = time ratio, per round, median
            ratio_in_memory_vs_png_read_only=pr('mem_warm', 'png_warm', 'read'),
            ratio_in_memory_vs_png_cold=pr('mem_cold', 'png_cold'),
            cpu_ratio_in_memory_vs_png=pr('mem_warm', 'png_warm', 'cpu', 'cpu'),
            cpu_ratio_in_memory_vs_png_cold=pr('mem_cold', 'png_cold', 'cpu', 'cpu'),
            cpu_cached_real_stats_speedup=pr('mem_warm', 'mem_cold', 'cpu', 'cpu'),
            cached_real_stats_speedup=pr('mem_warm', 'mem_cold'),
            disk_cached_real_stats_speedup=pr('mem_disk', 'mem_cold'),
            fid_spread=max(v['fid'] for r_ in rounds for v in r_.values()) - min(v['fid'] for r_ in rounds for v in r_.values()))

    print(f'\nEvaluation throughput of a DCGAN generator (ngf 64, 1×32×32, untrained): {a.n} generated vs {len(ref)} real '
          f'MNIST digits, extractor {a.extractor}, batch {a.batch_size}, {device_name(device)}; medians of {a.repeats} '
          f'paired rounds (ratios: median of per-round ratios); load average at start {load0}\n')
    print('| metrics | path | wall s | images/s | CPU s | images/CPU s | FID | note |\n|---|---|---|---|---|---|---|---|')
    f = lambda x, fmt: format(x, fmt) if x is not None else '–'
    for r_ in rows: print(f"| {r_['metrics']} | {r_['path']} | {r_['seconds']:.2f} | {r_['images_per_s']:.0f} | "
                          f"{f(r_['cpu_seconds'], '.2f')} | {f(r_['images_per_cpu_s'], '.0f')} | {r_['fid']:.4f} | {r_['note']} |")
    for tag, sm in summary.items():
        print(f"\n{tag}: in memory ÷ PNG folder, both warm: {sm['ratio_in_memory_vs_png']:.2f}× the throughput "
              f"({sm['cpu_ratio_in_memory_vs_png']:.2f}× per CPU second; {sm['ratio_in_memory_vs_png_read_only']:.2f}× vs "
              f"torch-fidelity only reading already-written PNGs; {sm['ratio_in_memory_vs_png_cold']:.2f}× both cold)")
        print(f"{tag}: cached real statistics make an evaluation {sm['cached_real_stats_speedup']:.2f}× faster (memory; "
              f"{sm['cpu_cached_real_stats_speedup']:.2f}× in CPU time), {sm['disk_cached_real_stats_speedup']:.2f}× (disk); "
              f"largest FID difference between paths {sm['fid_spread']:.1e}")

    out = dict(benchmark='eval_throughput', n_fake=a.n, n_real=len(ref), reference='mnist-train', extractor=a.extractor,
               batch_size=a.batch_size, device=str(device), device_name=device_name(device),
               torch_threads=torch.get_num_threads(), cpu_count=os.cpu_count(), torch=torch.__version__,
               torch_fidelity=torch_fidelity.__version__, python=platform.python_version(), repeats=a.repeats,
               load_average_at_start=load0, load_average_at_end=' '.join(f'{x:.2f}' for x in os.getloadavg()),
               generator='DCGANGenerator(nz=128, ngf=64, res=32, nc=1), untrained', rows=rows, summary=summary)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + '\n')
    print(f'\nwrote {a.out}')
    shutil.rmtree(work, ignore_errors=True)
    return out

if __name__ == '__main__': main()
