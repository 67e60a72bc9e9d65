"""`dglkit` (the real command line, `dglkit.cli.main`) with a probe that records, per process, what a test cannot see
from outside: the dataset indices each iteration reads and every file written through `atomic_save`.

    accelerate launch ... tests/scripts/cli_probe.py compress --config ... --run-dir ...

The probe writes JSON lines to $DGLKIT_PROBE_DIR/rank{RANK}.jsonl: one `env` line (RANK, GROUP_RANK, LOCAL_RANK,
WORLD_SIZE: the launcher's view), one `data` line per iteration (`it`, the sampler's rank/world and the indices),
one `save` line per file written. Nothing else changes: the training is the command's own."""
import json, os, sys
from pathlib import Path

out = Path(os.environ['DGLKIT_PROBE_DIR'])/f"rank{os.environ.get('RANK', '0')}.jsonl"
out.parent.mkdir(parents=True, exist_ok=True)
f = open(out, 'a', buffering=1)
def record(**kw): f.write(json.dumps(kw) + '\n')
record(kind='env', **{k: os.environ.get(k) for k in ('RANK', 'GROUP_RANK', 'LOCAL_RANK', 'WORLD_SIZE', 'MASTER_ADDR')})

import dglkit.data, dglkit.engine, dglkit.core
_index_tensor = dglkit.data.StreamSampler.index_tensor  # what both loaders read (batched and per item, via `indices`)
def index_tensor(self, it):
    idx = _index_tensor(self, it)
    record(kind='data', it=it, rank=self.rank, world=self.world, idx=idx.tolist())
    return idx
dglkit.data.StreamSampler.index_tensor = index_tensor

_save = dglkit.core.atomic_save
def atomic_save(obj, fn, *args, **kw):
    record(kind='save', fn=str(fn))
    return _save(obj, fn, *args, **kw)
dglkit.core.atomic_save = dglkit.engine.atomic_save = atomic_save  # the engine imported it by name

from dglkit.cli import main
sys.exit(main(sys.argv[1:]))
