"""Small model configs for the model tests (ResNet-18, narrow decoder): each test runs in well under a second."""
import copy

LOSSES = [dict(type='CrossEntropyLoss', loss_weight=1.0), dict(type='DiceLoss', loss_weight=3.0)]


def tiny_head(rows: int = 5, **overrides) -> dict:
    """UNet++ head on ``rows`` ResNet-18 levels (1/2 .. 1/2^rows) and the image."""
    head = dict(type='UNetPlusPlusHead', in_channels=[64, 64, 128, 256, 512][:rows], in_index=list(range(rows)),
                img_channels=3, channels=[4, 8, 8, 8, 8][:rows], num_classes=2,
                dropout_ratio=0.0, loss_decode=copy.deepcopy(LOSSES))
    head.update(overrides)
    return head


def tiny_segmentor(rows: int = 5, head: dict = None, **overrides) -> dict:
    cfg = dict(type='EncoderDecoder',
               backbone=dict(type='ResNet', depth=18, out_indices=tuple(range(rows))),
               decode_head=head or tiny_head(rows),
               test_cfg=dict(mode='whole'))
    cfg.update(overrides)
    return cfg


def metas(height: int, width: int, num: int = 1, **extra) -> list:
    shape = (height, width, 3)
    meta = dict(ori_shape=shape, img_shape=shape, pad_shape=shape, flip=False)
    return [dict(meta, **extra) for _ in range(num)]
