"""The converters' shared command-line flags, checked when the arguments are parsed."""
import pytest

TOOLS = {'drive': ['training.zip', 'test.zip'], 'stare': ['i.tar', 'ah.tar', 'vk.tar'], 'chase_db1': ['c.zip'],
         'hrf': ['h.zip', 'hm.zip', 'g.zip', 'gm.zip', 'd.zip', 'dm.zip']}


@pytest.mark.parametrize('name', sorted(TOOLS))
@pytest.mark.parametrize('value', ['0', '-3', '256', '12.5'])
def test_label_threshold_outside_1_to_255_is_refused_at_parsing(load_tool, capsys, name, value):
    """--label-threshold 0 used to label every pixel vessel, with exit 0."""
    with pytest.raises(SystemExit) as exit_info:
        load_tool(f'convert_datasets/{name}').parse_args([*TOOLS[name], '--label-threshold', value])
    assert exit_info.value.code == 2
    err = capsys.readouterr().err
    assert '--label-threshold' in err and '1..255' in err and value in err, err


@pytest.mark.parametrize('value', [1, 128, 255])
def test_label_threshold_inside_the_range_is_kept(load_tool, value):
    args = load_tool('convert_datasets/stare').parse_args([*TOOLS['stare'], '--label-threshold', str(value)])
    assert args.label_threshold == value


@pytest.mark.parametrize('value', [0, -1, 256, 1.5, True])
def test_label_threshold_is_checked_by_the_python_api_too(value):
    from mmseg.datasets.converters import ConversionError, ConvertOptions
    with pytest.raises(ConversionError, match=r'label_threshold must be a whole grey level in 1\.\.255'):
        ConvertOptions(out_dir='unused', label_threshold=value)
