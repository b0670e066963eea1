"""tools/train.py and tools/test.py write the provenance record: the logs' headers and the eval JSON."""
import glob
import hashlib
import json
import os.path as osp

import pytest

from mmcv.fileio import load
from mmcv.version import git_state
from mmseg.utils.provenance import absolute_paths, sha256_file

pytestmark = pytest.mark.usefixtures('cli_state')


def test_eval_json_carries_the_checkpoint_hash_config_and_overrides(load_tool, tiny_config, tiny_checkpoint,
                                                                     tmp_path):
    load_tool('test').main([tiny_config, tiny_checkpoint, '--eval', 'mDice', '--work-dir', str(tmp_path),
                            '--cfg-options', 'model.test_cfg.mode=whole'])
    [found] = glob.glob(osp.join(tmp_path, 'eval_single_scale_*.json'))
    record = load(found)
    prov = record['provenance']
    assert prov['checkpoint']['sha256'] == sha256_file(tiny_checkpoint)
    assert prov['checkpoint']['file'] == osp.basename(tiny_checkpoint)
    assert prov['config']['sha256'] == hashlib.sha256(prov['config']['text'].encode()).hexdigest()
    assert "mode='whole'" in prov['config']['text']
    assert prov['cfg_options'] == {'model.test_cfg.mode': 'whole'} == record['cfg_options']
    assert prov['git'] == git_state() and prov['machine']['torch_threads'] >= 1
    assert absolute_paths(record) == [], f'{found} carries paths of this machine: {absolute_paths(record)}'


@pytest.mark.slow
def test_training_logs_start_with_the_record(load_tool, tiny_config, tmp_path):
    work_dir = tmp_path / 'run'
    load_tool('train').main([tiny_config, '--no-validate', '--seed', '0', '--work-dir', str(work_dir),
                             '--cfg-options', 'runner.max_iters=2', 'log_config.interval=1',
                             'checkpoint_config.interval=2'])
    [log] = glob.glob(str(work_dir / '*.log'))
    with open(log + '.json') as f:
        header = json.loads(f.readline())
    prov = header['provenance']
    assert prov['config']['sha256'] == hashlib.sha256(header['config'].encode()).hexdigest()
    assert prov['config']['dumped'] == osp.basename(tiny_config) and (work_dir / osp.basename(tiny_config)).is_file()
    assert prov['config']['file'] == osp.basename(tiny_config) and prov['work_dir'] == 'run'
    assert prov['cfg_options'] == {'runner.max_iters': 2, 'log_config.interval': 1, 'checkpoint_config.interval': 2}
    assert prov['git'] == git_state() and 'checkpoint' not in prov
    text = open(log).read()
    assert 'Provenance:' in text and prov['config']['sha256'] in text and prov['git']['commit'] in text
    assert absolute_paths(prov) == []


def test_a_published_checkpoint_is_named_by_the_hash_the_eval_json_records(load_tool, tiny_config, tiny_checkpoint,
                                                                          tmp_path):
    from mmseg.utils.model_index import PUBLISHED
    from mmseg.utils.publish_model import publish_checkpoint
    published = publish_checkpoint(tiny_checkpoint, str(tmp_path / 'release' / 'tiny.pth'))
    load_tool('test').main([tiny_config, published, '--eval', 'mDice', '--work-dir', str(tmp_path / 'eval')])
    [found] = glob.glob(str(tmp_path / 'eval' / 'eval_single_scale_*.json'))
    checkpoint = load(found)['provenance']['checkpoint']
    assert checkpoint['file'] == osp.basename(published) and checkpoint['sha256'] == sha256_file(published)
    assert checkpoint['sha256'].startswith(PUBLISHED.search(checkpoint['file']).group(1))  # what the index checks
