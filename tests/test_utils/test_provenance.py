"""mmseg.utils.provenance: one record of code, software, machine, config, checkpoint and test set; portable paths."""
import hashlib
import json
import os
import os.path as osp

import pytest
import torch

from mmcv.config import Config
from mmcv.version import PROJECT_ROOT, git_state
from mmseg.utils import provenance
from mmseg.utils.provenance import (absolute_paths, eval_record, machine_info, make_portable, portable_path,
                                    portable_text, provenance_record, provenance_text, sha256_file)

CONFIG = osp.join(PROJECT_ROOT, 'configs', 'unet++', 'unet++_r34_16k_drive_cpu.py')


def test_portable_path_is_relative_to_the_project_then_the_work_dir_else_a_base_name(tmp_path):
    assert portable_path(CONFIG) == osp.join('configs', 'unet++', 'unet++_r34_16k_drive_cpu.py')
    work = tmp_path / 'runs' / 'stare8k'
    assert portable_path(str(work / 'latest.pth'), work_dir=str(work)) == 'latest.pth'
    assert portable_path(str(work / 'sub' / 'iter_8.pth'), work_dir=str(work)) == osp.join('sub', 'iter_8.pth')
    assert portable_path('/data/STARE') == 'STARE'
    assert portable_path(str(tmp_path / 'runs-other' / 'a.pth'), work_dir=str(work)) == 'a.pth'  # no prefix match


def test_portable_text_rewrites_absolute_paths_and_nothing_else():
    text = "work_dir = '/work/runs/stare8k'\ndata_root='/work/data/STARE'\nstride=(42, 42)  # 64/42, 1/4 scale"
    assert portable_text(text) == "work_dir = 'stare8k'\ndata_root='STARE'\nstride=(42, 42)  # 64/42, 1/4 scale"
    assert absolute_paths({'a': [text, 'https://x.org/y', 'data/DRIVE', 1.5]}) == ['/work/runs/stare8k',
                                                                                 '/work/data/STARE']
    assert make_portable({'checkpoint': '/work/cpu_run/work/latest.pth', 'mDice': 0.8797}) == {
        'checkpoint': 'latest.pth', 'mDice': 0.8797}


def test_sha256_of_a_file_larger_than_one_chunk(tmp_path):
    data = os.urandom(3 * provenance.HASH_CHUNK_BYTES + 17)
    (tmp_path / 'big.pth').write_bytes(data)
    assert sha256_file(str(tmp_path / 'big.pth')) == hashlib.sha256(data).hexdigest()


CPUINFO = """processor\t: 0
model name\t: Example(R) CPU 9000 @ 2.0GHz
flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile amx_bf16
processor\t: 1
model name\t: Example(R) CPU 9000 @ 2.0GHz
flags\t\t: fpu sse avx2 avx512f avx512_bf16 amx_tile amx_bf16
"""


def test_machine_reads_cpu_model_and_the_flags_that_matter(tmp_path, monkeypatch):
    (tmp_path / 'cpuinfo').write_text(CPUINFO)
    monkeypatch.setattr(provenance, 'CPUINFO', str(tmp_path / 'cpuinfo'))
    machine = machine_info()
    assert machine['cpu'] == 'Example(R) CPU 9000 @ 2.0GHz'
    assert machine['cpu_flags'] == ['avx2', 'avx512f', 'avx512_bf16', 'amx_tile', 'amx_bf16']
    assert machine['cpu_count'] == os.cpu_count() and machine['torch_threads'] == torch.get_num_threads()
    assert 1 <= machine['cpus_usable'] <= os.cpu_count()
    assert machine['gpus'] == ([torch.cuda.get_device_name(i) for i in range(torch.cuda.device_count())]
                               if torch.cuda.is_available() else [])


def test_machine_falls_back_to_lscpu_then_says_unknown(tmp_path, monkeypatch):
    monkeypatch.setattr(provenance, 'CPUINFO', str(tmp_path / 'missing'))
    bin_dir = tmp_path / 'bin'
    bin_dir.mkdir()
    (bin_dir / 'lscpu').write_text('#!/bin/sh\necho "Model name:   Other CPU"\necho "Flags:  sse avx512_bf16"\n')
    (bin_dir / 'lscpu').chmod(0o755)
    monkeypatch.setenv('PATH', str(bin_dir))
    machine = machine_info()
    assert machine['cpu'] == 'Other CPU' and machine['cpu_flags'] == ['avx512_bf16']
    (bin_dir / 'lscpu').unlink()
    assert machine_info()['cpu_flags'] is None  # unreadable, not "no such flag"


@pytest.fixture
def checkpoint(tmp_path):
    path = tmp_path / 'work' / 'latest.pth'
    path.parent.mkdir()
    path.write_bytes(b'weights' * 1000)
    return str(path)


def test_record_holds_everything_and_no_absolute_path(checkpoint, tmp_path):
    cfg = Config.fromfile(CONFIG, cfg_options={'data.test.data_root': str(tmp_path / 'DRIVE')})
    options = {'data.test.data_root': str(tmp_path / 'DRIVE'), 'model.test_cfg.stride': (32, 32)}
    work_dir = osp.dirname(checkpoint)
    record = provenance_record(cfg, config_file=CONFIG, checkpoint=checkpoint,
                               test_set=osp.join(PROJECT_ROOT, 'configs', '_base_', 'datasets', 'stare.py'),
                               cfg_options=options, work_dir=work_dir, config_text=True)
    assert record['git'] == git_state() and record['version'].startswith(provenance.RELEASE)
    assert record['software']['torch'] == torch.__version__ and record['software']['cuda'] == torch.version.cuda
    assert record['machine']['cpu_count'] == os.cpu_count() and record['processes'] == 1
    assert record['config']['file'] == osp.relpath(CONFIG, PROJECT_ROOT)
    assert record['config']['text'] == portable_text(cfg.pretty_text, work_dir)  # the resolved config, portable
    assert record['config']['sha256'] == hashlib.sha256(record['config']['text'].encode()).hexdigest()
    assert "data_root='DRIVE'" in record['config']['text'] and str(tmp_path) in cfg.pretty_text
    assert record['checkpoint'] == {'file': 'latest.pth', 'sha256': sha256_file(checkpoint),
                                    'bytes': osp.getsize(checkpoint)}
    assert record['test_set'] == osp.join('configs', '_base_', 'datasets', 'stare.py')
    assert record['cfg_options'] == {'data.test.data_root': 'DRIVE', 'model.test_cfg.stride': [32, 32]}
    assert record['work_dir'] == 'work'
    assert absolute_paths(record) == [], 'the record carries a path of this machine'
    json.dumps(record, allow_nan=False)  # plain JSON
    torch.save({'meta': {'provenance': record}}, str(tmp_path / 'meta.pth'))  # checkpoints carry it in their meta
    assert torch.load(str(tmp_path / 'meta.pth'), weights_only=True)['meta']['provenance'] == record
    shown = provenance_text(record)
    assert shown.startswith('Provenance:\n') and record['config']['sha256'] in shown
    assert record['config']['text'] not in shown  # the text log prints the config on its own


def test_train_record_names_the_dumped_config(tmp_path):
    cfg = Config.fromfile(CONFIG)
    record = provenance_record(cfg, config_file=CONFIG, work_dir=str(tmp_path),
                               dumped_config=str(tmp_path / 'unet++_r34_16k_drive_cpu.py'))
    assert record['config']['dumped'] == 'unet++_r34_16k_drive_cpu.py' and 'text' not in record['config']
    assert 'checkpoint' not in record and 'test_set' not in record and record['cfg_options'] == {}


def test_eval_record_keeps_its_keys_portable(checkpoint, tmp_path):
    stare = osp.join(PROJECT_ROOT, 'configs', '_base_', 'datasets', 'stare.py')
    cfg = Config.fromfile(CONFIG)
    cfg.data.test.data_root = str(tmp_path / 'data' / 'STARE')
    record = eval_record(cfg, CONFIG, checkpoint, osp.dirname(checkpoint), test_set=stare,
                         cfg_options={'data.test.data_root': str(tmp_path / 'data' / 'STARE')})
    assert record['config'] == osp.relpath(CONFIG, PROJECT_ROOT) and record['checkpoint'] == 'latest.pth'
    assert record['test_set'] == osp.relpath(stare, PROJECT_ROOT) and record['test_data_root'] == 'STARE'
    assert record['cfg_options'] == {'data.test.data_root': 'STARE'}
    assert record['provenance']['checkpoint']['sha256'] == sha256_file(checkpoint)
    assert absolute_paths(record) == []
