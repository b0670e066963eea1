# UNet++ with a ResNet-34 encoder for thin structures (retinal vessels): the nested decoder's top row works at
# full input resolution (fed by a light conv stem on the image), a 1x1 classifier on each of X^{0,1..4} (deep
# supervision, CE 1.0 + Dice 3.0 on every output) and slide inference with batched 64x64 windows.
# Plain BN by default; multi-GPU configs may use dict(type='SyncBN', requires_grad=True) (the launcher falls back
# to BN where SyncBN cannot run).
norm_cfg = dict(type='BN', requires_grad=True)
model = dict(
    type='EncoderDecoder',
    pretrained=None,  # 'torchvision://resnet34' for ImageNet weights (needs the file in the torch hub cache offline)
    backbone=dict(
        type='ResNet',
        depth=34,
        out_indices=(0, 1, 2, 3, 4),  # stem (1/2), layer1..layer4 (1/4..1/32)
        norm_cfg=norm_cfg,
        norm_eval=False,
        frozen_stages=-1),
    decode_head=dict(
        type='UNetPlusPlusHead',
        in_channels=[64, 64, 128, 256, 512],  # the backbone levels read (out_channels at in_index)
        in_index=[0, 1, 2, 3, 4],
        img_channels=3,  # the head also reads the image itself (its full-resolution top row)
        # decoder width per row (full res, 1/2, 1/4, 1/8, 1/16): 16 at full res is enough for 1-3 px vessels
        # fed by the 32-wide 1/2 row; 128 caps the 4x4 (at 64x64 crops) bottom row so that a training step
        # stays no slower than smp UnetPlusPlus(resnet34) (bench/model_speed.py)
        channels=[16, 32, 64, 128, 128],
        num_classes=2,
        dropout_ratio=0.0,
        norm_cfg=norm_cfg,
        align_corners=False,
        deep_supervision=True,
        ds_loss_weights=None,  # equal weights summing to 1 over the four outputs
        test_mode='accurate',  # mean of the outputs' probabilities; 'fast' + prune_level=k runs UNet++ L_k only
        loss_decode=[
            dict(type='CrossEntropyLoss', use_sigmoid=False, loss_weight=1.0, avg_non_ignore=True),
            dict(type='DiceLoss', loss_weight=3.0)
        ]),
    train_cfg=dict(),
    # whole image in one pass: on the STARE CPU checkpoint +0.52 mDice and 1.92x faster than 64x64 windows at
    # stride 42 (configs/unet++/README.md); mode='slide' uses crop_size/stride, window_batch windows per pass
    # (16 is fastest on CPU, GPU configs raise it, e.g. 256). Configs with committed results pin 'slide'.
    test_cfg=dict(mode='whole', crop_size=(64, 64), stride=(42, 42), window_batch=16))
