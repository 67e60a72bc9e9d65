"""BigGAN compression at ImageNet 128×128: the teacher generator (G_ch 96) vs the DGL student (G_ch 48).

Both are BigGAN-PyTorch's ImageNet-128 architecture (dim_z 120, shared_dim 128, hierarchical z, attention at
64×64, 1000 classes). Prints and saves, for each: parameters, multiply-accumulates per image and measured CPU
latency (median forward time in eval mode, class-balanced labels) at batch sizes 1 and 4.

MACs follow `dglkit.report.MAC_CONVENTION` (one multiply-accumulate per weight use in Conv/Linear layers, per image;
biases, norms and activations not counted); the attention block's two batched matrix products (θᵀφ and g·βᵀ) are
not Conv/Linear layers, so they are computed separately and listed in their own column. FLOPs ≈ 2 × MACs.
Weights are PyTorch's default init (latency does not depend on their values; orthogonal init of 70M weights only
costs time).

    .venv/bin/python benchmarks/biggan_compression.py                  # about 1-2 minutes on 2 CPU cores
    .venv/bin/python benchmarks/biggan_compression.py --repeats 5 --threads 2

Writes benchmarks/results/biggan_compression.json."""
import argparse, json, platform, sys, time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def attention_macs(G, res:int)->int:
    "MACs of the attention blocks' batched matrix products for one image"
    from dglkit.biggan import Attention
    total, r = 0, G.bottom_width
    for block in G.blocks:
        r *= 2
        for layer in block:
            if isinstance(layer, Attention):
                hw, c = r * r, layer.ch
                total += hw * (hw // 4) * (c // 8) + (c // 2) * (hw // 4) * hw   # θᵀφ, then g·βᵀ
    return total

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--batch-sizes', type=int, nargs='+', default=[1, 4])
    ap.add_argument('--warmup', type=int, default=1)
    ap.add_argument('--repeats', type=int, default=3)
    ap.add_argument('--threads', type=int, default=None, help='torch CPU threads (default: torch default)')
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'biggan_compression.json'))
    a = ap.parse_args(argv)

    import torch
    if a.threads: torch.set_num_threads(a.threads)
    from dglkit.biggan import BigGANGenerator
    from dglkit.core import num_params
    from dglkit.report import count_macs, measure_latency, generator_inputs, device_name, MAC_CONVENTION

    arch = dict(dim_z=120, shared_dim=128, hier=True, resolution=128, G_attn='64', n_classes=1000, SN_eps=1e-6, skip_init=True)
    rows, t_start = [], time.perf_counter()
    for name, ch in (('teacher', 96), ('student', 48)):
        torch.manual_seed(0)
        G = BigGANGenerator(G_ch=ch, **arch).eval()
        macs = count_macs(G, *generator_inputs(G, 1))
        att = attention_macs(G, 128)
        lat = measure_latency(G, batch_sizes=a.batch_sizes, device='cpu', warmup=a.warmup, repeats=a.repeats)
        rows.append(dict(model=name, G_ch=ch, params=num_params(G), macs=macs, attention_macs=att, total_macs=macs + att,
                         latency={str(r['batch_size']): dict(median_ms=r['median_ms'], min_ms=r['min_ms'],
                                                            images_per_s=r['images_per_s']) for r in lat}))
        print(f'{name}: done in {time.perf_counter() - t_start:.0f} s', file=sys.stderr)
    t, s = rows
    bs = [str(b) for b in a.batch_sizes]
    head = f"| model | G_ch | params | conv/linear GMACs | attention GMACs | " + ' | '.join(f'ms @ bs {b}' for b in bs) + ' |'
    print(head); print('|' + '---|' * (5 + len(bs)))
    for r in rows:
        print(f"| {r['model']} | {r['G_ch']} | {r['params'] / 1e6:.2f}M | {r['macs'] / 1e9:.2f} | {r['attention_macs'] / 1e9:.2f} | "
              + ' | '.join(f"{r['latency'][b]['median_ms']:.0f}" for b in bs) + ' |')
    ratio = dict(params=s['params'] / t['params'], total_macs=s['total_macs'] / t['total_macs'],
                 **{f'latency_bs{b}': s['latency'][b]['median_ms'] / t['latency'][b]['median_ms'] for b in bs})
    print('student / teacher: ' + ', '.join(f'{k} {v:.3f}' for k, v in ratio.items()))
    print('speed-up (teacher / student latency): ' + ', '.join(f'bs {b} {1 / ratio[f"latency_bs{b}"]:.2f}x' for b in bs)
          + f'; MAC ratio {1 / ratio["total_macs"]:.2f}x')
    out = dict(benchmark='biggan_compression', resolution=128, rows=rows, student_over_teacher=ratio,
               mac_convention=MAC_CONVENTION + '; attention bmm MACs listed separately (attention_macs)',
               device=device_name('cpu'), threads=torch.get_num_threads(), warmup=a.warmup, repeats=a.repeats,
               torch=torch.__version__, python=platform.python_version(), seconds=round(time.perf_counter() - t_start, 1),
               note='CPU latency on a shared machine; median of the timed repeats')
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=2) + '\n')
    print(f'wrote {a.out}', file=sys.stderr)

if __name__ == '__main__': main()
