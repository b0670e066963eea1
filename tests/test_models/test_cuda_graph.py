"""train_cfg.cuda_graph: the graphed training step must give the eager step's losses and gradients."""
import copy

import pytest
import torch

from mmseg.models import build_segmentor
from mmseg.models.acceleration import GraphedLosses, accelerate_segmentor
from mmseg.models.acceleration.cuda_graph import StackedLosses

from .model_cfgs import metas, tiny_segmentor


def _batch(device: str, seed: int = 0):
    gen = torch.Generator().manual_seed(seed)
    img = torch.randn(2, 3, 64, 64, generator=gen).to(device)
    gt = torch.randint(0, 2, (2, 1, 64, 64), generator=gen)
    gt[:, :, :4] = 255
    return img, gt.to(device)


def test_stacked_losses_equal_loss_dict():
    torch.manual_seed(0)
    model = build_segmentor(tiny_segmentor())
    img, gt = _batch('cpu')
    torch.manual_seed(1)
    losses = model.forward_train(img, metas(64, 64, 2), gt)
    torch.manual_seed(1)
    module = StackedLosses(model, model.forward_train, metas(64, 64, 2))
    stacked = module(img, gt)
    assert module.keys == list(losses)
    expected = torch.stack([v.float().mean() for v in losses.values()])
    assert torch.allclose(stacked, expected)


def test_cuda_graph_flag_on_cpu_trains_eagerly():
    torch.manual_seed(0)
    eager = build_segmentor(tiny_segmentor())
    graphed = accelerate_segmentor(build_segmentor(tiny_segmentor(train_cfg=dict(cuda_graph=True))))
    graphed.load_state_dict(eager.state_dict())
    assert isinstance(graphed.forward_train, GraphedLosses)
    img, gt = _batch('cpu')
    a = eager.forward_train(img, metas(64, 64, 2), gt)
    b = graphed.forward_train(img, metas(64, 64, 2), gt)
    assert list(a) == list(b)
    for key in a:
        assert torch.equal(a[key], b[key])
    assert graphed.forward_train.graphed is None


@pytest.mark.skipif(not torch.cuda.is_available(), reason='CUDA graphs need a CUDA device')
def test_graphed_steps_match_eager_steps_on_cuda():
    torch.manual_seed(0)
    eager = build_segmentor(tiny_segmentor()).cuda().train()
    graphed = accelerate_segmentor(build_segmentor(tiny_segmentor(train_cfg=dict(cuda_graph=True)))).cuda().train()
    graphed.load_state_dict(copy.deepcopy(eager.state_dict()))
    opts = [torch.optim.SGD(m.parameters(), lr=0.01, momentum=0.9) for m in (eager, graphed)]
    for step in range(4):
        img, gt = _batch('cuda', seed=step)
        for model, opt in zip((eager, graphed), opts):
            opt.zero_grad(set_to_none=True)
            losses = model.forward_train(img, metas(64, 64, 2), gt)
            sum(v for k, v in losses.items() if 'loss' in k).backward()
            opt.step()
            model._last = {k: v.detach().clone() for k, v in losses.items()}
        for key in eager._last:
            assert torch.allclose(eager._last[key], graphed._last[key], rtol=1e-4, atol=1e-5), (step, key)
    assert graphed.forward_train.graphed is not None
    for (name, p), q in zip(eager.named_parameters(), graphed.parameters()):
        assert torch.allclose(p, q, rtol=1e-3, atol=1e-5), name
    for (name, b), c in zip(eager.named_buffers(), graphed.buffers()):
        assert torch.allclose(b.float(), c.float(), rtol=1e-3, atol=1e-5), name
