"""NVlabs network pickles: the restricted unpickler (no code from the file runs; tensors bit-exact; clear errors for
malformed, truncated and foreign pickles), the refusals of the conversion, and the loaders that dispatch `.pkl` files."""
import io, os, pickle, subprocess, sys, zipfile
from pathlib import Path
import numpy as np
import pytest
import torch

sys.path.insert(0, str(Path(__file__).parent))
from test_nvlabs_reference import (nv_generator, nv_discriminator, snapshot, write_nvlabs_pickle, network_source, nvlabs_names,
                                   small_table, EasyDict)
from dglkit.core import CheckpointError
from dglkit.nvlabs import load_nvlabs_pickle, load_nvlabs, PersistentObject, NVLABS_GLOBALS

@pytest.fixture
def nets(small_table):
    return nv_generator(16, z_dim=16, channel_base=512, channel_max=32), nv_discriminator(16, 512, 32)

@pytest.mark.parametrize('protocol', [2, 3, 4, 5])
def test_embedded_code_not_run_and_tensors_bit_exact(tmp_path, nets, protocol):
    nvG, nvD = nets
    marker = tmp_path/'marker'
    nvG.mapping.table = np.arange(6, dtype='>f4').reshape(2, 3)  # numpy arrays and scalars (big-endian, float16) as attributes
    nvG.mapping.half = np.float16(1.5)
    G = nv_generator(16, z_dim=16, channel_base=512, channel_max=32, seed=5)  # the raw G differs from G_ema
    fn = write_nvlabs_pickle(tmp_path/'network-snapshot-000100.pkl', snapshot(nvG, nvD, G=G, src=network_source(marker), res=16), protocol)
    data = load_nvlabs_pickle(fn)
    assert not marker.exists()
    assert sorted(data) == ['D', 'G', 'G_ema', 'augment_pipe', 'training_set_kwargs'] and data['augment_pipe'] is None
    for k, ref in (('G_ema', nvG), ('G', G), ('D', nvD)):
        obj = data[k]
        assert isinstance(obj, PersistentObject) and obj.version == 6 and obj.module_src == network_source(marker)
        sd, want = obj.state_dict(), ref.state_dict()
        assert list(sd) == list(want)
        for n, t in want.items(): assert torch.equal(sd[n], t) and sd[n].dtype == t.dtype and sd[n].stride() == t.stride(), n
    assert data['G_ema'].class_name == 'Generator' and data['G_ema'].child('synthesis.b16.conv0').class_name == 'SynthesisLayer'
    kw = data['G_ema'].init_kwargs
    assert kw['synthesis_kwargs'] == dict(channel_base=512, channel_max=32, num_fp16_res=0, conv_clamp=None) and type(kw['mapping_kwargs']) is dict
    assert type(data['G_ema'].child('mapping.fc0').attr('weight_gain')).__name__ == 'float64'  # numpy scalars, as NVlabs stores gains
    assert data['training_set_kwargs']['resolution'] == 16
    t = data['G_ema'].child('mapping').attr('table')
    assert t.dtype == np.dtype('>f4') and (t == np.arange(6).reshape(2, 3)).all() and data['G_ema'].child('mapping').attr('half') == 1.5
    assert not marker.exists()

def test_control_plain_pickle_would_run_the_embedded_code(tmp_path, nets):
    "The same file through plain pickle with NVlabs' names importable runs the embedded source: the payload is live"
    marker = tmp_path/'marker'
    fn = write_nvlabs_pickle(tmp_path/'net.pkl', snapshot(*nets, src=network_source(marker)))
    with nvlabs_names(): pickle.loads(fn.read_bytes())
    assert marker.read_text() == 'the embedded source ran'

class Evil:
    def __init__(self, marker): self.marker = marker
    def __reduce__(self): return (os.system, (f'touch {self.marker}',))

@pytest.mark.parametrize('payload', ['reduce', 'protocol0', 'nested', 'eval', 'getattr'])
def test_foreign_globals_refused(tmp_path, nets, payload):
    marker = tmp_path/'pwned'
    fn = tmp_path/'evil.pkl'
    if payload == 'reduce': fn.write_bytes(pickle.dumps({'G': Evil(marker)}))
    elif payload == 'protocol0': fn.write_bytes(b"\x80\x02cos\nsystem\n(S'touch " + str(marker).encode() + b"'\ntR.")
    elif payload == 'nested':  # a genuine snapshot with one foreign object deep inside a network's state
        nvG, nvD = nets
        nvG.synthesis.b4.extra = Evil(marker)
        write_nvlabs_pickle(fn, snapshot(nvG, nvD))
    elif payload == 'eval': fn.write_bytes(b'\x80\x04cbuiltins\neval\n(V__import__("os").system("touch ' + str(marker).encode() + b'")\ntR.')
    else: fn.write_bytes(b'\x80\x04cbuiltins\ngetattr\n(cos\nsystem\nVx\ntR.')
    with pytest.raises(CheckpointError, match='refused') as e: load_nvlabs_pickle(fn)
    assert not marker.exists()
    name = {'reduce': 'system', 'protocol0': 'os.system', 'nested': 'system', 'eval': 'builtins.eval', 'getattr': 'builtins.getattr'}[payload]
    assert name in str(e.value) and 'allow-list' in str(e.value) and str(fn) in str(e.value)

def test_abuse_of_allowed_names_refused(tmp_path):
    "Allowed globals used in other ways: calling a class that may only be instantiated, BUILD on a dict, persistent ids"
    cases = {b'\x80\x04ccollections\nOrderedDict\n)R}(Vx\nK\x01ub.': 'sets the state of a OrderedDict',
             b'\x80\x04Vid\nQ.': 'persistent id',
             b'\x80\x04ctorch_utils.persistence\n_reconstruct_persistent_obj\n}(Vtype\nVclass\nu\x85R.': 'malformed NVlabs persistent object',
             b'\x80\x04cnumpy\ndtype\nVO\n\x85R.': "numpy dtype 'O'",
             b'\x80\x04ctorch._utils\n_rebuild_tensor_v2\n(K\x00K\x00))\x89}tR.': 'storage is a int'}
    for i, (raw, msg) in enumerate(cases.items()):
        fn = tmp_path/f'{i}.pkl'; fn.write_bytes(raw)
        with pytest.raises(CheckpointError, match=msg.replace('(', r'\(')): load_nvlabs_pickle(fn)

def test_malformed_truncated_and_other_files(tmp_path, nets):
    fn = write_nvlabs_pickle(tmp_path/'net.pkl', snapshot(*nets))
    raw = fn.read_bytes()
    for cut in (len(raw) // 2, len(raw) - 1, 100):
        (tmp_path/'cut.pkl').write_bytes(raw[:cut])
        with pytest.raises(CheckpointError, match='truncated or corrupt'): load_nvlabs_pickle(tmp_path/'cut.pkl')
    (tmp_path/'empty.pkl').write_bytes(b'')
    with pytest.raises(CheckpointError, match='is not a pickle'): load_nvlabs_pickle(tmp_path/'empty.pkl')
    (tmp_path/'text.pkl').write_text('hello')
    with pytest.raises(CheckpointError, match='is not a pickle'): load_nvlabs_pickle(tmp_path/'text.pkl')
    torch.save({'G': torch.zeros(1)}, tmp_path/'dglkit.pkl')
    with pytest.raises(CheckpointError, match='zip archive.*load_gan'): load_nvlabs_pickle(tmp_path/'dglkit.pkl')
    (tmp_path/'dict.pkl').write_bytes(pickle.dumps({'a': 1, 'G': 2}))
    with pytest.raises(CheckpointError, match=r"not an NVlabs network pickle.*\['G', 'a'\]"): load_nvlabs_pickle(tmp_path/'dict.pkl')
    (tmp_path/'tf.pkl').write_bytes(b'\x80\x03cdnnlib.tflib.network\nNetwork\n)\x81.')
    with pytest.raises(CheckpointError, match='TensorFlow'): load_nvlabs_pickle(tmp_path/'tf.pkl')
    with pytest.raises(FileNotFoundError): load_nvlabs_pickle(tmp_path/'nope.pkl')

def test_malformed_network_states(tmp_path, nets):
    "Well-formed pickles whose network records are not what they claim: cycles, non-tensor parameters, junk gains"
    nvG, nvD = nets
    fn = write_nvlabs_pickle(tmp_path/'net.pkl', snapshot(nvG, nvD))
    data = load_nvlabs_pickle(fn)
    g = data['G_ema']; g.state['_modules']['loop'] = g
    with pytest.raises(CheckpointError, match='contains itself'): g.state_dict()
    g = load_nvlabs_pickle(fn)['G_ema']; g.child('mapping.fc0').state['_parameters']['weight'] = 'weights'
    with pytest.raises(CheckpointError, match='mapping.fc0.weight is a str, not a tensor'): g.state_dict()
    nvG.mapping.fc1.weight_gain = 'big'
    fn2 = write_nvlabs_pickle(tmp_path/'junk.pkl', snapshot(nvG, nvD))
    with pytest.raises(CheckpointError, match="not a StyleGAN2 network this converter can read \\(ValueError"): load_nvlabs(fn2)

def test_allow_list_is_exactly_this():
    "Any name added to the allow-list must be added here too, after thinking about what calling it can do"
    assert set(NVLABS_GLOBALS) == {
        'torch_utils.persistence._reconstruct_persistent_obj', 'torch._utils._rebuild_tensor_v2', 'torch._utils._rebuild_parameter',
        'torch.storage._load_from_bytes', 'collections.OrderedDict', 'dnnlib.util.EasyDict', 'dnnlib.EasyDict', 'builtins.set',
        'builtins.frozenset', '_codecs.encode', 'numpy.dtype', 'numpy.ndarray', 'numpy.core.multiarray.scalar',
        'numpy.core.multiarray._reconstruct', 'numpy._core.multiarray.scalar', 'numpy._core.multiarray._reconstruct',
        'numpy.core.numeric._frombuffer', 'numpy._core.numeric._frombuffer', 'torch.device', 'torch.Size'}

def test_loaders_dispatch_pkl_and_refuse_g_only(tmp_path, nets):
    from dglkit.stylegan2 import load_stylegan2_teacher
    from dglkit.cli import load_target
    nvG, nvD = nets
    G_raw = nv_generator(16, z_dim=16, channel_base=512, channel_max=32, seed=5)
    fn = write_nvlabs_pickle(tmp_path/'network-snapshot.pkl', snapshot(nvG, nvD, G=G_raw))
    Gt, Dt, meta = load_stylegan2_teacher(fn)
    assert meta['format'] == 'nvlabs' and meta['G_source'] == 'G_ema' and Dt is not None and not Gt.training
    G, D, meta2, cfg, run_dir = load_target(fn)
    assert torch.equal(G.style[1].weight, Gt.style[1].weight) and cfg is None and run_dir is None
    G_raw_c, _, m = load_nvlabs(fn, ema=False)
    assert m['G_source'] == 'G' and torch.equal(G_raw_c.style[1].weight, G_raw.mapping.fc0.weight)
    g_only = write_nvlabs_pickle(tmp_path/'g_only.pkl', {'G_ema': nvG})
    with pytest.raises(CheckpointError, match="no discriminator.*DGL needs the teacher discriminator"): load_stylegan2_teacher(g_only)
    G1, D1, _ = load_nvlabs(g_only)
    assert D1 is None and torch.equal(G1.input.input[0], nvG.synthesis.b4.const)

def _refusal(tmp_path, nvG, nvD, match):
    fn = write_nvlabs_pickle(tmp_path/'x.pkl', snapshot(nvG, nvD))
    with pytest.raises(CheckpointError, match=match): load_nvlabs(fn)

def test_unconvertible_networks_refused(tmp_path, small_table):
    mk = lambda **kw: (nv_generator(16, z_dim=16, channel_base=512, channel_max=32), nv_discriminator(16, 512, 32))
    g, d = mk(); g.synthesis.input = g.synthesis.b4; del g.synthesis.b4
    _refusal(tmp_path, g, d, 'StyleGAN3 generator')
    g, d = mk(); g.c_dim = 10
    _refusal(tmp_path, g, d, r'class-conditional \(c_dim=10\)')
    g, d = mk(); d.c_dim = 10
    _refusal(tmp_path, g, d, 'discriminator.*class-conditional')
    g, d = mk(); g.synthesis.b8.architecture = 'resnet'
    _refusal(tmp_path, g, d, "synthesis.b8 has architecture 'resnet'")
    g, d = mk(); d.b16.architecture = 'orig'
    _refusal(tmp_path, g, d, "b16 has architecture 'orig'")
    g, d = mk(); g.mapping.fc1.activation = 'relu'
    _refusal(tmp_path, g, d, "mapping.fc1 has activation 'relu'")
    g, d = mk(); d.b4.mbstd.num_channels = 2
    _refusal(tmp_path, g, d, 'minibatch-std layer with one channel')
    g, d = mk(); g.synthesis.b8.conv0.register_buffer('extra', torch.zeros(1))
    _refusal(tmp_path, g, d, r"no place in dglkit's StyleGAN2: \['synthesis.b8.conv0.extra'\]")
    g, d = mk(); g.synthesis.b8.resample_filter.mul_(2)
    _refusal(tmp_path, g, d, r'synthesis.b8.resample_filter is not the \[1, 3, 3, 1\] FIR filter')
    g = nv_generator(16, z_dim=16, channel_base=256, channel_max=32)  # 16 channels at 16×16: not rosinality's table
    _refusal(tmp_path, g, mk()[1], r"channel counts \{4: 32, 8: 32, 16: 16\}.*not rosinality's")

def test_unconvertible_channel_counts_real_table(tmp_path):
    "With the real table, a generator with channel_max=256 (256 channels at 4×4) is refused: the constant input has 512"
    g = nv_generator(8, z_dim=8, channel_base=32768, channel_max=256)
    d = nv_discriminator(8, 32768, 256)
    fn = write_nvlabs_pickle(tmp_path/'x.pkl', snapshot(g, d))
    with pytest.raises(CheckpointError, match='512 channels at 4×4'): load_nvlabs(fn)
    from dglkit.nvlabs import convert_nvlabs_discriminator  # the discriminator alone converts, at width 0.5
    D = convert_nvlabs_discriminator(load_nvlabs_pickle(fn)['D'])
    assert D.config['width'] == 0.5
