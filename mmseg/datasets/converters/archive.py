"""Read dataset archives in memory, defensively: zip, tar (plain or compressed) and gzip-compressed members.

Every converter reads its inputs through this module, so the safety checks live in one place:
entries with absolute or ``..`` names, links and device files are refused, a name stored twice is
refused (zip and tar keep both copies, and which one a reader gets is a guess), an entry larger than
``Limits.max_entry_bytes`` (after decompression) is refused before it is read in full, and corrupt
compressed data becomes a :class:`ConversionError` naming the archive and the member.
Nothing is ever extracted to disk.
"""
import os.path as osp
import posixpath
import re
import stat
import tarfile
import zipfile
import zlib
from dataclasses import dataclass
from typing import Dict, Iterable, List, Union

IGNORED_PARTS = ('__MACOSX',)
# What the zip, tar and zlib modules raise for damaged or unsupported data.
READ_ERRORS = (zipfile.BadZipFile, zipfile.LargeZipFile, tarfile.TarError, zlib.error, EOFError, OSError,
               ValueError, NotImplementedError, RuntimeError)


class ConversionError(Exception):
    """Bad input for a dataset converter; the message names the file or archive entry at fault."""


@dataclass(frozen=True)
class Limits:
    """Caps that stop a small archive from expanding into gigabytes (a 'zip bomb')."""
    max_entry_bytes: int = 512 * 2**20
    max_pixels: int = 100_000_000

    @classmethod
    def from_cli(cls, max_entry_mb: float = 512, max_megapixels: float = 100) -> 'Limits':
        return cls(int(max_entry_mb * 2**20), int(max_megapixels * 1e6))


def check_entry_name(name: str, label: str) -> None:
    """Refuse absolute names, drive letters and ``..`` parts (they could point outside any folder)."""
    parts = re.split(r'[/\\]', name)
    if name.startswith(('/', '\\')) or re.match(r'^[A-Za-z]:', name) or '..' in parts:
        raise ConversionError(f'{label} has an unsafe entry {name!r} (absolute path or "..")')


def is_ignored(name: str) -> bool:
    """Folders, hidden files and macOS metadata that archives made by hand often carry."""
    parts = name.split('/')
    return name.endswith('/') or parts[-1].startswith('.') or any(p in IGNORED_PARTS for p in parts)


class Archive:
    """The regular files of a zip or tar archive, read by name; use as a context manager or call close().

    Args:
        path: the archive file.
        what: what the caller expects it to be (e.g. 'STARE image tar'), for messages.
        limits: the size caps (see :class:`Limits`).
    """

    def __init__(self, path: str, what: str, limits: Limits = Limits()):
        self.path, self.what, self.limits = path, what, limits
        self.label = f'{what} {path}'
        if not osp.isfile(path):
            raise ConversionError(f'{self.label} does not exist')
        try:
            if zipfile.is_zipfile(path):
                self._zip = zipfile.ZipFile(path)
                self._tar = None
                self._members = self._zip_members()
            elif tarfile.is_tarfile(path):
                self._zip = None
                self._tar = tarfile.open(path, 'r:*')
                self._members = self._tar_members()
            else:
                raise ConversionError(f'{self.label} is not a zip or tar archive')
        except READ_ERRORS as e:
            self.close()
            raise ConversionError(f'{self.label} cannot be read as an archive: {e}') from e
        except ConversionError:
            self.close()
            raise

    def _zip_members(self) -> Dict[str, zipfile.ZipInfo]:
        members = {}
        for info in self._zip.infolist():
            check_entry_name(info.filename, self.label)
            file_type = stat.S_IFMT(info.external_attr >> 16)  # 0 when the zip does not record it
            if info.create_system == 3 and file_type not in (0, stat.S_IFREG, stat.S_IFDIR):
                raise ConversionError(f'{self.label} has an entry {info.filename!r} that is a link or a special '
                                      f'file, not a regular file')
            if not info.is_dir():
                self._add(members, info.filename, info)
        return members

    def _tar_members(self) -> Dict[str, tarfile.TarInfo]:
        members = {}
        for info in self._tar.getmembers():
            check_entry_name(info.name, self.label)
            if info.issym() or info.islnk() or info.isdev():
                kind = 'a link' if info.issym() or info.islnk() else 'a device or pipe'
                raise ConversionError(f'{self.label} has an entry {info.name!r} that is {kind}, not a regular file')
            if info.isfile():
                self._add(members, info.name, info)
        return members

    def _add(self, members: dict, name: str, info) -> None:
        if name in members:
            raise ConversionError(f'{self.label} holds the member {name} twice; which copy is meant is a guess: '
                                  f'repack the archive with one of them')
        members[name] = info

    @property
    def files(self) -> List[str]:
        """Names of the regular files, without hidden files and macOS metadata, in archive order."""
        return [name for name in self._members if not is_ignored(name)]

    def size(self, name: str) -> int:
        """The stored (uncompressed) size of a member."""
        info = self._members[name]
        return info.file_size if isinstance(info, zipfile.ZipInfo) else info.size

    def read(self, name: str) -> bytes:
        """The content of member ``name``, gunzipped when it ends with ``.gz``; size-capped and checked."""
        limit = self.limits.max_entry_bytes
        if self.size(name) > limit:
            self._too_large(name, self.size(name))
        try:
            if self._zip is not None:
                with self._zip.open(self._members[name]) as f:
                    content = f.read(limit + 1)
            else:
                f = self._tar.extractfile(self._members[name])
                content = f.read(limit + 1)
            if name.lower().endswith('.gz'):
                content = self._gunzip(name, content, limit)
        except READ_ERRORS as e:
            raise ConversionError(f'{self.label}: cannot read {name}: {type(e).__name__}: {e}') from e
        if len(content) > limit:
            self._too_large(name, len(content))
        return content

    def _gunzip(self, name: str, content: bytes, limit: int) -> bytes:
        decompressor = zlib.decompressobj(16 + zlib.MAX_WBITS)
        data = decompressor.decompress(content, limit + 1)
        if len(data) > limit:
            self._too_large(name, len(data), ' or more')
        if not decompressor.eof:
            raise ConversionError(f'{self.label}: cannot read {name}: the gzip data is truncated')
        return data

    def _too_large(self, name: str, size: int, more: str = '') -> None:
        raise ConversionError(
            f'{self.label}: {name} is {size / 2**20:.0f} MB{more} uncompressed, over the '
            f'{self.limits.max_entry_bytes / 2**20:.0f} MB limit for one entry; if the file is genuine, '
            f'raise the limit with --max-entry-mb')

    def close(self) -> None:
        for handle in (getattr(self, '_zip', None), getattr(self, '_tar', None)):
            if handle is not None:
                handle.close()

    def __enter__(self) -> 'Archive':
        return self

    def __exit__(self, *exc) -> None:
        self.close()


def match_members(archive: Archive, expected: Iterable[str]) -> Dict[str, str]:
    """Map each expected file name to its member (compared by base name, ignoring case).

    The files may sit in any folder of the archive. Any other file, a duplicate or a missing name
    is an error that names them, so a wrong archive (or one given in the wrong place) is caught.
    """
    expected = list(expected)
    wanted = {name.lower(): name for name in expected}
    found: Dict[str, str] = {}
    unexpected = []
    for member in archive.files:
        key = posixpath.basename(member).lower()
        if key not in wanted:
            unexpected.append(member)
        elif wanted[key] in found:
            raise ConversionError(f'{archive.label} holds {wanted[key]} twice: {found[wanted[key]]} and {member}')
        else:
            found[wanted[key]] = member
    missing = [name for name in expected if name not in found]
    problems = []
    if missing:
        problems.append(f'lacks {_some(missing)}')
    if unexpected:
        problems.append(f'has unexpected files {_some(unexpected)}')
    if problems:
        raise ConversionError(f'{archive.label} {" and ".join(problems)}; expected the {len(expected)} files '
                              f'{_some(expected)} - is this the right archive, given in the right place?')
    return found


def _some(names: Union[List[str], tuple], shown: int = 3) -> str:
    listed = ', '.join(names[:shown])
    return f'{listed} (and {len(names) - shown} more)' if len(names) > shown else listed
