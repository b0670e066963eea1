"""tools/get_flops.py and mmseg.utils.flops: multiply-adds of the test-time forward pass, parameters."""
import pytest
from torch import nn

from mmseg.utils.flops import CONVENTION, count_flops


class TwoConvSegmentor(nn.Module):
    """3x3 conv 3->4 then 1x1 conv 4->2: H*W*(3*4*9 + 4*2) multiply-adds, counted by hand."""

    def __init__(self, read_values: bool = False):
        super().__init__()
        self.conv = nn.Conv2d(3, 4, 3, padding=1)
        self.cls = nn.Conv2d(4, 2, 1)
        self.read_values = read_values

    def encode_decode(self, img, img_metas):
        assert img_metas[0]['img_shape'][:2] == img.shape[2:]
        x = self.conv(img)
        if self.read_values:  # impossible on the meta device: forces the count on the CPU
            x = x * float(x.abs().max().item() >= 0)
        return self.cls(x)


@pytest.mark.parametrize('read_values', [False, True])
def test_count_flops_is_multiply_adds_of_convs(read_values):
    model = TwoConvSegmentor(read_values).train()
    result = count_flops(model, (3, 10, 6))
    assert result.flops == 10 * 6 * (3 * 4 * 9 + 4 * 2)
    assert result.params == (3 * 4 * 9 + 4) + (4 * 2 + 2)
    assert result.input_shape == (3, 10, 6)
    assert model.training and model.conv.weight.device.type == 'cpu'  # the caller's model is untouched


def test_count_flops_prefers_forward_dummy():
    class WithDummy(TwoConvSegmentor):
        def forward_dummy(self, img):
            return self.cls(self.conv(img)[:, :, ::2, ::2])
    assert count_flops(WithDummy(), (3, 8, 8)).flops == 8 * 8 * 3 * 4 * 9 + 4 * 4 * 4 * 2


def test_count_flops_rejects_bad_input():
    with pytest.raises(ValueError, match=r'input_shape must be \(channels, height, width\)'):
        count_flops(TwoConvSegmentor(), (8, 8))
    with pytest.raises(TypeError, match='neither forward_dummy nor encode_decode'):
        count_flops(nn.Conv2d(3, 3, 1), (3, 8, 8))


def test_get_flops_cli_prints_shape_flops_params_and_convention(load_tool, tiny_config, capsys):
    tool = load_tool('get_flops')
    small = tool.main([tiny_config, '--shape', '32'])
    out = capsys.readouterr().out
    assert 'Input shape: (3, 32, 32)' in out and CONVENTION in out
    assert f'Flops: {small.flops / 1e9:.2f} GFLOPs' in out and f'Params: {small.params / 1e6:.2f} M' in out
    # a fully convolutional net: four times the pixels, four times the multiply-adds; same parameters
    large = tool.main([tiny_config, '--shape', '64', '64'])
    assert large.flops == 4 * small.flops > 0 and large.params == small.params
    tall = tool.main([tiny_config, '--shape', '64', '32', '--cfg-options', 'model.decode_head.channels=[4,4,4,4,4]'])
    assert tall.input_shape == (3, 64, 32) and tall.params < small.params


def test_get_flops_cli_rejects_three_sizes(load_tool, tiny_config, capsys):
    with pytest.raises(SystemExit) as exc:
        load_tool('get_flops').main([tiny_config, '--shape', '1', '2', '3'])
    assert exc.value.code == 2
    assert '--shape takes H W or a single size' in capsys.readouterr().err
