"""Config files: inheritance, references, access, merging options, pretty text, DictAction."""
import argparse
import copy
import glob
import logging
import os.path as osp
import pickle
import re
import textwrap

import pytest

from mmcv.config import LINE_WIDTH, TOOL_KEYS, Config, ConfigDict, DictAction

REPO = osp.dirname(osp.dirname(osp.dirname(osp.abspath(__file__))))
MODEL = '''
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    backbone=dict(type='ResNet', depth=34, norm_cfg=norm_cfg, out_indices=(0, 1, 2, 3)),
    decode_head=dict(type='UNetPPHead', channels=16, loss_decode=[dict(type='CrossEntropyLoss')]),
    test_cfg=dict(mode='whole'))
'''
DATA = '''
import os.path as osp
crop_size = (64, 64)
data_root = osp.join('data', 'DRIVE')
train_pipeline = [
    dict(type='LoadImageFromFile'),
    dict(type='Resize', img_scale=(584, 565), ratio_range=(0.5, 2.0)),
    dict(type='RandomCrop', crop_size=crop_size),
]
data = dict(samples_per_gpu=4, train=dict(type='DRIVEDataset', data_root=data_root, pipeline=train_pipeline))
'''


def write(folder, name, text):
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(textwrap.dedent(text))
    return path


@pytest.fixture
def bases(tmp_path):
    write(tmp_path, '_base_/models/unet.py', MODEL)
    write(tmp_path, '_base_/datasets/drive.py', DATA)
    return tmp_path


def test_a_file_becomes_its_public_names(tmp_path):
    path = write(tmp_path, 'plain.py', '''
        import math
        from collections import OrderedDict
        _private = 1
        def helper():
            return 2
        lr = 0.01 * math.sqrt(4)
        gpu_ids = [0]
        optimizer = dict(type='SGD', lr=lr, momentum=0.9)
    ''')
    cfg = Config.fromfile(path)
    assert list(cfg) == ['lr', 'gpu_ids', 'optimizer']
    assert cfg.filename == str(path)
    assert cfg.optimizer.lr == 0.02 and cfg['optimizer']['momentum'] == 0.9
    assert isinstance(cfg.optimizer, ConfigDict)


def test_access_like_a_dict(tmp_path):
    cfg = Config(dict(a=1, b=dict(c=[dict(d=2)])))
    assert 'a' in cfg and 'z' not in cfg
    assert len(cfg) == 2 and list(cfg.keys()) == ['a', 'b']
    assert dict(cfg.items())['a'] == 1
    assert cfg.get('z', 5) == 5 and cfg.get('a') == 1
    assert cfg.b.c[0].d == 2
    cfg.work_dir = 'runs'
    cfg['extra'] = dict(x=1)
    assert cfg['work_dir'] == 'runs' and cfg.extra.x == 1
    with pytest.raises(AttributeError, match="has no key 'missing'"):
        cfg.b.missing
    assert not hasattr(cfg, 'missing')


def test_single_base_and_recursive_merge(bases):
    path = write(bases, 'unet++/child.py', '''
        _base_ = '../_base_/models/unet.py'
        model = dict(backbone=dict(depth=50), test_cfg=dict(mode='slide', stride=(42, 42)))
    ''')
    cfg = Config.fromfile(path)
    assert cfg.model.type == 'EncoderDecoder'
    assert cfg.model.backbone == dict(type='ResNet', depth=50, norm_cfg=dict(type='BN', requires_grad=True),
                                      out_indices=(0, 1, 2, 3))
    assert cfg.model.test_cfg == dict(mode='slide', stride=(42, 42))
    assert '_base_' not in cfg


def test_several_bases_and_grandparents(bases):
    write(bases, 'mid.py', '''
        _base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']
        data = dict(samples_per_gpu=2)
    ''')
    path = write(bases, 'leaf.py', '''
        _base_ = './mid.py'
        model = dict(decode_head=dict(loss_decode=[dict(type='DiceLoss')]))
    ''')
    cfg = Config.fromfile(path)
    assert list(cfg) == ['norm_cfg', 'model', 'crop_size', 'data_root', 'train_pipeline', 'data']
    assert cfg.data.samples_per_gpu == 2 and cfg.data.train.type == 'DRIVEDataset'
    assert cfg.model.decode_head.loss_decode == [dict(type='DiceLoss')]  # lists are replaced, not merged
    assert cfg.model.decode_head.channels == 16


def test_delete_replaces_the_base_dict(bases):
    path = write(bases, 'child.py', '''
        _base_ = '_base_/models/unet.py'
        model = dict(decode_head=dict(_delete_=True, type='FCNHead', in_channels=64))
        extra = dict(_delete_=True, a=1)
    ''')
    cfg = Config.fromfile(path)
    assert cfg.model.decode_head == dict(type='FCNHead', in_channels=64)
    assert cfg.extra == dict(a=1)


def test_base_references(bases):
    path = write(bases, 'child.py', '''
        _base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']
        crop_size = {{ _base_.crop_size }}
        depth = {{_base_.model.backbone.depth}}
        first_step = {{ _base_.train_pipeline.0 }}
        model = dict(backbone=dict(norm_cfg={{ _base_.norm_cfg }}, depth=_base_.model.backbone.depth + 16))
        stride = tuple(s // 2 for s in _base_.crop_size)
        data = dict(test=dict(pipeline=_base_['train_pipeline'][:1]))
    ''')
    cfg = Config.fromfile(path)
    assert cfg.crop_size == (64, 64) and cfg.depth == 34 and cfg.stride == (32, 32)
    assert cfg.first_step == dict(type='LoadImageFromFile')
    assert cfg.model.backbone.depth == 50 and cfg.model.backbone.norm_cfg.type == 'BN'
    assert cfg.data.test.pipeline == [dict(type='LoadImageFromFile')]


def test_changing_a_base_value_in_the_child_does_not_leak(bases):
    path = write(bases, 'child.py', '''
        _base_ = '_base_/datasets/drive.py'
        pipeline = _base_.train_pipeline
        pipeline[1]['img_scale'] = (1, 1)
    ''')
    cfg = Config.fromfile(path)
    assert cfg.pipeline[1].img_scale == (1, 1)
    assert cfg.train_pipeline[1].img_scale == (584, 565)


def test_text_holds_every_file(bases):
    path = write(bases, 'child.py', "_base_ = '_base_/models/unet.py'\nlr = 0.1\n")
    text = Config.fromfile(path).text
    assert "type='UNetPPHead'" in text and 'lr = 0.1' in text
    assert text.index('unet.py') < text.index('lr = 0.1')
    assert str(path) in text


@pytest.mark.parametrize('source, error, pattern', [
    ("a = 1\nb = dict(\n", SyntaxError, r'bad\.py, line 2'),
    ("_base_ = 'missing/base.py'\n", FileNotFoundError, r'missing/base\.py \(a _base_ of .*bad\.py\) does not exist'),
    ("x = 1\ny = {'a': 1}['b']\n", RuntimeError, r"bad\.py, line 2: y = \{'a': 1\}\['b'\]\nKeyError"),
    ("import mmseg.models\n", ImportError, r'bad\.py, line 1: configs are data and must not import'),
    ("x = {{ _base_.a }}\n", KeyError, r'refers to \{\{ _base_\.a \}\} but sets no _base_'),
    ("_base_ = 3\n", TypeError, r'_base_ must be a path or a list of paths'),
])
def test_file_errors_name_the_file_and_line(tmp_path, source, error, pattern):
    path = write(tmp_path, 'bad.py', source)
    with pytest.raises(error, match=pattern):
        Config.fromfile(path)


def test_two_bases_with_one_key_is_an_error(tmp_path):
    write(tmp_path, 'a.py', 'lr = 1\n')
    write(tmp_path, 'b.py', 'lr = 2\n')
    path = write(tmp_path, 'child.py', "_base_ = ['a.py', 'b.py']\n")
    with pytest.raises(KeyError, match=r"'lr' is defined in two bases of .*child\.py: .*a\.py and .*b\.py"):
        Config.fromfile(path)


def test_dict_over_a_non_dict_base_value_is_an_error(bases):
    path = write(bases, 'child.py', "_base_ = '_base_/models/unet.py'\nmodel = dict(backbone=dict(depth=dict(a=1)))\n")
    with pytest.raises(TypeError, match=r'child\.py over its _base_: cannot merge a dict into '
                                        r'model\.backbone\.depth: it holds a value of type int.*_delete_=True'):
        Config.fromfile(path)


def test_circular_bases_are_an_error(tmp_path):
    write(tmp_path, 'a.py', "_base_ = 'b.py'\n")
    write(tmp_path, 'b.py', "_base_ = 'a.py'\n")
    with pytest.raises(RecursionError, match=r'circular _base_: .*a\.py -> .*b\.py -> .*a\.py'):
        Config.fromfile(tmp_path / 'a.py')


def test_missing_or_wrong_kind_of_file(tmp_path):
    with pytest.raises(FileNotFoundError, match=r'config file .*nope\.py does not exist'):
        Config.fromfile(tmp_path / 'nope.py')
    with pytest.raises(ValueError, match=r'cfg\.yaml must be a \.py file'):
        Config.fromfile(write(tmp_path, 'cfg.yaml', 'a: 1\n'))


def test_constructor_checks(tmp_path):
    with pytest.raises(TypeError, match='cfg_dict must be a dict'):
        Config([('a', 1)])
    with pytest.raises(KeyError, match=r'key names filename, text are reserved \(in .*x\.py\)'):
        Config.fromfile(write(tmp_path, 'x.py', 'filename = 1\ntext = 2\n'))
    assert Config(dict(a=1), filename=write(tmp_path, 'x.py', 'a = 1\n')).text == 'a = 1\n'


def test_deepcopy_and_pickle(bases):
    cfg = Config.fromfile(write(bases, 'c.py', "_base_ = '_base_/models/unet.py'\n"))
    clone = copy.deepcopy(cfg)
    clone.model.backbone.depth = 101
    assert cfg.model.backbone.depth == 34
    restored = pickle.loads(pickle.dumps(cfg))
    assert restored.to_dict() == cfg.to_dict() and restored.filename == cfg.filename
    assert restored.text == cfg.text and isinstance(restored.model.backbone, ConfigDict)


def test_pretty_text_loads_back_to_the_same_dict(bases, tmp_path):
    cfg = Config.fromfile(write(bases, 'c.py', '''
        _base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']
        single = (1,)
        empty = dict(a=[], b=(), c=dict())
        special = {1: 'one', 'with-dash': 2, 'class': 3}
        numbers = [float('inf'), -float('inf'), 1e-4, True, None]
        quote = "it's"
        long_list = [dict(name=f'step_{i}', scale=(i * 100, i * 200)) for i in range(12)]
    '''))
    out = tmp_path / 'dumped.py'
    cfg.dump(out)
    assert cfg.dump() == cfg.pretty_text == out.read_text()
    reloaded = Config.fromfile(out)
    assert reloaded.to_dict() == cfg.to_dict()
    assert type(reloaded.single) is tuple and type(reloaded.model.backbone.out_indices) is tuple
    assert max(len(line) for line in out.read_text().splitlines()) <= LINE_WIDTH
    assert "norm_cfg = dict(type='BN', requires_grad=True)\n" in cfg.pretty_text


def test_dump_as_json(tmp_path):
    from mmcv.fileio import load
    Config(dict(a=dict(b=(1, 2)))).dump(tmp_path / 'c.json')
    assert load(tmp_path / 'c.json') == {'a': {'b': [1, 2]}}


def test_pretty_text_refuses_keys_that_are_not_variables():
    with pytest.raises(ValueError, match="top-level key 'a-b' cannot be written"):
        Config({'a-b': 1}).pretty_text


def test_merge_from_dict(bases):
    cfg = Config.fromfile(write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n"))
    cfg.merge_from_dict({
        'model.backbone.depth': 50,
        'data.train.pipeline.1.img_scale': (100, 200),
        'data.train.pipeline.2': dict(type='RandomFlip'),
        'optimizer.lr': 0.1,
        'model.test_cfg': dict(_delete_=True, mode='slide'),
    })
    assert cfg.model.backbone.depth == 50 and cfg.model.backbone.type == 'ResNet'
    assert cfg.data.train.pipeline[1] == dict(type='Resize', img_scale=(100, 200), ratio_range=(0.5, 2.0))
    assert cfg.data.train.pipeline[2] == dict(type='RandomFlip', crop_size=(64, 64))  # dicts merge into items
    assert cfg.optimizer == dict(lr=0.1) and isinstance(cfg.optimizer, ConfigDict)
    assert cfg.model.test_cfg == dict(mode='slide')
    assert cfg.train_pipeline[1].img_scale == (584, 565)  # another copy of the list, untouched


def test_fromfile_applies_cfg_options(bases):
    path = write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n")
    cfg = Config.fromfile(path, cfg_options={'model.backbone.depth': 50, 'data.train.pipeline.1.img_scale': (9, 9)})
    assert cfg.model.backbone.depth == 50 and cfg.data.train.pipeline[1].img_scale == (9, 9)
    assert Config.fromfile(path, cfg_options=None).model.backbone.depth == 34
    with pytest.raises(KeyError, match=r'data\.train\.pipeline\.7: .*a list of length 3'):
        Config.fromfile(path, cfg_options={'data.train.pipeline.7.a': 1})


@pytest.mark.parametrize('options, allow_list_keys, error, pattern', [
    ({'model.backbone.depth.x': 1}, True, TypeError,
     r'cannot merge a dict into model\.backbone\.depth: it holds a value of type int \(34\)'),
    ({'data.train.pipeline.7.a': 1}, True, KeyError, r'data\.train\.pipeline\.7: .*a list of length 3'),
    ({'data.train.pipeline.first': 1}, True, KeyError, r'must be an index from 0 to 2'),
    ({'data.train.pipeline.1.a': 1}, False, TypeError, r'into data\.train\.pipeline: .*type list'),
    ({'x': 1, 'x.y': 2}, True, KeyError, r"options 'x' and 'x\.y' conflict"),
])
def test_merge_from_dict_errors(bases, options, allow_list_keys, error, pattern):
    cfg = Config.fromfile(write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n"))
    with pytest.raises(error, match=pattern):
        cfg.merge_from_dict(options, allow_list_keys=allow_list_keys)


def test_config_dict_converts_nested_containers():
    d = ConfigDict(a=[dict(b=1), (dict(c=2),)])
    d.x = dict(y=3)
    d.update(z=dict(w=4))
    d.setdefault('s', dict(t=5))
    assert d.a[0].b == 1 and d.a[1][0].c == 2 and d.x.y == 3 and d.z.w == 4 and d.s.t == 5
    assert type(d.to_dict()['a'][1][0]) is dict and type(d.copy()) is ConfigDict
    del d.x
    with pytest.raises(AttributeError, match="ConfigDict has no key 'x'"):
        del d.x


@pytest.mark.parametrize('arg, value', [
    ('a=1', 1), ('a=-2.5', -2.5), ('a=1e-3', 1e-3), ('a=True', True), ('a=false', False), ('a=None', None),
    ('a=SyncBN', 'SyncBN'), ('a=', ''), ('a=x=y', 'x=y'), ("a='1'", '1'), ("a='a,b'", 'a,b'),
    ('a=1,2', [1, 2]), ('a=a,b,', ['a', 'b']), ('a="[a,b]"', ['a', 'b']), ('a=[]', []), ('a="(1,2)"', (1, 2)),
    ('a=(x,)', ('x',)), ('a="[(1,2),(3,4)]"', [(1, 2), (3, 4)]), ('a=[[1, 2], [3]]', [[1, 2], [3]]),
    # brackets inside a value are part of it: balanced, but the value is not a list or tuple
    ('work_dir=wd(1)', 'wd(1)'), ('a=f(1,2)', 'f(1,2)'), ('a=x[0]', 'x[0]'), ('a=wd(1),wd(2)', ['wd(1)', 'wd(2)']),
    ('a=[wd(1), (2)]', ['wd(1)', (2,)]), ("a=it's", "it's"), ("a=['it's', 2]", ["it's", 2]), ('a="wd(1"', 'wd(1'),
])
def test_dict_action_values(arg, value):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    options = parser.parse_args(['--cfg-options', arg]).cfg_options
    key = arg.partition('=')[0]
    assert options == {key: value} and type(options[key]) is type(value)


def test_dict_action_several_pairs_and_repeated_flags():
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    args = parser.parse_args(['--cfg-options', 'a=1', 'b.c=2', '--cfg-options', 'a=3', 'd=4'])
    assert args.cfg_options == {'a': 3, 'b.c': 2, 'd': 4}


@pytest.mark.parametrize('arg, message', [
    ('a', "expected KEY=VALUE, got 'a'"), ('=1', "expected KEY=VALUE, got '=1'"),
    ('a=[1,2', "a: unbalanced brackets or quotes in '\\[1,2'"), ('a=1,,2', "a: empty element in '1,,2'"),
    ('a=wd(1', "a: unbalanced brackets or quotes in 'wd(1'"), ('a=wd1)', "a: unbalanced brackets in 'wd1)'"),
    ('a=(1,2]', "a: unbalanced brackets in '(1,2]'"), ('a=[1,2]x', "a: '[1,2]x' starts with a bracket group"),
    ('a=(1)(2)', "a: '(1)(2)' starts with a bracket group"), ("a='x", "a: unbalanced brackets or quotes in \"'x\""),
])
def test_dict_action_errors(arg, message, capsys):
    parser = argparse.ArgumentParser()
    parser.add_argument('--cfg-options', nargs='+', action=DictAction)
    with pytest.raises(SystemExit):
        parser.parse_args(['--cfg-options', arg])
    assert message.replace('\\', '') in capsys.readouterr().err


# ------------------------------------------------------------------- a name assigned twice in a file

def test_a_name_assigned_twice_is_an_error_naming_file_name_and_lines(tmp_path):
    path = write(tmp_path, 'twice.py', '''
        data = dict(samples_per_gpu=4, workers_per_gpu=2)
        runner = dict(max_iters=16000)
        data = dict(train=dict(times=2))
    ''')
    with pytest.raises(ValueError, match=r"twice\.py: 'data' is assigned twice at the top level "
                                         r'\(line 2 and line 4\)'):
        Config.fromfile(path)


@pytest.mark.parametrize('source', [
    'data, lr = dict(a=1), 0.1\ndata = dict(b=2)\n',
    'data: dict = dict(a=1)\ndata = dict(b=2)\n',
])
def test_a_name_assigned_twice_in_other_forms_is_an_error(tmp_path, source):
    with pytest.raises(ValueError, match="'data' is assigned twice"):
        Config.fromfile(write(tmp_path, 'c.py', source))


def test_changing_a_value_in_place_or_from_itself_is_not_a_second_assignment(tmp_path):
    path = write(tmp_path, 'inplace.py', '''
        pipeline = [dict(type='A'), dict(type='B')]
        pipeline.insert(1, dict(type='C'))
        pipeline += [dict(type='D')]
        pipeline[0] = dict(type='E')
        pipeline = [t for t in pipeline if t['type'] != 'B']
        _tmp = 1
        _tmp = 2
        if True:
            flag = 1
        else:
            flag = 2
    ''')
    assert [t['type'] for t in Config.fromfile(path).pipeline] == ['E', 'C', 'D']


# -------------------------------------------------------------------- unknown keys in options

@pytest.mark.parametrize('key, nearest', [
    ('data.samples_per_gpuu', "'data.samples_per_gpu'"),
    ('evaluation.intervall', "'evaluation.interval'"),
    ('model.backbone.dept', "'model.backbone.depth'"),
    ('evaluatoin.interval', "'evaluation'"),
    ('data.train.pipeline.1.img_scal', "'data.train.pipeline.1.img_scale'"),
])
def test_an_option_with_a_key_the_config_lacks_warns_with_the_nearest_key(bases, caplog, key, nearest):
    path = write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n"
                                'evaluation = dict(interval=4000)\n')
    with caplog.at_level('WARNING', logger='mmcv'):
        cfg = Config.fromfile(path, cfg_options={key: 64})
    assert f'option {key!r} adds a new key' in caplog.text and f'did you mean {nearest}?' in caplog.text
    # printed too: the 'mmcv' logger writes to stderr (its stream predates capsys, so check the handler)
    assert any(type(h) is logging.StreamHandler for h in logging.getLogger('mmcv').handlers)
    node = cfg
    for part in key.split('.'):
        node = node[int(part)] if part.isdigit() else node[part]
    assert node == 64  # still added: a genuinely new key must keep working


@pytest.mark.parametrize('key', ['work_dir', 'load_from', 'resume_from', 'gpu_ids', 'seed', 'auto_resume'])
def test_an_option_setting_a_key_the_tools_read_does_not_warn(bases, caplog, key):
    path = write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n")
    with caplog.at_level('WARNING', logger='mmcv'):
        cfg = Config.fromfile(path, cfg_options={key: 'wd(1)'})
    assert cfg[key] == 'wd(1)' and not caplog.records  # was: "... so nothing may read it"


def test_the_new_key_warning_claims_only_what_is_true(bases, caplog):
    path = write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n")
    with caplog.at_level('WARNING', logger='mmcv'):
        Config.fromfile(path, cfg_options={'model.test_cfg.prune_level': 2})
    assert "option 'model.test_cfg.prune_level' adds a new key: model.test_cfg has no key 'prune_level'" in caplog.text
    assert 'nothing may read it' not in caplog.text  # the UNet++ head reads it
    assert "it takes effect only if what reads model.test_cfg takes 'prune_level'" in caplog.text
    caplog.clear()
    with caplog.at_level('WARNING', logger='mmcv'):
        Config.fromfile(path, cfg_options={'wrok_dir': 'x'})
    assert ("option 'wrok_dir' adds a new key: 'wrok_dir' at the top level, which no tool reads "
            "(did you mean 'work_dir'?)" in caplog.text)


def _top_level_keys_read(source: str) -> set:
    """Top-level config keys that ``source`` reads or sets through a variable named ``cfg``."""
    found = set(re.findall(r"\bcfg\.(?:get|pop|setdefault)\(\s*['\"](\w+)['\"]", source))
    found |= set(re.findall(r"\bcfg\[['\"](\w+)['\"]\]", source))
    found |= set(re.findall(r'\bcfg\.(\w+)\b(?!\s*\()', source))
    return found - set(dir(Config)) - set(dir(dict))


def test_tool_keys_lists_every_top_level_key_the_tools_and_apis_read():
    files = [f for pattern in ('tools/*.py', 'tools/*/*.py', 'mmseg/apis/*.py', 'mmseg/utils/*.py')
             for f in glob.glob(osp.join(REPO, pattern))]
    read = {}
    for path in files:
        with open(path, encoding='utf-8') as f:
            for key in _top_level_keys_read(f.read()):
                read.setdefault(key, osp.relpath(path, REPO))
    assert {'work_dir', 'load_from', 'resume_from', 'gpu_ids', 'seed', 'data', 'model'} <= set(read)
    missing = {key: where for key, where in read.items() if key not in TOOL_KEYS}
    assert not missing, f'add these keys (read by these files) to mmcv.config.TOOL_KEYS: {missing}'


def test_an_option_with_an_existing_key_does_not_warn(bases, caplog):
    path = write(bases, 'c.py', "_base_ = ['_base_/models/unet.py', '_base_/datasets/drive.py']\n")
    with caplog.at_level('WARNING', logger='mmcv'):
        Config.fromfile(path, cfg_options={'data.samples_per_gpu': 8, 'model.test_cfg': dict(_delete_=True, a=1),
                                           'model.test_cfg._delete_': True})
    assert not caplog.records


def test_an_option_far_from_every_key_lists_the_keys(bases, caplog):
    path = write(bases, 'c.py', "_base_ = '_base_/models/unet.py'\n")
    with caplog.at_level('WARNING', logger='mmcv'):
        Config.fromfile(path, cfg_options={'model.xyz': 1})
    assert "model has the keys ['type', 'backbone', 'decode_head', 'test_cfg']" in caplog.text


# -------------------------------------------------------------------------------- custom_imports

LOSS_MODULE = '''
from mmseg.models.builder import LOSSES


@LOSSES.register_module()
class UserLossFromCustomImports:
    def __init__(self, loss_weight=1.0):
        self.loss_weight = loss_weight
'''


@pytest.fixture
def user_package(tmp_path, monkeypatch):
    """A package 'user_pkg' on sys.path whose module 'user_loss' registers a loss; undone afterwards."""
    import sys

    from mmseg.models.builder import LOSSES
    write(tmp_path, 'user_pkg/__init__.py', '')
    write(tmp_path, 'user_pkg/user_loss.py', LOSS_MODULE)
    monkeypatch.syspath_prepend(str(tmp_path))
    monkeypatch.setattr(LOSSES, '_module_dict', dict(LOSSES._module_dict))
    yield tmp_path
    for name in ('user_pkg.user_loss', 'user_pkg'):
        sys.modules.pop(name, None)


def test_custom_imports_register_a_users_loss(user_package):
    from mmseg.models.builder import LOSSES, build_loss
    cfg_path = write(user_package, 'c.py', '''
        custom_imports = dict(imports=['user_pkg.user_loss'], allow_failed_imports=False)
        loss = dict(type='UserLossFromCustomImports', loss_weight=2.0)
    ''')
    Config.fromfile(cfg_path, import_custom_modules=False)
    assert 'UserLossFromCustomImports' not in LOSSES
    cfg = Config.fromfile(cfg_path)
    assert build_loss(cfg.loss).loss_weight == 2.0


def test_custom_imports_from_cfg_options(user_package):
    from mmseg.models.builder import LOSSES
    Config.fromfile(write(user_package, 'c.py', 'a = 1\n'),
                    cfg_options={'custom_imports': dict(imports='user_pkg.user_loss')})
    assert 'UserLossFromCustomImports' in LOSSES


def test_custom_imports_failure_is_an_error_naming_file_and_module(tmp_path):
    path = write(tmp_path, 'c.py', "custom_imports = dict(imports=['no_such_pkg_xyz.loss'])\n")
    with pytest.raises(ImportError, match=r"c\.py: custom_imports could not import 'no_such_pkg_xyz\.loss': "
                                          r"ModuleNotFoundError.*allow_failed_imports=True"):
        Config.fromfile(path)


def test_custom_imports_failure_is_a_warning_when_allowed(tmp_path, caplog):
    path = write(tmp_path, 'c.py', "custom_imports = dict(imports=['no_such_pkg_xyz'], allow_failed_imports=True)\n")
    with caplog.at_level('WARNING', logger='mmcv'):
        cfg = Config.fromfile(path)
    assert cfg.custom_imports.imports == ['no_such_pkg_xyz']
    assert "could not import 'no_such_pkg_xyz'" in caplog.text and 'going on without it' in caplog.text


@pytest.mark.parametrize('value, error, pattern', [
    ("['a']", TypeError, r'must be dict\(imports='),
    ("dict(imports=['a'], allow_failed=True)", KeyError, r"unknown keys \['allow_failed'\]"),
    ('dict(imports=[1])', TypeError, r'custom_imports\.imports must be a module name'),
])
def test_custom_imports_of_the_wrong_shape(tmp_path, value, error, pattern):
    with pytest.raises(error, match=pattern):
        Config.fromfile(write(tmp_path, 'c.py', f'custom_imports = {value}\n'))
