"""tools/infer.py and mmseg.apis.inference: one image in, an overlay of the same size out."""
import os.path as osp

import numpy as np
import pytest

from mmcv.image import imread


def validation_pair(data_root: str):
    return (osp.join(data_root, 'images', 'validation', '01.png'),
            osp.join(data_root, 'annotations', 'validation', '01_manual1.png'))


def test_writes_overlay_of_image_size(load_tool, tiny_config, tiny_checkpoint, tiny_drive, tmp_path, capsys):
    tool = load_tool('infer')
    img_file, _ = validation_pair(tiny_drive)
    out = tmp_path / 'overlays' / 'overlay.png'
    tool.main([img_file, tiny_config, tiny_checkpoint, '--out', str(out)])
    printed = capsys.readouterr().out
    assert f'overlay written to {out}' in printed
    fraction = float(printed.split('vessel fraction: ')[1].split()[0])
    assert 0.0 <= fraction <= 1.0
    overlay, img = imread(str(out)), imread(img_file)
    assert overlay.shape == img.shape


def test_gt_colours_every_vessel_pixel(load_tool, tiny_config, tiny_checkpoint, tiny_drive, tmp_path, capsys):
    tool = load_tool('infer')
    img_file, gt_file = validation_pair(tiny_drive)
    out = tmp_path / 'errors.png'
    tool.main([img_file, tiny_config, tiny_checkpoint, '--out', str(out), '--gt', gt_file, '--opacity', '1'])
    assert 'vessel Dice vs --gt' in capsys.readouterr().out
    overlay, img = imread(str(out)), imread(img_file)
    vessels = imread(gt_file, flag='unchanged') == 1
    assert vessels.any()
    # Each vessel pixel is a true positive (green) or a miss (blue), never left as in the image.
    assert (overlay[vessels] != img[vessels]).any(axis=1).all()


def test_array_and_path_inputs_give_the_same_prediction(tiny_config, tiny_checkpoint, tiny_drive):
    from mmseg.apis import inference_segmentor, init_segmentor
    img_file, _ = validation_pair(tiny_drive)
    model = init_segmentor(tiny_config, tiny_checkpoint, device='cpu')
    from_path = inference_segmentor(model, img_file)[0].label_map
    from_array = inference_segmentor(model, imread(img_file))[0].label_map
    assert from_path.shape == imread(img_file).shape[:2]
    np.testing.assert_array_equal(from_array, from_path)


def test_missing_image_is_a_usage_error(load_tool, tiny_config, tiny_checkpoint, tmp_path, capsys):
    tool = load_tool('infer')
    with pytest.raises(SystemExit):
        tool.main([str(tmp_path / 'nope.png'), tiny_config, tiny_checkpoint])
    assert 'img file not found' in capsys.readouterr().err


@pytest.mark.parametrize('out, message', [
    ('o.txt', "--out {out}: cannot encode images as '.txt'; supported: .png"),
    ('folder', '--out {out} is a folder; give a file name such as'),
    ('a_file/overlay.png', '--out {out}: {tmp}/a_file exists and is not a folder'),
], ids=['not_an_image_suffix', 'folder', 'under_a_file'])
def test_out_is_checked_before_the_model_is_built(load_tool, tiny_config, tiny_checkpoint, tiny_drive, tmp_path,
                                                  capsys, monkeypatch, out, message):
    tool = load_tool('infer')
    monkeypatch.setattr(tool, 'init_segmentor',
                        lambda *a, **k: pytest.fail('the model was built before --out was checked'))
    (tmp_path / 'folder').mkdir()
    (tmp_path / 'a_file').write_text('')
    img_file, _ = validation_pair(tiny_drive)
    with pytest.raises(SystemExit) as exc:
        tool.main([img_file, tiny_config, tiny_checkpoint, '--out', str(tmp_path / out)])
    assert exc.value.code != 0
    assert message.format(out=tmp_path / out, tmp=tmp_path) in capsys.readouterr().err


def test_inference_honours_test_cfg_compile(tiny_config, tiny_checkpoint, tiny_drive, monkeypatch):
    import torch

    from mmcv.config import Config
    from mmseg.apis.inference import inference_segmentor, init_segmentor
    compiled = []
    monkeypatch.setattr(torch, 'compile', lambda fn, **kwargs: compiled.append((fn.__name__, kwargs)) or fn)
    cfg = Config.fromfile(tiny_config)
    cfg.merge_from_dict({'model.test_cfg.compile.dynamic': False})
    result = inference_segmentor(init_segmentor(cfg, tiny_checkpoint), validation_pair(tiny_drive)[0])
    assert compiled == [('encode_decode', {'dynamic': False})] and len(result) == 1
