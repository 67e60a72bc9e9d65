"""The kit's MNIST evaluation protocol: FID and KID of a generator, beside the real-data floor measured the same way.

Protocol (every MNIST table uses it):

- features: the shipped MNIST-LeNet extractor (`dglkit/assets/mnist_lenet.pt`, `extractor='mnist-lenet'`);
- reference: the 4,500 training digits, `dglkit.data.mnist_digits(size=32, split='train')`;
- a generator: n = 500 generated images (`G_ema` in eval mode), the same n as the held-out split, through
  `dglkit.metrics.evaluate_generator(G, reference, n=500, extractor='mnist-lenet', metrics=('fid', 'kid'), seed=s)`;
- the floor: the 500 held-out digits, `mnist_digits(size=32, split='test')`, against the same reference, through
  `dglkit.metrics.evaluate_samples(test, reference, extractor='mnist-lenet', metrics=('fid', 'kid'), seed=s)`;
- 5 seeds s = 2020..2024 (for a generator: the noise and the KID subsets; for the floor only the KID subsets vary,
  so its FID has std 0), reported as mean ± std (population std over the 5 seeds); KID subsets of 500 (capped at
  the smaller sample count), 100 subsets. KID is in raw units of the LeNet features (not ×1000:
  the features are not normalised, so the values are large; the floor's is about 0, slightly negative).

    .venv/bin/python benchmarks/mnist_protocol.py                              # the floor and the shipped teacher
    .venv/bin/python benchmarks/mnist_protocol.py runs/x/gan.pt runs/y/gan.pt  # the floor and these generators
    .venv/bin/python benchmarks/mnist_protocol.py --json out.json runs/x/gan.pt

In Python: `from mnist_protocol import protocol_eval, protocol_floor` (with `benchmarks/` on `sys.path`)."""
import argparse, json, statistics, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SEEDS = (2020, 2021, 2022, 2023, 2024)
N = 500
EXTRACTOR = 'mnist-lenet'
DESCRIPTION = ('FID and KID with the shipped MNIST-LeNet extractor; reference = the 4,500 training digits '
               "(mnist_digits(size=32, split='train')); n = 500 generated images (G_ema, eval mode) per seed, "
               'the same n as the 500 held-out digits of the floor; mean ± std (population) over the 5 sample '
               'seeds 2020..2024 (noise and KID subsets; KID subset size 500, 100 subsets); the floor = the 500 '
               "held-out digits (split='test') against the same reference, measured the same way.")

def _reference():
    from dglkit.data import mnist_digits
    return mnist_digits(size=32, split='train')

def _summary(rows:list)->dict:
    "mean ± std over seeds of each metric, plus the per-seed rows"
    out = {}
    for k in ('fid', 'kid'):
        v = [r[k] for r in rows]
        out[k] = statistics.fmean(v); out[k + '_std'] = statistics.pstdev(v)
    out['per_seed'] = rows
    return out

def protocol_eval(G, # a generator (e.g. `load_gan(path)[0]`, which is G_ema in eval mode)
                  seeds=SEEDS, # sample seeds
                  n:int=N, # generated images per seed
                 )->dict:
    "FID/KID of `G` under the MNIST protocol: `{fid, fid_std, kid, kid_std, per_seed: [{seed, fid, kid}]}`"
    from dglkit.metrics import evaluate_generator
    ref = _reference()
    rows = []
    for s in seeds:
        r = evaluate_generator(G, ref, n=n, extractor=EXTRACTOR, metrics=('fid', 'kid'), seed=s)
        rows.append(dict(seed=s, fid=r['fid'], kid=r['kid']))
    return _summary(rows)

def protocol_floor(seeds=SEEDS)->dict:
    "The real-data floor: the 500 held-out digits against the 4,500 training digits, same metrics and seeds"
    from dglkit.data import mnist_digits
    from dglkit.metrics import evaluate_samples
    ref, test = _reference(), mnist_digits(size=32, split='test')
    rows = []
    for s in seeds:
        r = evaluate_samples(test, ref, extractor=EXTRACTOR, metrics=('fid', 'kid'), seed=s)
        rows.append(dict(seed=s, fid=r['fid'], kid=r['kid']))
    return _summary(rows)

def fmt(r:dict)->str:
    return f"FID {r['fid']:7.2f} ± {r['fid_std']:5.2f}   KID {r['kid']:8.2f} ± {r['kid_std']:6.2f}"

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('gans', nargs='*', help='dglkit GAN files (save_gan / gan.pt); default: the shipped MNIST teacher')
    ap.add_argument('--json', default=None, help='also write the numbers to this JSON file')
    ap.add_argument('--threads', type=int, default=1, help='torch CPU threads')
    a = ap.parse_args(argv)
    import torch
    torch.set_num_threads(a.threads)
    from dglkit.dgl import load_gan
    gans = a.gans or [str(ROOT/'dglkit'/'assets'/'teacher_dcgan_mnist.pt')]
    floor = protocol_floor()
    out = dict(protocol=DESCRIPTION, floor=floor, generators={})
    print(f"{'floor (500 held-out digits)':40s} {fmt(floor)}")
    for p in gans:
        G = load_gan(p)[0]
        rp = Path(p).resolve()
        p = str(rp.relative_to(ROOT)) if rp.is_relative_to(ROOT) else p
        r = protocol_eval(G); out['generators'][p] = r
        print(f"{p[-40:]:40s} {fmt(r)}   ({r['fid'] / floor['fid']:.2f}× floor)")
    if a.json: Path(a.json).write_text(json.dumps(out, indent=1))
    return out

if __name__ == '__main__': main()
