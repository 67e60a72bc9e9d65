"The README's main job in --quick mode: the shipped teacher is compressed once per mode, each student an ordinary run folder."
import json, math, os, subprocess, sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent

def test_demo_quick_writes_run_folders_and_the_report(tmp_path):
    r = subprocess.run([sys.executable, '-m', 'dglkit.demo', '--quick', '--out', str(tmp_path)], capture_output=True, text=True,
                       timeout=600, cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert r.returncode == 0, r.stdout[-2000:] + r.stderr[-3000:]
    assert 'Report: ' in r.stdout and '| student (dgl) |' in r.stdout and '| student (dgl_kd) |' in r.stdout, r.stdout[-2000:]
    for f in ['report.html', 'report.json', 'samples_teacher.png', 'samples_vanilla.png', 'samples_dgl.png', 'curves.png', 'logits.png']:
        assert (tmp_path/f).stat().st_size > 0, f
    j = json.loads((tmp_path/'report.json').read_text())
    modes = ['vanilla', 'dgl', 'kd', 'dgl_kd']
    for v in [j['teacher'], *(j['students'][m] for m in modes)]:
        for k in ['fid', 'kid', 'params', 'macs', 'latency_ms']: assert math.isfinite(v[k]), k
    assert j['students']['dgl']['params'] < j['teacher']['params'] / 5
    assert j['teacher_file'].endswith('dglkit/assets/teacher_dcgan_mnist.pt')
    assert math.isfinite(j['floor']['fid']) and j['floor']['fid'] < j['teacher']['fid'] and 'floor' in j['protocol']
    for m in modes:  # each student is a run folder that the command line handles
        assert json.loads((tmp_path/m/'status.json').read_text())['state'] == 'finished'
    e = subprocess.run([sys.executable, '-m', 'dglkit.cli', 'evaluate', str(tmp_path/'dgl'), '--n', '200', '--latency', 'false'],
                       capture_output=True, text=True, timeout=300, cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert e.returncode == 0, e.stdout[-2000:] + e.stderr[-3000:]
    assert (tmp_path/'dgl'/'eval.json').exists() and 'FID' in e.stdout
    again = subprocess.run([sys.executable, '-m', 'dglkit.demo', '--quick', '--out', str(tmp_path), '--modes', 'dgl'],
                           capture_output=True, text=True, timeout=300, cwd=ROOT, env=dict(os.environ, OMP_NUM_THREADS='1'))
    assert again.returncode == 0 and 'already finished' in again.stdout, again.stdout[-2000:] + again.stderr[-2000:]
