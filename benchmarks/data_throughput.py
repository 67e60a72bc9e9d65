"""Does the data keep up? Images per second that DGLLearner's own DataLoader delivers at 256×256 from a zip, a folder
and an LMDB with 0/2/4 workers, next to the images per second a StyleGAN2-256 DGL iteration consumes on this machine.

    python benchmarks/data_throughput.py                    # 512 images, 0/2/4 workers, 4 training iterations at 1 and 2 threads
    python benchmarks/data_throughput.py --workers 0 2 4 8 --n 2048 --read 1024 --steps 2 --step-threads 2

On 2 busy cores a CPU iteration of the StyleGAN2-256 student takes about a minute (the first one two): the defaults run
for about 17 minutes there, most of it in the 8 training iterations; `--steps 2 --step-threads 2` cuts that to a quarter.

Data (written once, under --dir, default /tmp/dglkit-data-throughput): --n random-ish 256×256 RGB images (smooth colour
fields plus noise, so files have realistic sizes) as
  - a zip of PNGs (NVlabs dataset_tool's format; read by `dglkit.data.ImageFolderDataset`),
  - a folder of JPEGs (quality 95; `ImageFolderDataset`),
  - an LMDB of JPEGs at quality 100 (rosinality prepare_data.py's keys `256-00000`, `length`; `dglkit.data.LMDBDataset`).
Every source is opened with `in_memory=False` (decode per item: in the worker processes when there are workers) and read
through `learn.dls.train` of a `DGLLearner` (its StreamSampler and persistent workers), batch 4, one warm-up window, then
--read images timed. The in-memory row (`ImageFolderDataset(in_memory=True)`: every image decoded once at start, batches
are slices of a uint8 tensor) is the ceiling; its start-up decode rate is reported too.

Consumption: iterations of `dglkit.stylegan2_train.stylegan2_learner` with the f = 2 student of
configs/stylegan2-ffhq256-half.yaml (StyleGAN2Generator width 0.5, full-width student D, a full-width teacher D, DGL's
teacher term on), batch 4, fp32, on the CPU. Images per second = real images per iteration (4 × n_dis) / seconds per
iteration (the median of the iterations after the first, which also runs R1 and path-length regularisation: the lazy
regularisers make the average iteration slower, so this overstates consumption, which is the safe side), at 1 and 2
torch threads (the faster counts). The ratio data / consumption says how many times over the pipeline keeps up.

Threads: the main process reads with 1 torch thread, as DataLoader workers do. On a machine whose cores are busy
(here: 2 cores shared by several jobs), 2 OpenMP threads in the main process made reading without workers 10-40 times
slower (in-memory batches 2,000-3,000 img/s with 1 thread, 60-150 with 2): the threads spin waiting for each other.

Prints a table, writes benchmarks/results/data_throughput.json."""
import argparse, io, json, os, platform, statistics, sys, tempfile, time, zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def make_images(n, res, seed=0):
    "uint8 H×W×3 arrays: bilinear-upsampled 8×8 colour fields + Gaussian noise (σ 6) + a random bright disc"
    import numpy as np, torch, torch.nn.functional as F
    g = torch.Generator().manual_seed(seed)
    yy, xx = torch.meshgrid(torch.arange(res), torch.arange(res), indexing='ij')
    for _ in range(n):
        base = F.interpolate(torch.rand(1, 3, 8, 8, generator=g) * 255, size=(res, res), mode='bilinear', align_corners=False)[0]
        cy, cx, r = (torch.rand(3, generator=g) * torch.tensor([res, res, res / 4])).tolist()
        disc = (((yy - cy) ** 2 + (xx - cx) ** 2) < r ** 2).float() * 60
        img = base + disc + torch.randn(3, res, res, generator=g) * 6
        yield img.clamp(0, 255).round().to(torch.uint8).permute(1, 2, 0).numpy().copy()

def write_sources(d:Path, n:int, res:int)->dict:
    "The three on-disk sources (made once; a stamp file holds what was made)"
    from PIL import Image
    stamp = d/'stamp.json'
    want = dict(n=n, res=res, version=1)
    srcs = dict(zip=d/'pngs.zip', folder=d/'jpegs', lmdb=d/'lmdb')
    if stamp.exists() and json.loads(stamp.read_text()) == want: return srcs
    import shutil, lmdb
    shutil.rmtree(d, ignore_errors=True); srcs['folder'].mkdir(parents=True)
    env = lmdb.open(str(srcs['lmdb']), map_size=4 << 30, readahead=False)
    t = time.perf_counter()
    with zipfile.ZipFile(srcs['zip'], 'w', zipfile.ZIP_STORED) as zf, env.begin(write=True) as txn:
        for i, a in enumerate(make_images(n, res)):
            im = Image.fromarray(a)
            b = io.BytesIO(); im.save(b, format='png'); zf.writestr(f'{i // 1000:05d}/img{i:08d}.png', b.getvalue())
            im.save(srcs['folder']/f'{i:05d}.jpg', quality=95)
            b = io.BytesIO(); im.save(b, format='jpeg', quality=100); txn.put(f'{res}-{i:05d}'.encode(), b.getvalue())
        txn.put(b'length', str(n).encode())
    env.close()
    print(f'wrote {n} images x 3 sources in {time.perf_counter() - t:.1f} s under {d}', file=sys.stderr)
    stamp.write_text(json.dumps(want))
    return srcs

def size_mb(p:Path)->float:
    return (sum(f.stat().st_size for f in p.rglob('*') if f.is_file()) if p.is_dir() else p.stat().st_size) / 1e6

def read_rate(ds, G, D, workers:int, n_read:int, bs:int, path)->dict:
    "Images per second through the DataLoader of a DGLLearner on `ds` (one warm-up window, then `n_read` images)"
    from dglkit.engine import DGLLearner
    l = DGLLearner(ds, G, D, bs=bs, num_workers=workers, quiet=True, log_every=10**9, path=path)
    dl = l.dls.train
    t = time.perf_counter()
    l.sampler.window(0, 2)
    for _ in dl: pass  # starts the workers (persistent) and fills their queues once
    warm = time.perf_counter() - t
    n_it = max(1, n_read // bs)
    l.sampler.window(2, n_it)
    t, n = time.perf_counter(), 0
    for x, _ in dl: n += len(x)
    dt = time.perf_counter() - t
    it = getattr(dl, '_iterator', None)
    if it is not None: it._shutdown_workers()
    return dict(images=n, seconds=dt, images_per_s=n / dt, warmup_s=warm)

def step_rate(bs:int, steps:int, threads:int)->dict:
    "Real images per second consumed by DGL iterations of the f = 2 StyleGAN2-256 student on the CPU"
    import torch
    torch.set_num_threads(threads)
    from dglkit.data import TensorImageDataset
    from dglkit.stylegan2 import StyleGAN2Generator, StyleGAN2Discriminator
    from dglkit.stylegan2_train import stylegan2_learner
    from dglkit.core import num_params
    torch.manual_seed(0)
    G = StyleGAN2Generator(256, 512, 8, 2, width=0.5)
    D, Dt = StyleGAN2Discriminator(256, 2), StyleGAN2Discriminator(256, 2).requires_grad_(False)
    data = TensorImageDataset(torch.randint(0, 256, (64, 3, 256, 256), dtype=torch.uint8))
    with tempfile.TemporaryDirectory() as d:
        l = stylegan2_learner(data, G, D, teacher_D=Dt, bs=bs, precision='no', log_every=1, path=d, ema_kimg=10.)
        t = time.perf_counter(); l.fit_steps(steps); total = time.perf_counter() - t
    secs = [r['sec_per_step'] for r in l.history]
    med = statistics.median(secs[1:]) if len(secs) > 1 else secs[0]
    return dict(bs=bs, n_dis=l.n_dis, steps=steps, sec_per_step=secs, median_sec_per_step=med, images_per_s=bs * l.n_dis / med,
                stage=l.stage, lam=l.lam, G_params=num_params(G), D_params=num_params(D), seconds=total, threads=threads)

def main(argv=None):
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument('--n', type=int, default=512, help='images written per source')
    ap.add_argument('--read', type=int, default=256, help='images timed per (source, workers)')
    ap.add_argument('--workers', type=int, nargs='+', default=[0, 2, 4])
    ap.add_argument('--bs', type=int, default=4, help='batch per process (data and training step)')
    ap.add_argument('--steps', type=int, default=4, help='training iterations (the first is not timed)')
    ap.add_argument('--step-threads', type=int, nargs='+', default=[1, 2], help='torch threads of the training iterations (the fastest counts)')
    ap.add_argument('--dir', default='/tmp/dglkit-data-throughput')
    ap.add_argument('--out', default=str(ROOT/'benchmarks'/'results'/'data_throughput.json'))
    a = ap.parse_args(argv)
    t_start = time.perf_counter()

    import torch
    torch.set_num_threads(1)  # the main process reads with one thread, as DataLoader workers do (see the docstring)
    from dglkit.data import ImageFolderDataset, LMDBDataset
    from dglkit._testing import TinyG, TinyD
    from dglkit.report import device_name
    srcs = write_sources(Path(a.dir), a.n, 256)
    G, D = TinyG(nz=8, res=256, nc=3), TinyD(res=256, nc=3)  # the DataLoader does not depend on the models
    opened = {'zip (PNG)': lambda: ImageFolderDataset(srcs['zip'], 256, in_memory=False),
              'folder (JPEG 95)': lambda: ImageFolderDataset(srcs['folder'], 256, in_memory=False),
              'LMDB (JPEG 100)': lambda: LMDBDataset(srcs['lmdb'], 256)}
    sizes = {'zip (PNG)': size_mb(srcs['zip']), 'folder (JPEG 95)': size_mb(srcs['folder']), 'LMDB (JPEG 100)': size_mb(srcs['lmdb'])}
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        t = time.perf_counter(); mem = ImageFolderDataset(srcs['zip'], 256, in_memory=True); decode_s = time.perf_counter() - t
        r = read_rate(mem, G, D, 0, a.read, a.bs, tmp)
        rows.append(dict(source='zip (PNG), in memory', workers=0, mb=sizes['zip (PNG)'], **r, startup_decode_images_per_s=a.n / decode_s))
        print(f"  in memory: {r['images_per_s']:.0f} img/s (start-up decode {a.n / decode_s:.0f} img/s)", file=sys.stderr)
        del mem
        for name, make in opened.items():
            ds = make()
            for w in a.workers:
                r = read_rate(ds, G, D, w, a.read, a.bs, tmp)
                rows.append(dict(source=name, workers=w, mb=sizes[name], **r))
                print(f"  {name}, {w} workers: {r['images_per_s']:.0f} img/s", file=sys.stderr)
    print('  training iterations ...', file=sys.stderr)
    steps = [step_rate(a.bs, a.steps, t) for t in a.step_threads]
    st = max(steps, key=lambda r: r['images_per_s'])
    need = st['images_per_s']
    for r in rows: r['ratio'] = r['images_per_s'] / need

    cores = os.cpu_count()
    print(f"\nData pipeline at 256x256, batch {a.bs}, DGLLearner's DataLoader, {cores} CPU cores "
          f"(load average {os.getloadavg()[0]:.1f} at the end)")
    hdr = f"{'source':<22} {'MB':>6} {'workers':>7} {'img/s':>8} {'x need':>8}"
    print(hdr); print('-' * len(hdr))
    for r in rows: print(f"{r['source']:<22} {r['mb']:>6.1f} {r['workers']:>7} {r['images_per_s']:>8.0f} {r['ratio']:>7.0f}x")
    for r in steps:
        print(f"consumption: StyleGAN2-256 f=2 student + teacher D, batch {a.bs}, CPU fp32, {r['threads']} thread(s): "
              f"{r['median_sec_per_step']:.2f} s/iteration = {r['images_per_s']:.2f} real img/s "
              f"(iterations: {', '.join(f'{x:.2f}' for x in r['sec_per_step'])} s)")
    out = dict(benchmark='data_throughput', args=vars(a), seconds=time.perf_counter() - t_start, res=256, n_images=a.n, images_read=a.read, bs=a.bs, cpu_cores=cores,
               load_average_end=os.getloadavg()[0], device='cpu', device_name=device_name('cpu'), torch=torch.__version__,
               python=platform.python_version(), machine=platform.machine(), rows=rows, consumption=st, consumption_by_threads=steps,
               consumption_note='median seconds per DGL iteration after the first (no lazy R1 / path-length step): an upper bound on images consumed per second')
    Path(a.out).parent.mkdir(parents=True, exist_ok=True)
    Path(a.out).write_text(json.dumps(out, indent=1))
    print(f'wrote {a.out}')

if __name__ == '__main__': main()
