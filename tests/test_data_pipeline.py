"""`DGLLearner`'s data pipeline with DataLoader workers: one set of persistent workers serves every `log_every` window
(each window is a new `iter` over the `StreamSampler`), reads exactly the indices the sampler gives, and a run
resumed with workers ends bit-exactly where an uninterrupted run (with or without workers) ends."""
import torch
from fastai.callback.core import Callback
from dglkit.engine import DGLLearner
from dglkit._testing import TinyG, TinyD
from dglkit.losses import GANLoss

N, BS, EVERY = 96, 8, 3

def dataset():
    "Random 8×8 images whose label is their index, so a batch says which items it holds"
    g = torch.Generator().manual_seed(0)
    return torch.utils.data.TensorDataset(torch.rand(N, 1, 8, 8, generator=g) * 2 - 1, torch.arange(N))

class Seen(Callback):
    "Record, per iteration, the step, the items of the batch and the DataLoader iterator's worker processes"
    def __init__(self): self.rows = []
    def before_batch(self):
        it = self.dl._iterator
        self.rows.append((self.step, self.yb[0].tolist(), id(it), tuple(w.pid for w in getattr(it, '_workers', []))))

def learner(path, workers, cbs=()):
    torch.manual_seed(0)
    return DGLLearner(dataset(), TinyG(), TinyD(), loss=GANLoss(r1_gamma=1., r1_every=2), bs=BS, log_every=EVERY, seed=0,
                      path=path, quiet=True, num_workers=workers, cbs=list(cbs))

def weights(l): return {f'{m}.{k}': v.clone() for m in ('G', 'D') for k, v in getattr(l, m).state_dict().items()}

def assert_same(a, b):
    assert a.keys() == b.keys()
    for k in a: assert torch.equal(a[k], b[k]), k

def test_persistent_workers_serve_every_window(tmp_path):
    seen = Seen()
    l = learner(tmp_path, 2, [seen])
    l.fit_steps(8)  # windows: steps 0-2, 3-5, 6-7
    l.fit_steps(11)  # a second call continues with the same workers
    assert [r[0] for r in seen.rows] == list(range(11))
    for step, idx, _, _ in seen.rows: assert idx == l.sampler.indices(step), step  # exactly the sampler's stream
    assert len({r[2] for r in seen.rows}) == 1  # one DataLoader iterator for all windows (persistent_workers)
    pids = {r[3] for r in seen.rows}
    assert len(pids) == 1 and len(next(iter(pids))) == 2, pids  # the same two worker processes throughout
    l0 = learner(tmp_path/'w0', 0)
    l0.fit_steps(11)
    assert_same(weights(l0), weights(l))  # workers change nothing but who decodes

def test_resume_with_workers_is_exact(tmp_path):
    ref = learner(tmp_path/'ref', 0); ref.fit_steps(7)
    a = learner(tmp_path/'a', 2); a.fit_steps(4)  # stops inside the second window
    ck = a.save_checkpoint()
    seen = Seen()
    b = learner(tmp_path/'a', 2, [seen]).load_checkpoint(ck)
    b.fit_steps(7)
    assert [r[0] for r in seen.rows] == [4, 5, 6]
    for step, idx, _, _ in seen.rows: assert idx == b.sampler.indices(step), step
    assert_same(weights(ref), weights(b))

def test_lmdb_and_zip_with_workers_after_the_parent_read(tmp_path):
    "The learner reads `data[0]` in the main process before its workers fork: an LMDB (lmdb 3 refuses to open an environment twice in a process, and a forked worker inherits the parent's) and a zip still work in workers"
    lmdb = __import__('pytest').importorskip('lmdb')
    import io, zipfile
    from PIL import Image
    from dglkit.data import LMDBDataset, ImageFolderDataset
    g = torch.Generator().manual_seed(0)
    imgs = (torch.rand(12, 8, 8, 3, generator=g) * 255).to(torch.uint8).numpy()
    env = lmdb.open(str(tmp_path/'db'), map_size=1 << 24)
    with env.begin(write=True) as txn, zipfile.ZipFile(tmp_path/'x.zip', 'w') as zf:
        for i, a in enumerate(imgs):
            b = io.BytesIO(); Image.fromarray(a).save(b, format='png')
            txn.put(f'8-{i:05d}'.encode(), b.getvalue()); zf.writestr(f'{i:03d}.png', b.getvalue())
        txn.put(b'length', b'12')
    env.close()
    class Batches(Callback):
        def __init__(self): self.xs = []
        def before_batch(self): self.xs.append((self.step, self.xb[0].clone(), len(self.dl._iterator._workers)))
    for ds in (LMDBDataset(tmp_path/'db', 8, channels=1), ImageFolderDataset(tmp_path/'x.zip', 8, channels=1, in_memory=False)):
        b = Batches()
        torch.manual_seed(0)
        l = DGLLearner(ds, TinyG(), TinyD(), bs=4, log_every=2, quiet=True, num_workers=2, path=tmp_path, cbs=[b])
        l.fit_steps(3)
        assert [s for s, _, _ in b.xs] == [0, 1, 2] and all(w == 2 for _, _, w in b.xs)
        for step, x, _ in b.xs:  # what the workers decoded is what the main process decodes
            assert torch.equal(x, torch.stack([ds[i][0] for i in l.sampler.indices(step)])), (type(ds).__name__, step)
