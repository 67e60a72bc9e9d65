"""Fast checks of the 2-D mixture metrics on hand-made point sets, and of their place on the evaluation path."""
import math
import pytest
import torch
from dglkit.data import GaussianMixture2D
from dglkit.mixtures import mixture_metrics, evaluate_mixture, kl_to_uniform, sliced_w1, paired_summary
from dglkit.config import load_config, ConfigError

@pytest.mark.parametrize('kind', ['ring', 'grid'])
def test_hand_made_point_sets(kind):
    gm = GaussianMixture2D(kind, n=100)
    K = gm.n_modes
    real = gm.sample(2500, torch.Generator().manual_seed(1))[0]
    r = mixture_metrics(real, gm)
    assert r['modes'] == K and abs(r['hq'] - (1 - math.exp(-4.5))) < 0.01 and r['kl'] < 0.02 and r['sw1'] < 0.15
    one = gm.centers[0] + gm.std * torch.randn(2500, 2, generator=torch.Generator().manual_seed(2))
    r = mixture_metrics(one, gm)
    assert r['modes'] == 1 and r['hq'] > 0.98 and r['kl'] == pytest.approx(math.log(K)) and r['sw1'] > 0.5
    off = ((gm.centers[0] + gm.centers[1]) / 2).expand(2500, 2)
    assert mixture_metrics(off, gm, ['modes', 'hq', 'kl']) == dict(modes=0, hq=0.0, kl=math.log(K), counts=[0] * K)

def test_threshold_kl_sw1_exact():
    gm = GaussianMixture2D('ring', n=100)
    pts = torch.cat([gm.centers[0].expand(2000, 2), gm.centers[1].expand(19, 2), gm.centers[2].expand(20, 2)])
    assert mixture_metrics(pts, gm, ['modes'])['modes'] == 2       # 19 points do not make a mode, 20 do
    assert mixture_metrics(pts, gm, ['modes'], min_count=1)['modes'] == 3
    assert kl_to_uniform([5, 5, 0, 0, 0, 0, 0, 0]) == pytest.approx(math.log(4))
    x = torch.randn(3000, 2, generator=torch.Generator().manual_seed(0))
    assert sliced_w1(x, x + torch.tensor([3., 4.]), n_proj=20000) == pytest.approx(10 / math.pi, abs=0.02)

def test_config_refuses_image_metrics_for_points():
    mix = dict(task='train', data=dict(source='gaussian_mixture', kind='ring'),
               model=dict(G=dict(arch='MLPGenerator'), D=dict(arch='MLPDiscriminator')))
    with pytest.raises(ConfigError, match=r"eval.metrics: \['fid', 'kid'\] are image metrics .* do not apply to the 2-D points"):
        load_config(mix)
    cfg = load_config(mix, ['eval.metrics=[modes, hq, kl, sw1]', 'eval.best=kl'])
    from dglkit.build import make_evaluator
    from dglkit.models import MLPGenerator
    r = make_evaluator(cfg)(MLPGenerator(), n=300)
    assert {'modes', 'hq', 'kl', 'sw1'} <= set(r.numbers()) and r['meta']['n_fake'] == 300 and r['meta']['min_count'] == 20
    with pytest.raises(TypeError, match='need a GaussianMixture2D reference'):
        evaluate_mixture(MLPGenerator(), torch.zeros(4, 2))

def test_paired_summary():
    rows = [dict(mixture='ring', mode=m, seed=s, modes=5 + s + (m == 'kd'), hq=0.5) for m in ('vanilla', 'kd') for s in range(10)]
    p, = paired_summary(rows, metrics=('modes', 'hq'))
    assert (p['mode'], p['seeds'], p['delta_modes_mean'], p['ci95'], p['wins'], p['wins_hq'], p['losses_hq']) == ('kd', 10, 1.0, [1.0, 1.0], 10, 0, 0)

def test_benchmark_members_and_fork_match_fresh_runs(tmp_path):
    "benchmarks/mixtures.py: dgl started from vanilla's state at the switch equals dgl trained from step 0, seed by seed (members of one learner)"
    import sys
    from pathlib import Path
    from dglkit.build import train_run
    sys.path.insert(0, str(Path(__file__).resolve().parents[1]/'benchmarks'))
    import mixtures as bench
    cfg = load_config(Path(__file__).resolve().parents[1]/'configs'/'mixture-ring-teacher.yaml', ['train.steps=30'])
    train_run(cfg, tmp_path/'teacher')
    t = str(tmp_path/'teacher'/'gan.pt')
    bench.run_students('ring', 'vanilla', 2, t, 40, save_at=str(tmp_path/'at-switch.pt'))
    fork = bench.run_students('ring', 'dgl', 2, t, 40, start_from=str(tmp_path/'at-switch.pt'))
    fresh = bench.run_students('ring', 'dgl', 2, t, 40)
    assert [r['seed'] for r in fork] == [0, 1] and fork[0]['started_from'] == 'vanilla at step 20' and fresh[0]['started_from'] is None
    for a, b in zip(fork, fresh):
        assert [a[k] for k in ('modes', 'hq', 'kl', 'sw1', 'counts', 'curve')] == [b[k] for k in ('modes', 'hq', 'kl', 'sw1', 'counts', 'curve')]
    assert fork[0]['sw1'] != fork[1]['sw1']                 # two members, two different students
