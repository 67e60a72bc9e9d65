"Multi-process training on CPU: 2 processes under `accelerate launch` really run DDP and stay in lockstep."
import os, subprocess, sys
from pathlib import Path
import torch

ROOT = Path(__file__).resolve().parent.parent
SCRIPT = ROOT/'tests'/'scripts'/'train_tiny.py'

def launch(run, *args, nproc=2, mp='no'):
    env = dict(os.environ, ACCELERATE_USE_CPU='1', OMP_NUM_THREADS='1')
    cmd = [sys.executable, '-m', 'accelerate.commands.launch', '--multi_gpu', '--num_processes', str(nproc),
           '--num_machines', '1', '--mixed_precision', mp, '--dynamo_backend', 'no', str(SCRIPT), str(run), *args]
    return subprocess.run(cmd, env=env, capture_output=True, text=True, timeout=300)

def test_two_cpu_processes_stay_identical(tmp_path):
    r = launch(tmp_path, '--steps', '5')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    assert 'distributed_type=DistributedType.MULTI_CPU' in r.stdout and 'rank 1/2' in r.stdout, r.stdout
    s0, s1 = (torch.load(tmp_path/f'rank{i}.pt', weights_only=True) for i in (0, 1))
    for k in ('G', 'D', 'G_ema'):
        for name, v in s0[k].items(): assert torch.equal(v, s1[k][name]), f'{k}.{name} differs across ranks'
    for name, v in s0['teacher'].items(): assert torch.equal(v, s1['teacher'][name])
    assert len(s0['seen']) == len(s1['seen']) == 5 * 8
    for it in range(5):  # within each iteration the two ranks trained on different items
        assert not set(s0['seen'][it*8:(it+1)*8]) & set(s1['seen'][it*8:(it+1)*8])
    assert [h['stage'] for h in s0['history']] == [1, 1, 2, 2, 2]
    # only the main process wrote the checkpoint, and no temporary files were left
    assert sorted(p.name for p in (tmp_path/'checkpoints').iterdir()) == ['latest.pt']

def test_bf16_under_two_processes(tmp_path):
    r = launch(tmp_path, '--steps', '2', mp='bf16')
    assert r.returncode == 0, r.stdout[-3000:] + r.stderr[-3000:]
    s0, s1 = (torch.load(tmp_path/f'rank{i}.pt', weights_only=True) for i in (0, 1))
    for name, v in s0['G'].items(): assert torch.equal(v, s1['G'][name])
