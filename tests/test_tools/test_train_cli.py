"""tools/train.py: mmseg 0.x flags, what a short run leaves in the work dir, and --auto-resume."""
import glob
import json
import os
import os.path as osp
import re

import pytest
import torch

from mmcv.config import Config
from mmseg.models import build_segmentor

pytestmark = pytest.mark.usefixtures('cli_state')

# A few iterations with a checkpoint every 2 and a log line every iteration.
SHORT_RUN = ['checkpoint_config.interval=2', 'log_config.interval=1']


@pytest.fixture
def train_tool(load_tool):
    return load_tool('train')


def parse(tool, argv):
    """(args, cfg) as main() sees them after parsing ``argv``."""
    args = tool.parse_args(argv)
    return args, tool.setup_cfg(args)


def only_file(work_dir, pattern: str) -> str:
    found = glob.glob(osp.join(work_dir, pattern))
    assert len(found) == 1, f'expected one {pattern} in {work_dir}, found {found}'
    return found[0]


def checkpoint_meta(path: str) -> dict:
    return torch.load(path, map_location='cpu', weights_only=False)['meta']


def test_work_dir_defaults_to_config_name(train_tool, tiny_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    _, cfg = parse(train_tool, [tiny_config])
    assert osp.normpath(cfg.work_dir) == osp.join('work_dirs', 'tiny_unetpp_drive')
    _, cfg = parse(train_tool, [tiny_config, '--work-dir', str(tmp_path / 'mine')])
    assert cfg.work_dir == str(tmp_path / 'mine')


def test_checkpoint_flags_reach_config(train_tool, tiny_config):
    args, cfg = parse(train_tool, [tiny_config, '--load-from', 'a.pth', '--resume-from', 'b.pth',
                                   '--no-validate', '--auto-resume'])
    assert (cfg.load_from, cfg.resume_from) == ('a.pth', 'b.pth')
    assert args.no_validate and cfg.auto_resume
    args, cfg = parse(train_tool, [tiny_config])
    assert cfg.load_from is None and cfg.resume_from is None
    assert not args.no_validate and not cfg.auto_resume


def test_gpu_id_defaults_to_zero(train_tool, tiny_config):
    assert list(parse(train_tool, [tiny_config])[1].gpu_ids) == [0]
    assert list(parse(train_tool, [tiny_config, '--gpu-id', '1'])[1].gpu_ids) == [1]


@pytest.mark.parametrize('flags, gpu_ids', [(['--gpus', '2'], [0]), (['--gpu-ids', '1', '3'], [1])])
def test_deprecated_gpu_flags_warn_and_keep_one_gpu(train_tool, tiny_config, flags, gpu_ids):
    with pytest.warns(UserWarning, match=f'`{flags[0]}` is deprecated'):
        _, cfg = parse(train_tool, [tiny_config, *flags])
    assert list(cfg.gpu_ids) == gpu_ids


def test_gpu_flags_are_mutually_exclusive(train_tool, tiny_config, capsys):
    with pytest.raises(SystemExit) as err:
        train_tool.parse_args([tiny_config, '--gpus', '1', '--gpu-id', '1'])
    assert err.value.code == 2
    assert 'not allowed with argument' in capsys.readouterr().err


@pytest.mark.parametrize('diff_flag', ['--diff_seed', '--diff-seed'])
def test_seed_flags_parse(train_tool, tiny_config, diff_flag):
    args = train_tool.parse_args([tiny_config, '--seed', '7', diff_flag, '--deterministic'])
    assert (args.seed, args.diff_seed, args.deterministic) == (7, True, True)
    args = train_tool.parse_args([tiny_config])
    assert (args.seed, args.diff_seed, args.deterministic) == (None, False, False)


@pytest.mark.parametrize('flag', ['--cfg-options', '--options'])
def test_config_overrides_change_the_built_model(train_tool, tiny_config, flag):
    argv = [tiny_config, flag, 'model.decode_head.dropout_ratio=0.3', 'model.decode_head.channels=[4,4,4,4,4]']
    if flag == '--options':
        with pytest.warns(UserWarning, match='--options is deprecated'):
            _, cfg = parse(train_tool, argv)
    else:
        _, cfg = parse(train_tool, argv)
    head = build_segmentor(cfg.model).decode_head
    assert isinstance(head.dropout, torch.nn.Dropout2d) and head.dropout.p == pytest.approx(0.3)
    assert head.stem[0][0].weight.shape[0] == 4


def test_options_and_cfg_options_together_is_an_error(train_tool, tiny_config):
    with pytest.raises(ValueError, match='--options and --cfg-options cannot be both specified'):
        train_tool.parse_args([tiny_config, '--options', 'a=1', '--cfg-options', 'b=2'])


@pytest.mark.parametrize('launcher', ['none', 'pytorch', 'slurm', 'mpi'])
def test_launcher_choices(train_tool, tiny_config, launcher):
    assert train_tool.parse_args([tiny_config, '--launcher', launcher]).launcher == launcher


def test_unknown_launcher_is_rejected(train_tool, tiny_config, capsys):
    with pytest.raises(SystemExit) as err:
        train_tool.parse_args([tiny_config, '--launcher', 'horovod'])
    assert err.value.code == 2
    assert "invalid choice: 'horovod'" in capsys.readouterr().err


@pytest.mark.parametrize('flag', ['--local_rank', '--local-rank'])
def test_local_rank_spellings_set_env(train_tool, tiny_config, flag):
    assert train_tool.parse_args([tiny_config, f'{flag}=1']).local_rank == 1
    assert os.environ['LOCAL_RANK'] == '1'


def test_local_rank_from_torchrun_env_wins(train_tool, tiny_config, monkeypatch):
    monkeypatch.setenv('LOCAL_RANK', '3')
    train_tool.parse_args([tiny_config, '--local_rank', '1'])
    assert os.environ['LOCAL_RANK'] == '3'


def test_find_latest_checkpoint(train_tool, tmp_path):
    assert train_tool.find_latest_checkpoint(str(tmp_path)) is None
    for name in ['iter_9.pth', 'iter_10.pth', 'iter_best.pth', 'best_mDice_iter_400.pth']:
        (tmp_path / name).touch()
    assert train_tool.find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'iter_10.pth')
    (tmp_path / 'latest.pth').touch()
    assert train_tool.find_latest_checkpoint(str(tmp_path)) == str(tmp_path / 'latest.pth')


@pytest.mark.slow
def test_short_run_fills_default_work_dir(train_tool, tiny_config, tmp_path, monkeypatch):
    monkeypatch.chdir(tmp_path)
    train_tool.main([tiny_config, '--no-validate', '--seed', '7', '--deterministic', '--cfg-options',
                     'model.decode_head.channels=[4,4,4,4,4]', 'runner.max_iters=4', *SHORT_RUN])
    work_dir = tmp_path / 'work_dirs' / 'tiny_unetpp_drive'
    log = only_file(work_dir, '*.log')
    assert re.fullmatch(r'\d{8}_\d{6}\.log', osp.basename(log))
    assert only_file(work_dir, '*.log.json') == log + '.json'
    for name in ['iter_2.pth', 'iter_4.pth', 'latest.pth']:
        assert (work_dir / name).is_file(), name
    assert not glob.glob(str(work_dir / 'best_*.pth')), '--no-validate must not evaluate'

    dumped = Config.fromfile(str(work_dir / 'tiny_unetpp_drive.py'))
    assert list(dumped.model.decode_head.channels) == [4] * 5 and dumped.runner.max_iters == 4
    text = open(log).read()
    assert 'Distributed training: False' in text
    assert 'Set random seed to 7, deterministic: True' in text
    assert torch.are_deterministic_algorithms_enabled()

    ckpt = torch.load(str(work_dir / 'latest.pth'), map_location='cpu', weights_only=False)
    assert ckpt['meta']['iter'] == 4 and ckpt['meta']['seed'] == 7
    assert ckpt['state_dict']['decode_head.stem.0.0.weight'].shape[0] == 4
    records = [json.loads(line) for line in open(log + '.json')]
    assert [r['iter'] for r in records if r.get('mode') == 'train'] == [1, 2, 3, 4]


def test_training_honours_train_cfg_compile(train_tool, tiny_config, tmp_path, monkeypatch):
    compiled = []
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: compiled.append((fn.__name__, kwargs)) or fn)
    train_tool.main([tiny_config, '--no-validate', '--work-dir', str(tmp_path), '--cfg-options',
                     'model.train_cfg.compile.dynamic=False', 'runner.max_iters=2', *SHORT_RUN])
    assert compiled == [('forward_train', {'dynamic': False})]  # once, not per step


@pytest.mark.slow
def test_auto_resume_continues_from_newest_checkpoint(train_tool, tiny_config, tmp_path):
    work_dir = str(tmp_path / 'work')
    common = [tiny_config, '--work-dir', work_dir, '--auto-resume', '--cfg-options', *SHORT_RUN,
              'evaluation.interval=2']

    train_tool.main([*common, 'runner.max_iters=2'])  # nothing to resume from: starts at iteration 1
    first_log = open(only_file(work_dir, '*.log')).read()
    assert 'Iter [1/2]' in first_log
    assert 'Resuming from' not in first_log and 'resumed from' not in first_log
    assert checkpoint_meta(osp.join(work_dir, 'latest.pth'))['iter'] == 2
    assert osp.isfile(osp.join(work_dir, 'best_mDice_iter_2.pth')), 'validation runs without --no-validate'

    train_tool.main([*common, 'runner.max_iters=4'])
    second_log = open(max(glob.glob(osp.join(work_dir, '*.log')))).read()
    latest = osp.join(work_dir, 'latest.pth')
    assert f'Resuming from {latest}' in second_log and f'resumed from {latest} at iter 2' in second_log
    assert 'Iter [3/4]' in second_log and 'Iter [1/4]' not in second_log
    assert checkpoint_meta(latest)['iter'] == 4
    assert checkpoint_meta(osp.join(work_dir, 'iter_4.pth'))['iter'] == 4


def test_partial_load_needs_a_load_from(train_tool, tiny_config):
    with pytest.raises(ValueError, match='--partial-load applies to --load-from'):
        parse(train_tool, [tiny_config, '--partial-load'])
    _, cfg = parse(train_tool, [tiny_config, '--load-from', 'a.pth', '--partial-load'])
    assert cfg.load_from_partial is True
    assert parse(train_tool, [tiny_config, '--load-from', 'a.pth'])[1].load_from_partial is False


@pytest.mark.slow
def test_load_from_a_checkpoint_of_another_model_is_refused(train_tool, tiny_config, tmp_path):
    import torchvision
    foreign = str(tmp_path / 'resnet18.pth')
    torch.save(torchvision.models.resnet18().state_dict(), foreign)
    work_dir = tmp_path / 'work'
    argv = [tiny_config, '--work-dir', str(work_dir), '--no-validate', '--load-from', foreign,
            '--cfg-options', 'runner.max_iters=2', *SHORT_RUN]
    with pytest.raises(RuntimeError, match=f'cannot load {re.escape(foreign)}: it does not cover the model'):
        train_tool.main(argv)
    assert not glob.glob(str(work_dir / '*.pth')), 'nothing may be trained from scratch'
    with pytest.raises(RuntimeError, match='none of its keys fits this model'):
        train_tool.main([*argv, 'load_from_partial=True'])  # the config key, as --partial-load sets it


@pytest.mark.slow
def test_partial_load_starts_from_the_weights_that_fit(train_tool, tiny_config, tiny_checkpoint, tmp_path):
    ckpt = torch.load(tiny_checkpoint, map_location='cpu', weights_only=True)
    backbone = {k: v for k, v in ckpt['state_dict'].items() if k.startswith('backbone.')}
    partial = str(tmp_path / 'backbone_only.pth')
    torch.save(backbone, partial)
    work_dir = tmp_path / 'work'
    argv = [tiny_config, '--work-dir', str(work_dir), '--no-validate', '--load-from', partial,
            '--cfg-options', 'runner.max_iters=2', 'optimizer.lr=0', 'lr_config.min_lr=0', *SHORT_RUN]
    with pytest.raises(RuntimeError, match='missing keys: decode_head.'):
        train_tool.main(argv)
    train_tool.main([*argv[:1], '--partial-load', *argv[1:]])
    trained = torch.load(str(work_dir / 'latest.pth'), map_location='cpu', weights_only=True)['state_dict']
    assert torch.equal(trained['backbone.conv1.weight'], backbone['backbone.conv1.weight'])  # lr 0: as loaded


@pytest.mark.slow
def test_resuming_past_max_iters_is_an_error_not_a_silent_success(train_tool, tiny_config, tmp_path):
    work_dir = str(tmp_path / 'work')
    common = [tiny_config, '--work-dir', work_dir, '--no-validate', '--cfg-options', *SHORT_RUN]
    train_tool.main([*common, 'runner.max_iters=2'])
    latest = osp.join(work_dir, 'latest.pth')
    with pytest.raises(ValueError, match=r'at iteration 2.*runner.max_iters=1: nothing to train'):
        train_tool.main([*common, 'runner.max_iters=1', '--resume-from', latest])
    assert checkpoint_meta(latest)['iter'] == 2, 'the refused run must leave the checkpoint alone'


@pytest.mark.parametrize('option, key', [
    ('runner.max_iters=two', 'runner.max_iters'), ('runner.max_iters=0', 'runner.max_iters'),
    ('runner.type=EpochBasedRunner', 'runner.type'), ('checkpoint_config.interval=1.5', 'checkpoint_config.interval'),
    ('evaluation.interval=0', 'evaluation.interval'), ('evaluation.metric=3', 'evaluation.metric'),
    ('log_config.interval=x', 'log_config.interval'), ('lr_config.power=high', 'lr_config.power'),
    ('lr_config.policy=sawtooth', 'lr_config'), ('lr_config.warmup=linear', 'lr_config')])
def test_schedule_values_are_checked_before_the_work_dir_exists(train_tool, tiny_config, tmp_path, option, key):
    work_dir = tmp_path / 'never'
    with pytest.raises(ValueError, match=rf'config: {key}[.=]'):
        train_tool.main([tiny_config, '--work-dir', str(work_dir), '--cfg-options', option])
    assert not work_dir.exists(), 'nothing may be written for a config that cannot run'


@pytest.mark.parametrize('amp', ['auto', 'bf16', 'off'])
def test_amp_flag_sets_the_optimizer_hook_and_keeps_grad_clip(train_tool, tiny_config, amp):
    _, cfg = parse(train_tool, [tiny_config, '--amp', amp, '--cfg-options',
                                'optimizer_config.grad_clip.max_norm=1.0'])
    expected = dict(grad_clip=dict(max_norm=1.0)) if amp == 'off' else dict(
        type='AmpOptimizerHook', dtype=amp, grad_clip=dict(max_norm=1.0))
    assert cfg.optimizer_config == expected
    assert parse(train_tool, [tiny_config])[1].optimizer_config.get('type') is None
