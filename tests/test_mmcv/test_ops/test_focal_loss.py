"""Focal-loss ops: the compiled kernels (mmcv._ext) against the PyTorch fallback, the mmcv semantics users
rely on (ignore targets, class weights, reductions), gradients, and numerical stability."""
import math

import pytest
import torch

from mmcv.ops import (SigmoidFocalLoss, SoftmaxFocalLoss, ext_load_error, get_backend, sigmoid_focal_loss,
                      softmax_focal_loss)
from mmcv.ops.ext_loader import DISABLE_ENV, load_ext

OPS = {'sigmoid': sigmoid_focal_loss, 'softmax': softmax_focal_loss}
EXT_GRAD_FN = {'sigmoid': '_SigmoidFocalLossExtBackward', 'softmax': '_SoftmaxFocalLossExtBackward'}
TOLERANCE = {torch.float32: dict(rtol=1e-5, atol=1e-5), torch.float64: dict(rtol=1e-10, atol=1e-12)}
# (N, C, gamma, alpha): a single element, binary, several classes, and gamma below 1 and 0.
CASES = [(1, 1, 2.0, 0.25), (7, 2, 0.0, 0.5), (64, 5, 0.5, 0.25), (33, 3, 2.0, 0.75)]

requires_ext = pytest.mark.skipif(
    load_ext() is None,
    reason=f'mmcv._ext not available ({ext_load_error() or DISABLE_ENV + " is set"}); '
           'build it with `python setup.py build_ext --inplace`')
requires_cuda_ext = pytest.mark.skipif(
    not torch.cuda.is_available() or load_ext() is None or not load_ext().with_cuda(),
    reason='needs a visible CUDA GPU and mmcv._ext built with its CUDA kernels')


def make_case(n, c, dtype, device='cpu', weighted=False, seed=0):
    """Logits (a few of them extreme) and targets that include background/ignore values."""
    gen = torch.Generator().manual_seed(seed)
    logits = torch.randn(n, c, generator=gen, dtype=torch.float64) * 3
    logits.view(-1)[::7] *= 10
    target = torch.randint(0, c, (n,), generator=gen)
    target[1::4] = torch.tensor([-1, c, 255])[torch.arange(len(target[1::4])) % 3]
    weight = torch.rand(c, generator=gen, dtype=torch.float64) + 0.5 if weighted else None
    to = dict(device=device, dtype=dtype)
    return logits.to(**to), target.to(device), None if weight is None else weight.to(**to)


def loss_and_grad(op, logits, target, backend, monkeypatch, **kwargs):
    """Loss and d(sum(loss * random upstream gradient)) / d logits on the chosen backend."""
    monkeypatch.setenv(DISABLE_ENV, '1' if backend == 'pytorch' else '0')
    assert get_backend(logits.device) == backend
    x = logits.detach().clone().requires_grad_()
    loss = OPS[op](x, target, **kwargs)
    upstream = torch.randn(loss.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    (loss * upstream.to(loss)).sum().backward()
    return loss.detach(), x.grad


def assert_backends_agree(op, device, dtype, reduction, weighted, case, monkeypatch):
    n, c, gamma, alpha = case
    logits, target, weight = make_case(n, c, dtype, device, weighted)
    kwargs = dict(gamma=gamma, alpha=alpha, weight=weight, reduction=reduction)
    ext_loss, ext_grad = loss_and_grad(op, logits, target, 'ext', monkeypatch, **kwargs)
    ref_loss, ref_grad = loss_and_grad(op, logits, target, 'pytorch', monkeypatch, **kwargs)
    expected_shape = {'none': (n, c) if op == 'sigmoid' else (n,), 'mean': (), 'sum': ()}[reduction]
    assert tuple(ext_loss.shape) == expected_shape
    torch.testing.assert_close(ext_loss, ref_loss, **TOLERANCE[dtype])
    torch.testing.assert_close(ext_grad, ref_grad, **TOLERANCE[dtype])


@requires_ext
@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('weighted', [False, True])
@pytest.mark.parametrize('reduction', ['none', 'mean', 'sum'])
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_ext_matches_pytorch_on_cpu(op, reduction, weighted, dtype, case, monkeypatch):
    assert_backends_agree(op, 'cpu', dtype, reduction, weighted, case, monkeypatch)


@requires_cuda_ext
@pytest.mark.parametrize('case', CASES)
@pytest.mark.parametrize('dtype', [torch.float32, torch.float64])
@pytest.mark.parametrize('weighted', [False, True])
@pytest.mark.parametrize('reduction', ['none', 'mean'])
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_ext_matches_pytorch_on_cuda(op, reduction, weighted, dtype, case, monkeypatch):
    assert_backends_agree(op, 'cuda', dtype, reduction, weighted, case, monkeypatch)


@requires_cuda_ext
@pytest.mark.parametrize('dtype', [torch.float16, torch.bfloat16])
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_cuda_half_precision_matches_float32(op, dtype, monkeypatch):
    logits, target, weight = make_case(256, 3, torch.float32, 'cuda', weighted=True)
    logits = logits.clamp(-8, 8)  # keep the values representable in half precision
    loss, grad = loss_and_grad(op, logits.to(dtype), target, 'ext', monkeypatch, weight=weight, reduction='sum')
    ref_loss, ref_grad = loss_and_grad(op, logits, target, 'ext', monkeypatch, weight=weight, reduction='sum')
    assert loss.dtype == dtype and grad.dtype == dtype
    torch.testing.assert_close(loss.float(), ref_loss, rtol=2e-2, atol=1e-2)
    torch.testing.assert_close(grad.float(), ref_grad, rtol=2e-2, atol=1e-2)


@requires_cuda_ext
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_cuda_matches_cpu(op, monkeypatch):
    logits, target, weight = make_case(50, 4, torch.float64, weighted=True)
    cpu = loss_and_grad(op, logits, target, 'ext', monkeypatch, weight=weight, reduction='none')
    cuda = loss_and_grad(op, logits.cuda(), target.cuda(), 'ext', monkeypatch, weight=weight.cuda(),
                         reduction='none')
    for on_cpu, on_cuda in zip(cpu, cuda):
        torch.testing.assert_close(on_cuda.cpu(), on_cpu, rtol=1e-10, atol=1e-12)


@pytest.mark.parametrize('device', [
    'cpu', pytest.param('cuda', marks=pytest.mark.skipif(not torch.cuda.is_available(), reason='no CUDA GPU'))])
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_gradcheck_float64(op, device):
    """Analytic gradients (the ext kernels when built, else the fallback) match finite differences."""
    logits, target, weight = make_case(9, 3, torch.float64, device, weighted=True)
    logits = logits.clamp(-6, 6).requires_grad_()
    for reduction in ('none', 'mean'):
        assert torch.autograd.gradcheck(
            lambda x: OPS[op](x, target, gamma=1.5, alpha=0.3, weight=weight, reduction=reduction), (logits,))


@requires_ext
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_ext_is_used_unless_disabled(op, monkeypatch):
    logits, target, _ = make_case(4, 2, torch.float32)
    logits.requires_grad_()
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    assert get_backend('cpu') == 'ext'
    assert type(OPS[op](logits, target, reduction='none').grad_fn).__name__ == EXT_GRAD_FN[op]
    monkeypatch.setenv(DISABLE_ENV, '1')
    assert get_backend('cpu') == 'pytorch'
    assert type(OPS[op](logits, target, reduction='none').grad_fn).__name__ != EXT_GRAD_FN[op]


@requires_ext
def test_cpu_half_precision_falls_back_to_pytorch(monkeypatch):
    monkeypatch.delenv(DISABLE_ENV, raising=False)
    logits, target, _ = make_case(6, 2, torch.bfloat16)
    loss = sigmoid_focal_loss(logits.requires_grad_(), target, reduction='none')
    assert loss.dtype == torch.bfloat16
    assert type(loss.grad_fn).__name__ != EXT_GRAD_FN['sigmoid']


BACKENDS = ['pytorch', pytest.param('ext', marks=requires_ext)]


@pytest.mark.parametrize('backend', BACKENDS)
def test_hand_computed_2x2(backend, monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, '1' if backend == 'pytorch' else '0')
    # sigmoid(0) = 1/2, sigmoid(ln 3) = 3/4, sigmoid(-ln 3) = 1/4; softmax([ln 3, -ln 3]) = [9/10, 1/10]
    logits = torch.tensor([[0.0, 0.0], [math.log(3), -math.log(3)]], dtype=torch.float64)
    target = torch.tensor([0, 1])
    ln2 = math.log(2)
    # alpha = 1/4, gamma = 2: positives -1/4 (1-p)^2 log p, negatives -3/4 p^2 log(1-p)
    expected_sigmoid = torch.tensor([[0.0625, 0.1875], [0.84375, 0.28125]], dtype=torch.float64) * ln2
    torch.testing.assert_close(sigmoid_focal_loss(logits, target, reduction='none'), expected_sigmoid)
    torch.testing.assert_close(sigmoid_focal_loss(logits, target), torch.tensor(0.6875 * ln2, dtype=torch.float64))
    expected_softmax = torch.tensor([0.0625 * ln2, 0.2025 * math.log(10)], dtype=torch.float64)
    torch.testing.assert_close(softmax_focal_loss(logits, target, reduction='none'), expected_softmax)
    torch.testing.assert_close(softmax_focal_loss(logits, target, reduction='sum'), expected_softmax.sum())


@pytest.mark.parametrize('backend', BACKENDS)
def test_sigmoid_out_of_range_target_is_an_unweighted_background_row(backend, monkeypatch):
    monkeypatch.setenv(DISABLE_ENV, '1' if backend == 'pytorch' else '0')
    logits = torch.randn(1, 3, dtype=torch.float64).expand(4, 3)
    target = torch.tensor([3, -1, 255, 1])
    weight = torch.tensor([2.0, 3.0, 4.0], dtype=torch.float64)
    loss = sigmoid_focal_loss(logits, target, gamma=2.0, alpha=0.25, weight=weight, reduction='none')
    p = torch.sigmoid(logits[0])
    all_negative = -0.75 * p ** 2 * torch.log1p(-p)
    for row in range(3):
        torch.testing.assert_close(loss[row], all_negative)
    assert torch.allclose(loss[3, [0, 2]], 3.0 * all_negative[[0, 2]])  # weight[target] scales the row


@pytest.mark.parametrize('backend', BACKENDS)
def test_softmax_out_of_range_target_has_no_loss_and_no_gradient(backend, monkeypatch):
    logits, _, weight = make_case(4, 3, torch.float64, weighted=True)
    target = torch.tensor([-1, 1, 255, 3])
    loss, grad = loss_and_grad('softmax', logits, target, backend, monkeypatch, weight=weight, reduction='none')
    assert loss[[0, 2, 3]].eq(0).all() and grad[[0, 2, 3]].eq(0).all()
    assert loss[1] > 0 and grad[1].abs().sum() > 0


@pytest.mark.parametrize('backend', BACKENDS)
@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_extreme_logits_stay_finite_and_accurate(op, backend, monkeypatch):
    logits = torch.tensor([[-1e4, 1e4], [80.0, -80.0], [-40.0, 40.0], [1e-3, 0.0]], dtype=torch.float64)
    target = torch.tensor([0, 0, 1, 1])
    loss32, grad32 = loss_and_grad(op, logits.float(), target, backend, monkeypatch, reduction='none')
    loss64, grad64 = loss_and_grad(op, logits, target, backend, monkeypatch, reduction='none')
    assert torch.isfinite(loss32).all() and torch.isfinite(grad32).all()
    torch.testing.assert_close(loss32.double(), loss64, rtol=1e-5, atol=1e-6)
    torch.testing.assert_close(grad32.double(), grad64, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
def test_modules_match_functions_and_move_their_weight(op):
    module_cls = {'sigmoid': SigmoidFocalLoss, 'softmax': SoftmaxFocalLoss}[op]
    logits, target, weight = make_case(8, 3, torch.float64, weighted=True)
    module = module_cls(gamma=1.0, alpha=0.4, weight=weight.float(), reduction='sum').double()
    assert module.weight.dtype == torch.float64
    torch.testing.assert_close(module(logits, target),
                               OPS[op](logits, target, gamma=1.0, alpha=0.4, weight=weight, reduction='sum'))
    assert 'gamma=1.0' in repr(module)


@pytest.mark.parametrize('op', ['sigmoid', 'softmax'])
@pytest.mark.parametrize('bad, match', [
    (dict(target=torch.zeros(4, dtype=torch.int32)), 'target must be int64'),
    (dict(target=torch.zeros(3, dtype=torch.int64)), r'shape \[N\] = \[4\]'),
    (dict(logits=torch.zeros(4, 2, 1)), r'shape \[N, C\]'),
    (dict(weight=torch.ones(3)), r'weight must have shape \[C\] = \[2\]'),
    (dict(reduction='avg'), 'reduction must be one of'),
])
def test_invalid_arguments_name_what_is_wrong(op, bad, match):
    args = dict(logits=torch.zeros(4, 2), target=torch.zeros(4, dtype=torch.int64), weight=None,
                reduction='mean')
    args.update(bad)
    with pytest.raises(ValueError, match=match):
        OPS[op](args['logits'], args['target'], weight=args['weight'], reduction=args['reduction'])
