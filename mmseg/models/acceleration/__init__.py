"""Faster execution of a built segmentor, as its config asks: ``torch.compile`` and CUDA graphs.

The segmentor knows nothing of them: :func:`accelerate_segmentor`, called where a model is set up for
training (``train_segmentor``), testing and inference (``build_test_model``) and benchmarks, wraps its two
step functions on the instance. ``forward_train`` (img, img_metas, gt_semantic_seg) -> loss dict goes
through :class:`~.compile.CompiledCall` (``model.train_cfg.compile``) or :class:`~.cuda_graph.GraphedLosses`
(``model.train_cfg.cuda_graph``); ``encode_decode`` (img, img_metas) -> logits through a ``CompiledCall``
(``model.test_cfg.compile``), and that under bf16 autocast with ``model.test_cfg.autocast``
(:class:`~.autocast.AutocastCall`). The values are checked when the segmentor is built
(``segmentors/checks.py``).
"""
from torch import nn

from .autocast import AutocastCall, check_autocast
from .compile import CompiledCall, compile_options, compiled_if_asked
from .cuda_graph import GraphedLosses

__all__ = ['accelerate_segmentor', 'AutocastCall', 'CompiledCall', 'GraphedLosses', 'compile_options']


def accelerate_segmentor(model: nn.Module) -> nn.Module:
    """Apply ``model.train_cfg`` compile / cuda_graph and ``model.test_cfg`` compile / autocast to ``model``; returns it.

    ``model`` is the bare segmentor (not inside a DataParallel wrapper). Compiling and graph capture are lazy
    (at the first call), so the model may move to its device afterwards. A step already wrapped is left as it
    is, so calling this twice changes nothing.
    """
    train_cfg = getattr(model, 'train_cfg', None) or {}
    test_cfg = getattr(model, 'test_cfg', None) or {}
    if 'forward_train' not in vars(model):
        step = compiled_if_asked(model.forward_train, model, train_cfg, 'train_cfg')
        if train_cfg.get('cuda_graph'):
            step = GraphedLosses(model, step)
        if isinstance(step, (CompiledCall, GraphedLosses)):
            model.forward_train = step
    if 'encode_decode' not in vars(model):
        forward = compiled_if_asked(model.encode_decode, model, test_cfg, 'test_cfg')
        autocast = check_autocast(test_cfg.get('autocast'))
        if autocast is not None:
            forward = AutocastCall(forward, autocast)
        if isinstance(forward, (CompiledCall, AutocastCall)):
            model.encode_decode = forward
    return model
