"""train_cfg.compile / test_cfg.compile: compiled losses, gradients and test logits equal eager ones, and a
failing compiler warns once and leaves an eager segmentor that gives the same results."""
import copy
import logging

import pytest
import torch

from mmseg.models import build_segmentor
from mmseg.models.acceleration import CompiledCall, accelerate_segmentor, compile_options

from .model_cfgs import metas, tiny_segmentor

# two grid rows on ResNet-18's stem: the smallest UNet++ there is, so that compiling takes seconds
ROWS = 2


def _pair(**compile_cfg):
    """An eager segmentor and a copy of it built with the given train_cfg/test_cfg compile settings, applied."""
    torch.manual_seed(0)
    eager = build_segmentor(tiny_segmentor(ROWS))
    compiled = accelerate_segmentor(build_segmentor(tiny_segmentor(
        ROWS, train_cfg=dict(compile=compile_cfg.get('train')),
        test_cfg=dict(mode='whole', compile=compile_cfg.get('test')))))
    compiled.load_state_dict(eager.state_dict())
    return eager, compiled


def _batch(seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    img = torch.randn(2, 3, 32, 32, generator=gen)
    gt = torch.randint(0, 2, (2, 1, 32, 32), generator=gen)
    gt[:, :, :3] = 255
    return img, gt


def _train_steps(model, steps: int = 2):
    """Losses of each SGD step, then the gradients of the last one."""
    optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9)
    model.train()
    history = []
    for step in range(steps):
        img, gt = _batch(step)
        losses = model.forward_train(img, metas(32, 32, 2), gt)
        optimizer.zero_grad(set_to_none=True)
        sum(v for k, v in losses.items() if 'loss' in k).backward()
        optimizer.step()
        history.append({k: v.detach().clone() for k, v in losses.items()})
    return history, {name: p.grad.clone() for name, p in model.named_parameters()}


def _assert_same_training(eager, compiled, rtol=1e-4, atol=1e-5):
    (eager_losses, eager_grads), (losses, grads) = _train_steps(eager), _train_steps(compiled)
    for step, (a, b) in enumerate(zip(eager_losses, losses)):
        assert list(a) == list(b)
        for key in a:
            torch.testing.assert_close(b[key], a[key], rtol=rtol, atol=atol, msg=f'step {step} {key}')
    for name in eager_grads:
        torch.testing.assert_close(grads[name], eager_grads[name], rtol=1e-3, atol=1e-5, msg=name)
    for (name, a), b in zip(eager.named_buffers(), compiled.buffers()):
        torch.testing.assert_close(b.float(), a.float(), rtol=1e-4, atol=1e-5, msg=name)


def _test_probs(model, height=45, width=51, mode='whole'):
    model.eval()
    model.test_cfg.update(mode=mode, crop_size=(32, 32), stride=(21, 21), window_batch=4)
    img = torch.randn(1, 3, height, width, generator=torch.Generator().manual_seed(3))
    with torch.no_grad():
        return model.inference(img, metas(height, width))


def test_compile_options_accept_true_or_torch_compile_arguments():
    assert compile_options(None, 'train_cfg.compile') is None
    assert compile_options(False, 'train_cfg.compile') is None
    assert compile_options(True, 'train_cfg.compile') == {}
    assert compile_options(dict(mode='max-autotune', dynamic=False), 'k') == dict(mode='max-autotune', dynamic=False)
    with pytest.raises(ValueError, match=r"test_cfg.compile: unknown torch.compile argument\(s\) \['mod'\]"):
        build_segmentor(tiny_segmentor(ROWS, test_cfg=dict(mode='whole', compile=dict(mod='default'))))
    with pytest.raises(TypeError, match='train_cfg.compile must be True, False or a dict'):
        build_segmentor(tiny_segmentor(ROWS, train_cfg=dict(compile='yes')))
    with pytest.raises(ValueError, match='exclude each other'):
        build_segmentor(tiny_segmentor(ROWS, train_cfg=dict(compile=True, cuda_graph=True)))


def test_compile_wraps_only_what_the_config_asks_for():
    _, train_only = _pair(train=True)
    assert isinstance(train_only.forward_train, CompiledCall)
    assert not isinstance(train_only.encode_decode, CompiledCall)
    _, test_only = _pair(test=dict(dynamic=False))
    assert isinstance(test_only.encode_decode, CompiledCall) and test_only.encode_decode.options == dict(dynamic=False)
    assert not isinstance(test_only.forward_train, CompiledCall)


def test_the_segmentor_is_only_compiled_by_accelerate_segmentor_and_only_once():
    model = build_segmentor(tiny_segmentor(ROWS, train_cfg=dict(compile=True), test_cfg=dict(compile=True)))
    assert not isinstance(model.forward_train, CompiledCall) and not isinstance(model.encode_decode, CompiledCall)
    steps = accelerate_segmentor(model).forward_train, model.encode_decode
    assert accelerate_segmentor(model) is model
    assert (model.forward_train, model.encode_decode) == steps and steps[0].fn.__func__ is type(model).forward_train


@pytest.mark.slow
def test_compiled_training_gives_eager_losses_and_gradients():
    # aot_eager: dynamo capture and AOTAutograd's joint forward/backward graph, without a C++ compile
    eager, compiled = _pair(train=dict(backend='aot_eager'))
    _assert_same_training(eager, compiled)
    assert compiled.forward_train.proven and compiled.forward_train.failure is None


@pytest.mark.slow
@pytest.mark.parametrize('mode', ['whole', 'slide'])
def test_compiled_test_forward_gives_eager_probabilities(mode):
    eager, compiled = _pair(test=dict(backend='aot_eager'))
    torch.testing.assert_close(_test_probs(compiled, mode=mode), _test_probs(eager, mode=mode))
    assert compiled.encode_decode.proven and compiled.encode_decode.failure is None


@pytest.mark.slow
def test_inductor_compiled_test_forward_gives_eager_probabilities():
    """torch.compile's default backend as users run it (C++ codegen on CPU: tens of seconds, cached after)."""
    eager, compiled = _pair(test=True)
    probs = _test_probs(compiled, 32, 32)
    if compiled.encode_decode.failure is not None:
        pytest.skip(f'inductor cannot compile here: {compiled.encode_decode.failure}')
    torch.testing.assert_close(probs, _test_probs(eager, 32, 32), rtol=1e-4, atol=1e-5)


def test_torch_compile_raising_warns_once_and_trains_eagerly(monkeypatch, caplog):
    def unavailable(*args, **kwargs):
        raise RuntimeError('torch.compile is not supported on this Python')

    monkeypatch.setattr(torch, 'compile', unavailable)
    eager, compiled = _pair(train=True, test=True)
    with caplog.at_level(logging.WARNING, logger='mmseg.models'):
        _assert_same_training(eager, compiled, rtol=0, atol=0)
        torch.testing.assert_close(_test_probs(compiled), _test_probs(eager), rtol=0, atol=0)
    warnings = [r.getMessage() for r in caplog.records if 'torch.compile of the' in r.getMessage()]
    assert len(warnings) == 2  # once for the training losses, once for the test forward, not once per call
    assert 'training losses (train_cfg.compile)' in warnings[0] and 'not supported on this Python' in warnings[0]
    assert 'test forward (test_cfg.compile)' in warnings[1]


def test_backend_error_at_first_call_falls_back_with_the_buffers_untouched(monkeypatch, caplog):
    """A compiled call that fails after running part of the step (BN statistics updated) is undone."""
    def half_compiled(fn, **kwargs):
        def run(*args):
            fn(*args)  # updates BN running statistics, as a failing compiled graph might
            raise RuntimeError('InductorError: CppCompileError: C++ compile error\n  cc: not found')
        return run

    monkeypatch.setattr(torch, 'compile', half_compiled)
    eager, compiled = _pair(train=True)
    with caplog.at_level(logging.WARNING, logger='mmseg.models'):
        _assert_same_training(eager, compiled, rtol=0, atol=0)
    assert compiled.forward_train.failure == ('RuntimeError: InductorError: CppCompileError: C++ compile error '
                                              'cc: not found')
    assert sum('torch.compile of the' in r.getMessage() for r in caplog.records) == 1


@pytest.mark.slow
def test_a_real_backend_failure_falls_back_to_eager(caplog):
    def broken_backend(graph_module, example_inputs):
        raise RuntimeError('no C compiler found')

    eager, compiled = _pair(test=dict(backend=broken_backend))
    with caplog.at_level(logging.WARNING, logger='mmseg.models'):
        torch.testing.assert_close(_test_probs(compiled), _test_probs(eager), rtol=0, atol=0)
    assert 'no C compiler found' in compiled.encode_decode.failure
    assert any('no C compiler found' in r.getMessage() for r in caplog.records)


def test_an_error_of_the_callers_input_propagates_and_keeps_compiling_on(monkeypatch):
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: fn)
    _, compiled = _pair(train=True)
    img, _ = _batch()
    with pytest.raises(Exception):
        compiled.forward_train(img, metas(32, 32, 2), torch.zeros(2, 1, 8, 8, dtype=torch.long) + 7)
    assert compiled.forward_train.failure is None


def test_a_copied_segmentor_compiles_its_own_forward(monkeypatch):
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: fn)
    _, compiled = _pair(test=True)
    _test_probs(compiled)
    clone = copy.deepcopy(compiled)
    assert clone.encode_decode.compiled is None
    assert clone.encode_decode.fn.__self__ is clone and clone.encode_decode.module is clone
