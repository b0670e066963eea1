"""The converters' shared archive reader, decoders and output writer: unsafe entries, size caps, disk errors."""
import errno
import io
import os
import tarfile
import zipfile

import numpy as np
import pytest

from mmcv.image import imencode
from mmseg.datasets.converters import Archive, ConversionError, Limits, convert_drive
from mmseg.datasets.converters import output as output_module
from mmseg.datasets.converters.decode import decode, to_binary
from mmseg.datasets.converters.archive import match_members
from mmseg.utils.synthetic import make_synthetic_drive


def _tar(path, entries):
    """entries: (TarInfo kwargs, content or None)."""
    with tarfile.open(path, 'w') as tf:
        for kwargs, content in entries:
            info = tarfile.TarInfo(kwargs.pop('name'))
            for key, value in kwargs.items():
                setattr(info, key, value)
            info.size = len(content) if content is not None else 0
            tf.addfile(info, io.BytesIO(content) if content is not None else None)
    return str(path)


@pytest.mark.parametrize('kind', [tarfile.SYMTYPE, tarfile.LNKTYPE, tarfile.CHRTYPE, tarfile.FIFOTYPE])
def test_tar_links_and_devices_are_refused(tmp_path, kind):
    path = _tar(tmp_path / 'x.tar', [({'name': 'im0001.ppm.gz'}, b'data'),
                                     ({'name': 'evil', 'type': kind, 'linkname': '/etc/passwd'}, None)])
    with pytest.raises(ConversionError, match=r"x\.tar has an entry 'evil' that is a (link|device or pipe)"):
        Archive(path, 'STARE image tar')


@pytest.mark.parametrize('name', ['/abs.gz', '../up.gz', 'a/../../up.gz', 'C:/win.gz'])
def test_tar_unsafe_names_are_refused(tmp_path, name):
    path = _tar(tmp_path / 'x.tar', [({'name': name}, b'data')])
    with pytest.raises(ConversionError, match='unsafe entry'):
        Archive(path, 'tar')


def test_zip_symlink_is_refused(tmp_path):
    info = zipfile.ZipInfo('link.png')
    info.create_system = 3
    info.external_attr = (0o120777) << 16  # S_IFLNK
    with zipfile.ZipFile(tmp_path / 'x.zip', 'w') as zf:
        zf.writestr(info, '/etc/passwd')
    with pytest.raises(ConversionError, match="'link.png' that is a link"):
        Archive(str(tmp_path / 'x.zip'), 'zip')


def test_entry_size_cap_and_override(tmp_path):
    with zipfile.ZipFile(tmp_path / 'x.zip', 'w', zipfile.ZIP_DEFLATED) as zf:
        zf.writestr('big.bin', b'\0' * (3 * 2**20))
    with Archive(str(tmp_path / 'x.zip'), 'zip', Limits(max_entry_bytes=2**20)) as archive:
        with pytest.raises(ConversionError, match=r'big.bin is 3 MB uncompressed, over the 1 MB limit.*--max-entry-mb'):
            archive.read('big.bin')
    with Archive(str(tmp_path / 'x.zip'), 'zip', Limits.from_cli(max_entry_mb=4)) as archive:
        assert len(archive.read('big.bin')) == 3 * 2**20


def test_gzip_member_size_cap_stops_before_inflating_everything(tmp_path):
    import gzip
    bomb = gzip.compress(b'\0' * (5 * 2**20))
    path = _tar(tmp_path / 'x.tar', [({'name': 'im0001.ppm.gz'}, bomb)])
    with Archive(path, 'tar', Limits(max_entry_bytes=2**20)) as archive:
        with pytest.raises(ConversionError, match='im0001.ppm.gz is 1 MB or more uncompressed'):
            archive.read('im0001.ppm.gz')


def test_megapixel_cap_reads_the_header_only():
    header_only = b'P6\n20000 20000\n255\n' + b'\0' * 100  # a 1.2 GB image claimed by 120 bytes
    with pytest.raises(ConversionError, match=r'big.ppm is 20000x20000 = 400 megapixels, over the 100 MP limit.*'
                                              r'--max-megapixels'):
        decode(header_only, 'color', 'big.ppm', Limits())
    small = imencode(np.zeros((40, 50, 3), np.uint8), '.png')
    with pytest.raises(ConversionError, match='over the 0.001 MP limit'):
        decode(small, 'color', 'small.png', Limits.from_cli(max_megapixels=0.001))
    assert decode(small, 'color', 'small.png', Limits()).shape == (40, 50, 3)


def _binary(array, name='a'):
    result, grey = to_binary(array, name)
    assert grey == 0
    return result.tolist()


def test_binary_maps_by_value_set():
    assert _binary(np.array([[0, 1]], np.uint8)) == [[0, 1]]
    assert _binary(np.array([[0, 255]], np.uint8)) == [[0, 1]]
    assert _binary(np.array([[0, 65535]], np.uint16)) == [[0, 1]]
    assert _binary(np.dstack([np.array([[0, 255]], np.uint8)] * 3)) == [[0, 1]]
    with pytest.raises(ConversionError, match=r'x.png has the values \{0, 1, 255\}'):
        to_binary(np.array([[0, 1, 255]], np.uint8), 'x.png')
    with pytest.raises(ConversionError, match='x.png is a colour image'):
        to_binary(np.array([[[0, 0, 255]]], np.uint8), 'x.png')


def _anti_aliased(grey_pixels, dtype=np.uint8):
    """A 100x100 0/top map (a bar of vessel) with ``grey_pixels`` grey values on its edge, alternating low/high."""
    top = np.iinfo(dtype).max
    array = np.zeros((100, 100), dtype)
    array[40:60] = top
    edge = [(39, x) for x in range(100)] + [(60, x) for x in range(100)]
    for i, (y, x) in enumerate(edge[:grey_pixels]):
        array[y, x] = top // 4 if i % 2 else top - top // 4  # below / above the midpoint
    return array


@pytest.mark.parametrize('dtype', [np.uint8, np.uint16])
def test_near_binary_map_is_binarized_at_the_midpoint(dtype):
    """HRF's 11_h/12_h/13_h: 0/255 with a few hundred anti-aliased edge pixels; mmseg 0.x binarizes at 128."""
    array = _anti_aliased(10, dtype)  # 10 of 10000 pixels: 0.1%, the limit
    result, grey = to_binary(array, 'x.tif')
    assert grey == 10
    threshold = 128 if dtype == np.uint8 else 32768  # what mmseg's [:, :, 0] // 128 means after cv2's 8-bit read
    assert np.array_equal(result, (array >= threshold).astype(np.uint8))
    assert result.sum() == 20 * 100 + 5  # the bar and the 5 edge pixels above the midpoint


def test_map_that_is_not_near_binary_is_refused_with_the_limit():
    with pytest.raises(ConversionError, match=r'x.tif has the values \{0, 63, 192, 255\}.*: 11 pixels \(0\.11%\) '
                                              r'are neither 0 nor 255.*at most 0\.1%.*--label-threshold 128'):
        to_binary(_anti_aliased(11), 'x.tif')
    zero_one_with_stray_255 = (_anti_aliased(0) // 255)
    zero_one_with_stray_255[0, 0] = 255
    with pytest.raises(ConversionError, match=r'values \{0, 1, 255\}'):  # which encoding is meant is a guess
        to_binary(zero_one_with_stray_255, 'y.png')


def test_match_members_names_missing_extra_and_duplicates(tmp_path):
    with zipfile.ZipFile(tmp_path / 'x.zip', 'w') as zf:
        for name in ('a.jpg', 'sub/B.JPG', 'c.txt', '__MACOSX/._a.jpg'):
            zf.writestr(name, b'x')
    with Archive(str(tmp_path / 'x.zip'), 'zip') as archive:
        assert match_members(archive, ['a.jpg', 'b.jpg', 'c.txt']) == {'a.jpg': 'a.jpg', 'b.jpg': 'sub/B.JPG',
                                                                         'c.txt': 'c.txt'}
        with pytest.raises(ConversionError, match='lacks d.jpg and has unexpected files c.txt'):
            match_members(archive, ['a.jpg', 'b.jpg', 'd.jpg'])


@pytest.fixture(scope='module')
def drive_zips(tmp_path_factory):
    return make_synthetic_drive(str(tmp_path_factory.mktemp('zips')), num_train=2, num_test=2, size=(100, 96))


def _no_leftovers(parent, allowed=()):
    assert sorted(n for n in os.listdir(parent) if n not in allowed) == []


def test_full_disk_is_one_error_naming_the_file(drive_zips, tmp_path, monkeypatch, load_tool, capsys):
    class FullDisk:
        def __init__(self, *args, **kwargs):
            pass

        def __enter__(self):
            return self

        def __exit__(self, *exc):
            return False

        def write(self, data):
            raise OSError(errno.ENOSPC, os.strerror(errno.ENOSPC))
    def full_for_images(path, *args, **kwargs):  # the small owner record still fits
        return FullDisk() if str(path).endswith('.png') else open(path, *args, **kwargs)
    monkeypatch.setattr(output_module, 'open', full_for_images, raising=False)
    out = tmp_path / 'DRIVE'
    assert load_tool('convert_datasets/drive').main([*drive_zips, '-o', str(out)]) == 1
    err = capsys.readouterr().err
    assert f'error: cannot write {out}/images/training/21.png: No space left on device' in err
    assert 'Traceback' not in err
    _no_leftovers(tmp_path)


def test_read_only_output_parent(drive_zips, tmp_path, monkeypatch, load_tool, capsys):
    parent = tmp_path / 'readonly'
    parent.mkdir()
    parent.chmod(0o555)
    if os.geteuid() == 0:  # root writes anywhere: make the folder refuse like a read-only file system
        real_mkdir = os.mkdir

        def refuse(path, *args, **kwargs):
            if str(path).startswith(str(parent)):
                raise OSError(errno.EROFS, os.strerror(errno.EROFS), str(path))
            return real_mkdir(path, *args, **kwargs)
        monkeypatch.setattr(os, 'mkdir', refuse)
    try:
        assert load_tool('convert_datasets/drive').main([*drive_zips, '-o', str(parent / 'DRIVE')]) == 1
    finally:
        parent.chmod(0o755)
    err = capsys.readouterr().err
    assert f'error: cannot create a folder in {parent}' in err and 'Traceback' not in err
    _no_leftovers(parent)


def test_read_errors_are_conversion_errors(drive_zips, tmp_path):
    data = bytearray(open(drive_zips[0], 'rb').read())
    with zipfile.ZipFile(drive_zips[0]) as zf:
        info = zf.getinfo('training/images/21_training.tif')
        start = info.header_offset + 30 + len(info.filename) + len(info.extra)
    data[start + 20:start + 60] = b'\xab' * 40  # damage the deflated bytes of one member
    (tmp_path / 'training.zip').write_bytes(bytes(data))
    with pytest.raises(ConversionError, match=r'training.zip: cannot read training/images/21_training.tif: '
                                              r'(error|BadZipFile)'):
        convert_drive(str(tmp_path / 'training.zip'), drive_zips[1], out_dir=str(tmp_path / 'out'), progress=False)
    _no_leftovers(tmp_path, allowed=('training.zip',))


def test_duplicate_tar_member_is_an_error_naming_archive_and_member(tmp_path):
    entries = [({'name': 'im0001.ppm.gz'}, b'first'), ({'name': 'im0002.ppm.gz'}, b'x'),
               ({'name': 'im0001.ppm.gz'}, b'second')]
    path = _tar(tmp_path / 'stare-images.tar', entries)
    with pytest.raises(ConversionError, match=r'stare-images\.tar holds the member im0001\.ppm\.gz twice'):
        Archive(path, 'STARE image tar')


def test_duplicate_zip_member_is_an_error_naming_archive_and_member(tmp_path):
    with pytest.warns(UserWarning, match='Duplicate name'), zipfile.ZipFile(tmp_path / 'CHASEDB1.zip', 'w') as zf:
        for name, content in (('Image_01L.jpg', b'first'), ('Image_01R.jpg', b'x'), ('Image_01L.jpg', b'second')):
            zf.writestr(name, content)
    with pytest.raises(ConversionError, match=r'CHASEDB1\.zip holds the member Image_01L\.jpg twice'):
        Archive(str(tmp_path / 'CHASEDB1.zip'), 'CHASE_DB1 zip')
