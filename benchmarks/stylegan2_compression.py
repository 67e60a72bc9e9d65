"""StyleGAN2 teacher vs DGL students at 256×256: parameters, MACs and measured CPU latency.

Teacher: rosinality's FFHQ-256 configuration (style_dim 512, 8 mapping layers, channel_multiplier 2).
Students: every synthesis conv width divided by f = 2 and f = 4 (mapping network and constant input kept).
Weights are random (latency does not depend on them). Latency: batch 1, `G.eval()`, `torch.inference_mode()`,
models timed in interleaved rounds (teacher, f=2, f=4, teacher, ...) so that load from other processes on a shared
machine hits all of them alike. Load from other processes only ever adds time, so the speed-up is computed from
each model's fastest round (`min_ms`, the least disturbed estimate of its own cost); medians are reported too. The
measured speed-up is compared with the MAC ratio.

MACs follow `dglkit.stylegan2.STYLEGAN2_MAC_CONVENTION` (transposed convs at output resolution); the column
"MACs@in" counts transposed convs at input resolution (torch's counter; the convention of the 45.1 GFLOPs quoted for
this teacher in compression papers), and "FIR" is the fixed blur filters' work, which no MAC column includes.

    .venv/bin/python benchmarks/stylegan2_compression.py                 # 1 thread, 2 warm-up + 9 timed rounds
    .venv/bin/python benchmarks/stylegan2_compression.py --repeats 15 --threads 2

Writes benchmarks/results/stylegan2_compression.json."""
import argparse, json, platform, statistics, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--size', type=int, default=256)
    ap.add_argument('--fs', type=int, nargs='+', default=[2, 4], help='student fractions f (width 1/f)')
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads (1: robust on a shared machine, where OpenMP threads wait on busy cores)')
    ap.add_argument('--warmup', type=int, default=2, help='untimed rounds')
    ap.add_argument('--repeats', type=int, default=9, help='timed rounds (min and median are kept)')
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'stylegan2_compression.json'))
    a = ap.parse_args(argv)

    import torch
    torch.set_num_threads(a.threads)
    from dglkit.core import num_params, seed_everything
    from dglkit.report import device_name
    from dglkit.stylegan2 import StyleGAN2Generator, stylegan2_macs, STYLEGAN2_MAC_CONVENTION

    seed_everything(0)
    models = {'teacher': StyleGAN2Generator(a.size, 512, 8, 2)}
    for f in a.fs: models[f'f={f}'] = StyleGAN2Generator(a.size, 512, 8, 2, width=1 / f)
    rows = {}
    for name, G in models.items():
        G.eval()
        macs, fir = stylegan2_macs(G, fir=True)
        rows[name] = dict(width=G.config['width'], params=num_params(G), synthesis_params=num_params(G) - num_params(G.style),
                          macs=macs, macs_transposed_at_input=stylegan2_macs(G, transposed='input'), fir_macs=fir, times_s=[])
    z = torch.randn(1, 512, generator=torch.Generator().manual_seed(0))
    t0 = time.perf_counter()
    with torch.inference_mode():
        for r in range(a.warmup + a.repeats):
            for name, G in models.items():
                t = time.perf_counter(); G(z); dt = time.perf_counter() - t
                if r >= a.warmup: rows[name]['times_s'].append(dt)
            print(f'  round {r + 1}/{a.warmup + a.repeats}: ' + ', '.join(f'{n} {rows[n]["times_s"][-1] * 1e3:.0f} ms' if r >= a.warmup else n
                                                                           for n in models), file=sys.stderr)
    total = time.perf_counter() - t0
    T = rows['teacher']
    for name, r in rows.items():
        r['median_ms'] = statistics.median(r['times_s']) * 1e3
        r['min_ms'] = min(r['times_s']) * 1e3
        r['param_ratio'] = T['params'] / r['params']
        r['mac_ratio'] = T['macs'] / r['macs']
        r['mac_ratio_at_input'] = T['macs_transposed_at_input'] / r['macs_transposed_at_input']
        r['speedup'] = T['min_ms'] / r['min_ms']
        r['speedup_median'] = T['median_ms'] / r['median_ms']
        r['speedup_vs_mac_ratio'] = r['speedup'] / r['mac_ratio_at_input']

    print(f"\nStyleGAN2 {a.size}x{a.size} generator, CPU latency at batch 1 ({a.threads} threads, {a.repeats} interleaved rounds)")
    hdr = f"{'model':<8} {'params':>8} {'synth':>8} {'GMACs':>7} {'GMACs@in':>9} {'FIR G':>6} {'min ms':>8} {'med ms':>8} {'speed-up':>8} {'(median)':>8} {'MAC ratio@in':>12} {'speed-up/MAC':>12}"
    print(hdr); print('-' * len(hdr))
    for name, r in rows.items():
        print(f"{name:<8} {r['params']/1e6:>7.2f}M {r['synthesis_params']/1e6:>7.2f}M {r['macs']/1e9:>7.2f} {r['macs_transposed_at_input']/1e9:>9.2f} "
              f"{r['fir_macs']/1e9:>6.2f} {r['min_ms']:>8.1f} {r['median_ms']:>8.1f} {r['speedup']:>7.2f}x {r['speedup_median']:>7.2f}x "
              f"{r['mac_ratio_at_input']:>11.2f}x {r['speedup_vs_mac_ratio']:>11.0%}")
    print(f'\n{STYLEGAN2_MAC_CONVENTION}')
    out = dict(benchmark='stylegan2_compression', size=a.size, batch_size=1, threads=a.threads, warmup=a.warmup,
               repeats=a.repeats, device='cpu', device_name=device_name('cpu'), torch=torch.__version__,
               python=platform.python_version(), mac_convention=STYLEGAN2_MAC_CONVENTION, seconds=total,
               models={n: {k: v for k, v in r.items()} for n, r in rows.items()})
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1) + '\n')
    print(f'wrote {a.out} ({total:.0f} s of timing)')
    return out

if __name__ == '__main__': main()
