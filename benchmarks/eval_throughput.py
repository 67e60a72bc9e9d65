"""Evaluation throughput: dglkit's in-memory path vs torch-fidelity fed from folders of saved PNGs.

Same generator, same samples (same noise stream), same extractor, same metrics (FID alone, then FID + KID), same
batch size, in one run. Rows:

- in memory, real statistics computed (cold cache) / loaded from the disk cache (a new process) / in memory (the
  training-callback case);
- torch-fidelity on a folder of PNGs: writing the PNGs, then `calculate_metrics(input1=<fake folder>,
  input2=<real folder>)`, with its real features cached under a name (warm) or not (cold).

Throughput is generated images per second of one whole evaluation. The FIDs of all rows must agree (printed).

    .venv/bin/python benchmarks/eval_throughput.py                 # 5000 samples, MNIST-LeNet, CPU (or CUDA)
    .venv/bin/python benchmarks/eval_throughput.py --n 2000 --threads 2

Writes benchmarks/results/eval_throughput.json."""
import argparse, json, os, platform, shutil, sys, tempfile, time
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

    device = torch.device(a.device or ('cuda' if torch.cuda.is_available() else 'cpu'))
    torch.manual_seed(0)
    G = DCGANGenerator(nz=128, ngf=64, res=32, nc=1).to(device)
    ref = mnist_digits(split='train')
    work = Path(tempfile.mkdtemp(prefix='dglkit-bench-'))
    cache_dir, tf_cache = work/'dglkit-cache', work/'fidelity-cache'
    sync = (lambda: torch.cuda.synchronize(device)) if device.type == 'cuda' else (lambda: None)
    rows, fids = [], {}

    def timed(fn):
        sync(); t = time.perf_counter(); r = fn(); sync(); return r, time.perf_counter() - t

    def row(tag, name, fid, secs, note=''):
        rows.append(dict(metrics=tag, path=name, seconds=secs, images_per_s=a.n / secs, fid=fid, note=note))
        print(f'  {name:<48} {secs:8.2f} s  {a.n / secs:9.0f} img/s  FID {fid:.4f}', file=sys.stderr)

    M.get_extractor(a.extractor, device=device)     # build the extractor once, outside the timings (both paths reuse it)
    real_png = M.write_png_folder(ref.images, work/'real')
    med = lambda xs: sorted(xs, key=lambda x: x[-1])[len(xs) // 2]
    summary = {}
    for metrics in (('fid',), ('fid', 'kid')):
        tag = '+'.join(metrics).upper()
        print(f'{tag}:', file=sys.stderr)
        ev = dict(n=a.n, extractor=a.extractor, metrics=metrics, batch_size=a.batch_size, device=device, reference_name='mnist-train')
        def mem(expect):
            if expect != 'memory': M._mem_cache.clear()
            r, s = timed(lambda: M.evaluate_generator(G, ref, cache_dir=cache_dir, **ev))
            assert r['meta']['real_cache'] == expect, (r['meta']['real_cache'], expect)
            return r['fid'], s
        shutil.rmtree(cache_dir, ignore_errors=True)
        row(tag, 'in memory, real stats computed (cold)', *mem('computed'))
        row(tag, 'in memory, real stats from the disk cache', *med([mem('disk') for _ in range(a.repeats)]))
        row(tag, 'in memory, real stats in memory (warm)', *med([mem('memory') for _ in range(a.repeats)]))

        kw = dict(feature_extractor=M.EXTRACTORS[a.extractor]['fidelity'], batch_size=a.batch_size, verbose=False,
                  cuda=device.type == 'cuda', kid_subset_size=min(1000, a.n, len(ref)), cache_root=str(tf_cache),
                  **{m: True for m in metrics})
        def png(cache):
            fake = work/'fake'
            if fake.exists(): shutil.rmtree(fake)
            _, t_gen = timed(lambda: M.write_png_folder(M.generate_uint8(G, a.n, a.batch_size), fake))
            m, t_tf = timed(lambda: torch_fidelity.calculate_metrics(input1=str(fake), input2=str(real_png), cache=cache,
                                                                     input2_cache_name='bench-real' if cache else None, **kw))
            return m['frechet_inception_distance'], t_gen, t_tf, t_gen + t_tf
        shutil.rmtree(tf_cache, ignore_errors=True)
        f, tg, tt, s = png(False)
        row(tag, 'PNG folders, real features computed (cold)', f, s, f'writing PNGs {tg:.2f} s + torch-fidelity {tt:.2f} s')
        png(True)   # fills torch-fidelity's name-keyed cache
        f, tg, tt, s = med([png(True) for _ in range(a.repeats)])
        row(tag, 'PNG folders, real features cached (warm)', f, s, f'writing PNGs {tg:.2f} s + torch-fidelity {tt:.2f} s')
        row(tag, 'torch-fidelity reading the PNGs only (warm)', f, tt, 'excludes generating and writing the PNGs')
        by = {r_['path']: r_ for r_ in rows if r_['metrics'] == tag}
        ips = lambda k: by[k]['images_per_s']
        summary[tag] = dict(
            ratio_in_memory_vs_png=ips('in memory, real stats in memory (warm)') / ips('PNG folders, real features cached (warm)'),
            ratio_in_memory_vs_png_read_only=ips('in memory, real stats in memory (warm)') / ips('torch-fidelity reading the PNGs only (warm)'),
            ratio_in_memory_vs_png_cold=ips('in memory, real stats computed (cold)') / ips('PNG folders, real features computed (cold)'),
            cached_real_stats_speedup=by['in memory, real stats computed (cold)']['seconds'] / by['in memory, real stats in memory (warm)']['seconds'],
            disk_cached_real_stats_speedup=by['in memory, real stats computed (cold)']['seconds'] / by['in memory, real stats from the disk cache']['seconds'],
            fid_spread=max(r_['fid'] for r_ in by.values()) - min(r_['fid'] for r_ in by.values()))

    print(f'\nEvaluation throughput of a DCGAN generator (ngf 64, 1×32×32, untrained): {a.n} generated vs {len(ref)} real '
          f'MNIST digits, extractor {a.extractor}, batch {a.batch_size}, {device_name(device)}; median of {a.repeats} for warm rows\n')
    print('| metrics | path | seconds | images/s | FID | note |\n|---|---|---|---|---|---|')
    for r_ in rows: print(f"| {r_['metrics']} | {r_['path']} | {r_['seconds']:.2f} | {r_['images_per_s']:.0f} | {r_['fid']:.4f} | {r_['note']} |")
    for tag, sm in summary.items():
        print(f"\n{tag}: in memory ÷ PNG folder, both warm: {sm['ratio_in_memory_vs_png']:.2f}× the throughput "
              f"({sm['ratio_in_memory_vs_png_read_only']:.2f}× vs torch-fidelity only reading already-written PNGs; "
              f"{sm['ratio_in_memory_vs_png_cold']:.2f}× both cold)")
        print(f"{tag}: cached real statistics make an evaluation {sm['cached_real_stats_speedup']:.2f}× faster (memory), "
              f"{sm['disk_cached_real_stats_speedup']:.2f}× (disk); largest FID difference between paths {sm['fid_spread']:.1e}")

    out = dict(benchmark='eval_throughput', n_fake=a.n, n_real=len(ref), reference='mnist-train', extractor=a.extractor,
               batch_size=a.batch_size, device=str(device), device_name=device_name(device),
               torch_threads=torch.get_num_threads(), cpu_count=os.cpu_count(), torch=torch.__version__,
               torch_fidelity=torch_fidelity.__version__, python=platform.python_version(), repeats=a.repeats,
               generator='DCGANGenerator(nz=128, ngf=64, res=32, nc=1), untrained', rows=rows, summary=summary)
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + '\n')
    print(f'\nwrote {a.out}')
    shutil.rmtree(work, ignore_errors=True)
    return out

if __name__ == '__main__': main()
