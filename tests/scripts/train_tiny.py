"""Train a tiny DGL run (teacher term, two stages, EMA, R1, checkpoints): used by the multi-process and signal tests.

    python tests/scripts/train_tiny.py RUN_DIR --steps 6 [--term-at K] [--mp bf16]

Resumes from RUN_DIR/checkpoints/latest.pt when it exists. At the end each rank writes RUN_DIR/rank{r}.pt with its
weights and the dataset indices it trained on."""
import argparse, os, signal, sys
from pathlib import Path
import torch
from fastai.callback.core import Callback
from dglkit.engine import DGLLearner
from dglkit._testing import TinyG, TinyD
from dglkit.losses import GANLoss
from dglkit.dgl import DGLTeacher, TwoStage
from dglkit.callbacks import EMA, Checkpoint

p = argparse.ArgumentParser()
p.add_argument('run'); p.add_argument('--steps', type=int, default=6); p.add_argument('--term-at', type=int, default=-1)
p.add_argument('--mp', default=None); p.add_argument('--sleep', type=float, default=0)
a = p.parse_args()

class Seen(Callback):
    "Record the dataset indices (stored as labels) each rank trains on; optionally SIGTERM ourselves"
    def before_fit(self): self.idx = []
    def before_batch(self):
        self.idx += self.yb[0].tolist()
        if self.step == a.term_at: os.kill(os.getpid(), signal.SIGTERM)
        if a.sleep: import time; time.sleep(a.sleep)

n = 96
g = torch.Generator().manual_seed(0)
data = torch.utils.data.TensorDataset(torch.rand(n, 1, 8, 8, generator=g) * 2 - 1, torch.arange(n))
torch.manual_seed(1000); T = TinyD()
torch.manual_seed(0); G, D = TinyG(), TinyD()
learn = DGLLearner(data, G, D, loss=GANLoss(r1_gamma=1., r1_every=2), bs=8, log_every=1, seed=0, path=a.run,
                   mixed_precision=a.mp, quiet=True,
                   cbs=[DGLTeacher(T, lam=0.1), TwoStage(at_step=2), EMA(ema_kimg=0.05), Checkpoint(every=2), seen := Seen()])
ck = Path(a.run)/'checkpoints'/'latest.pt'
if ck.exists(): learn.load_checkpoint(ck); print(f'resumed from step {learn.step}', flush=True)
acc = learn.accelerator
print(f'rank {acc.process_index}/{acc.num_processes} distributed_type={acc.distributed_type}', flush=True)
learn.fit_steps(a.steps)
if learn.interrupted: sys.exit(128 + learn.interrupted)
torch.save(dict(G=learn.G.state_dict(), D=learn.D.state_dict(), G_ema=learn.G_ema.state_dict(), seen=seen.idx,
                teacher=T.state_dict(), step=learn.step, history=learn.history),
           Path(a.run)/f'rank{acc.process_index}.pt')
