"The README's main job in --quick mode: the shipped teacher is compressed twice and every report artifact is written."
import json, math, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def test_demo_quick_writes_the_report(tmp_path):
    r = subprocess.run([sys.executable, '-m', 'dglkit.demo', '--quick', '--out', str(tmp_path)], capture_output=True, text=True,
                       timeout=300, cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'Report: ' in r.stdout and '| student (dgl) |' in r.stdout, r.stdout[-2000:]
    assert 'fewer parameters' in r.stdout  # the student's parameter and MAC ratios are printed
    for f in ['report.html', 'report.json', 'samples_teacher.png', 'samples_vanilla.png', 'samples_dgl.png', 'curves.png', 'logits.png']:
        assert (tmp_path/f).stat().st_size > 0, f
    j = json.loads((tmp_path/'report.json').read_text())
    for v in [j['teacher'], j['students']['vanilla'], j['students']['dgl']]:
        for k in ['fid', 'kid', 'params', 'macs', 'latency_ms']: assert math.isfinite(v[k]), k
    assert j['students']['dgl']['params'] < j['teacher']['params'] / 5
    assert j['teacher_file'].endswith('dglkit/assets/teacher_dcgan_mnist.pt')
