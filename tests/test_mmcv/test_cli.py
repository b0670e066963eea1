"""mmcv.cli: the process-group flags and the deprecated --options the tools share."""
import argparse
import os

import pytest

from mmcv.cli import add_dist_args, export_local_rank, start_dist, use_deprecated_options


def parser_with_options():
    parser = argparse.ArgumentParser()
    parser.add_argument('--options', nargs='+')
    parser.add_argument('--cfg-options', nargs='+')
    parser.add_argument('--launcher', default='none')
    add_dist_args(parser)
    return parser


def test_options_stand_for_cfg_options_with_a_warning():
    args = parser_with_options().parse_args(['--options', 'a=1'])
    with pytest.warns(UserWarning, match=r'^--options is deprecated in favor of --cfg-options$'):
        use_deprecated_options(args)
    assert args.cfg_options == ['a=1']


def test_removal_version_is_named():
    args = parser_with_options().parse_args(['--options', 'a=1'])
    with pytest.warns(UserWarning, match=r'will not be supported in version v0\.22\.0\.$'):
        use_deprecated_options(args, removed_in='v0.22.0')


@pytest.mark.parametrize('removed_in, message', [
    (None, '--options and --cfg-options cannot be both specified; --options is deprecated'),
    ('v0.22.0', '--options and --cfg-options cannot be both specified, --options is deprecated in favor of '
                '--cfg-options. --options will not be supported in version v0.22.0.')])
def test_both_is_a_value_error(removed_in, message):
    args = parser_with_options().parse_args(['--options', 'a=1', '--cfg-options', 'b=2'])
    with pytest.raises(ValueError) as err:
        use_deprecated_options(args, removed_in=removed_in)
    assert str(err.value) == message


def test_both_through_the_parser_is_a_usage_error(capsys):
    parser = parser_with_options()
    args = parser.parse_args(['--options', 'a=1', '--cfg-options', 'b=2'])
    with pytest.raises(SystemExit) as err:
        use_deprecated_options(args, parser)
    assert err.value.code == 2
    assert 'cannot be both specified; --options is deprecated' in capsys.readouterr().err


def test_dist_flags_and_local_rank(monkeypatch):
    monkeypatch.delenv('LOCAL_RANK', raising=False)
    args = parser_with_options().parse_args(['--local-rank', '3', '--dist-backend', 'gloo'])
    assert (args.local_rank, args.dist_backend) == (3, 'gloo')
    export_local_rank(args)
    assert os.environ['LOCAL_RANK'] == '3'
    monkeypatch.setenv('LOCAL_RANK', '1')
    export_local_rank(args)
    assert os.environ['LOCAL_RANK'] == '1'


def test_start_dist_without_launcher_starts_nothing():
    args = parser_with_options().parse_args([])
    assert start_dist(args, dict(dist_params=dict(backend='nccl'))) is False


@pytest.mark.parametrize('flag, cfg, expected', [(None, {}, None), (None, dict(dist_params=dict(backend='nccl')), 'nccl'),
                                                 ('gloo', dict(dist_params=dict(backend='nccl')), 'gloo')])
def test_start_dist_passes_the_flag_over_the_config(monkeypatch, flag, cfg, expected):
    calls = []
    monkeypatch.setattr('mmcv.cli.init_dist', lambda launcher, backend: calls.append((launcher, backend)))
    args = parser_with_options().parse_args(['--launcher', 'pytorch'] + (['--dist_backend', flag] if flag else []))
    assert start_dist(args, cfg) is True
    assert calls == [('pytorch', expected)]
