"""Export a segmentor's whole-image forward to ONNX and check it against onnxruntime.

The graph maps a normalised image batch ``input`` [N, 3, H, W] (float32, the output of the test
pipeline's Normalize) to class logits ``output`` [N, num_classes, H, W], i.e. ``encode_decode``.
Softmax/argmax, sliding windows and test-time augmentation are left to the caller, so one graph
serves every inference mode.
"""
import inspect
import io
import warnings
from typing import Optional, Sequence, Tuple

import numpy as np
import torch
import torch.nn as nn

from mmcv.fileio import atomic_write
from mmcv.parallel import revert_sync_batchnorm

ONNX_MISSING = 'ONNX export needs the onnx package: pip install onnx (and onnxruntime for --verify)'


class EncodeDecode(nn.Module):
    """``segmentor.encode_decode`` as a module with a single tensor input, as the exporter wants."""

    def __init__(self, segmentor: nn.Module):
        super().__init__()
        self.segmentor = segmentor

    def forward(self, img: torch.Tensor) -> torch.Tensor:
        h, w = img.shape[-2:]
        meta = dict(img_shape=(h, w, 3), ori_shape=(h, w, 3), pad_shape=(h, w, 3), flip=False)
        return self.segmentor.encode_decode(img, [meta] * img.shape[0])


def export_onnx(segmentor: nn.Module, output_file: str, shape: Tuple[int, int], opset_version: int = 17,
                dynamic_export: bool = False) -> None:
    """Trace ``segmentor`` on CPU at ``shape`` (H, W) and write the ONNX graph to ``output_file``.

    SyncBN layers become BatchNorm2d (same statistics); ``dynamic_export`` makes batch, height and
    width free dimensions. The graph is checked with ``onnx.checker`` before the file is written
    (atomically: a failed export leaves no partial file).
    """
    try:
        import onnx
    except ImportError as err:
        raise ImportError(ONNX_MISSING) from err
    model = EncodeDecode(revert_sync_batchnorm(segmentor)).cpu().eval()
    dummy = torch.zeros(1, 3, *shape)
    kwargs = dict(input_names=['input'], output_names=['output'], opset_version=opset_version,
                  do_constant_folding=True)
    if dynamic_export:
        axes = {0: 'batch', 2: 'height', 3: 'width'}
        kwargs['dynamic_axes'] = dict(input=axes, output=axes)
    if 'dynamo' in inspect.signature(torch.onnx.export).parameters:
        kwargs['dynamo'] = False  # the TorchScript exporter needs no onnxscript and handles dynamic_axes
    buffer = io.BytesIO()
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter('ignore', DeprecationWarning)  # the legacy exporter is chosen on purpose
        torch.onnx.export(model, (dummy,), buffer, **kwargs)
    onnx.checker.check_model(onnx.load_from_string(buffer.getvalue()))
    with atomic_write(output_file, mode='wb') as f:
        f.write(buffer.getvalue())


def verify_onnx(segmentor: nn.Module, onnx_file: str, shapes: Sequence[Tuple[int, int, int]],
                seed: Optional[int] = 0) -> float:
    """Largest absolute logit difference between onnxruntime and PyTorch over random inputs of ``shapes``.

    Each shape is (N, H, W). Raises ImportError naming the package when onnxruntime is missing.
    """
    try:
        import onnxruntime as ort
    except ImportError as err:
        raise ImportError('--verify needs onnxruntime: pip install onnxruntime') from err
    session = ort.InferenceSession(onnx_file, providers=['CPUExecutionProvider'])
    model = EncodeDecode(revert_sync_batchnorm(segmentor)).cpu().eval()
    generator = torch.Generator().manual_seed(seed)
    max_diff = 0.0
    for n, h, w in shapes:
        img = torch.randn(n, 3, h, w, generator=generator)
        with torch.no_grad():
            expected = model(img).numpy()
        try:
            actual = session.run(None, {'input': img.numpy()})[0]
        except Exception as err:  # onnxruntime raises its own Fail/InvalidArgument types
            raise ValueError(f'{onnx_file} fails on an input of shape {tuple(img.shape)}: {err}; a graph '
                             'exported with --dynamic-export that fails at a new size has sizes frozen '
                             'as constants during tracing (Python ints taken from tensor shapes)') from err
        if actual.shape != expected.shape:
            raise ValueError(f'{onnx_file}: output shape {actual.shape} for input {tuple(img.shape)}, '
                             f'PyTorch gives {expected.shape}')
        max_diff = max(max_diff, float(np.abs(actual - expected).max()))
    return max_diff
