"""tools/benchmark.py: inference and training throughput on the tiny DRIVE set."""
import json

import pytest
import torch


def run(load_tool, argv, tmp_path) -> dict:
    json_file = tmp_path / 'report.json'
    load_tool('benchmark').main(argv + ['--json', str(json_file)])
    return json.loads(json_file.read_text())


def test_inference_reports_images_per_second(load_tool, tiny_config, tmp_path, capsys):
    report = run(load_tool, [tiny_config, '--num-images', '3', '--warmup', '1', '--log-interval', '2'], tmp_path)
    printed = capsys.readouterr().out
    assert 'no checkpoint given: timing randomly initialised weights' in printed
    assert f'inference: {report["images_per_s"]:.2f} img/s' in printed
    assert report['device'] in printed and 'threads' in report['device']  # CPU model and thread count
    assert report['mode'] == 'inference' and report['batch_size'] == 1 and report['num_images'] == 3
    assert report['images_per_s'] > 0
    assert report['ms_per_image'] == pytest.approx(1000 / report['images_per_s'], rel=1e-2)
    assert len(report['window_images_per_s']) == 1  # one full window of 2 images, the tail is dropped
    assert 0 <= report['data_time_share'] < 1


def test_inference_repeats_with_checkpoint_amp_and_channels_last(load_tool, tiny_config, tiny_checkpoint,
                                                                 tmp_path, capsys):
    report = run(load_tool, [tiny_config, tiny_checkpoint, '--num-images', '2', '--warmup', '0',
                             '--repeat-times', '2', '--amp', 'bf16', '--channels-last'], tmp_path)
    assert 'randomly initialised' not in capsys.readouterr().out
    assert report['checkpoint'] == tiny_checkpoint
    assert report['amp'] == 'bf16' and report['channels_last'] is True
    assert len(report['repeat_images_per_s']) == 2
    assert report['images_per_s'] == pytest.approx(sorted(report['repeat_images_per_s'])[0] / 2
                                                   + sorted(report['repeat_images_per_s'])[1] / 2, rel=1e-3)


def test_train_mode_runs_optimizer_steps(load_tool, tiny_config, tmp_path, capsys, monkeypatch):
    steps = []
    sgd_step = torch.optim.SGD.step
    monkeypatch.setattr(torch.optim.SGD, 'step', lambda self, *a, **k: steps.append(1) or sgd_step(self, *a, **k))
    report = run(load_tool, [tiny_config, '--train', '--samples-per-gpu', '2', '--num-images', '4',
                             '--warmup', '1', '--log-interval', '1'], tmp_path)
    assert len(steps) == 1 + 2  # warm-up step, then 4 images in batches of 2
    assert report['mode'] == 'train' and report['batch_size'] == 2 and report['num_images'] == 4
    assert len(report['window_images_per_s']) == 2
    assert report['images_per_s'] > 0 and 0 <= report['data_time_share'] < 1
    assert 'train: ' in capsys.readouterr().out


def test_batch_size_is_a_train_option(load_tool, tiny_config, capsys):
    with pytest.raises(SystemExit):
        load_tool('benchmark').main([tiny_config, '--samples-per-gpu', '4'])
    assert '--samples-per-gpu applies to --train only' in capsys.readouterr().err


def test_train_mode_steps_through_the_runners_optimizer_hook(load_tool, tiny_config, tmp_path, monkeypatch):
    from mmcv.runner.hooks.optimizer import AmpOptimizerHook
    hooks = []
    amp_step = AmpOptimizerHook.after_train_iter
    monkeypatch.setattr(AmpOptimizerHook, 'after_train_iter',
                        lambda self, runner: hooks.append(self) or amp_step(self, runner))
    report = run(load_tool, [tiny_config, '--train', '--samples-per-gpu', '2', '--num-images', '2', '--warmup', '0',
                             '--amp', 'bf16', '--cfg-options', 'optimizer_config.grad_clip.max_norm=1'], tmp_path)
    assert report['amp'] == 'bf16' and len(hooks) == 1
    assert hooks[0].dtype is torch.bfloat16 and hooks[0].grad_clip == dict(max_norm=1)


@pytest.mark.parametrize('optimizer_config, amp, expected', [
    (None, None, {}),
    (dict(grad_clip=dict(max_norm=1)), None, dict(grad_clip=dict(max_norm=1))),
    (dict(grad_clip=None), 'bf16', dict(grad_clip=None, type='AmpOptimizerHook', dtype='bf16')),
    (dict(type='AmpOptimizerHook', dtype='fp16', loss_scale=512.), 'bf16',
     dict(type='AmpOptimizerHook', dtype='bf16', loss_scale=512.))])
def test_optimizer_config_of_the_benchmark(optimizer_config, amp, expected):
    from mmseg.apis.benchmark import benchmark_optimizer_config
    assert benchmark_optimizer_config(dict(optimizer_config=optimizer_config), amp) == expected
