"""Read dataset archives defensively: check the file, every entry name, and locate the data folders."""
import os.path as osp
import posixpath
import re
import zipfile
from typing import Dict, List

IGNORED_PARTS = ('__MACOSX',)


class ConversionError(Exception):
    """Bad input for a dataset converter; the message names the file or archive entry at fault."""


def open_zip(path: str, what: str) -> zipfile.ZipFile:
    """Open ``path`` after checking that it exists, is a zip and has only safe relative entry names."""
    if not osp.isfile(path):
        raise ConversionError(f'{what} {path} does not exist')
    if not zipfile.is_zipfile(path):
        raise ConversionError(f'{what} {path} is not a zip file')
    try:
        zf = zipfile.ZipFile(path)
    except (zipfile.BadZipFile, OSError) as e:
        raise ConversionError(f'{what} {path} cannot be opened as a zip: {e}') from e
    for name in zf.namelist():
        parts = re.split(r'[/\\]', name)
        if name.startswith(('/', '\\')) or re.match(r'^[A-Za-z]:', name) or '..' in parts:
            zf.close()
            raise ConversionError(f'{what} {path} has an unsafe entry {name!r} (absolute path or "..")')
    return zf


def list_files(zf: zipfile.ZipFile) -> List[str]:
    """Names of the file entries, without folders, hidden files and macOS metadata."""
    names = []
    for name in zf.namelist():
        parts = name.split('/')
        if name.endswith('/') or parts[-1].startswith('.') or any(p in IGNORED_PARTS for p in parts):
            continue
        names.append(name)
    return names


def find_root(files: List[str], marker: str, prefer: str, zip_path: str) -> str:
    """The folder holding ``marker``/ (e.g. 'images'), whatever folders sit above it.

    With several candidates the one named ``prefer`` (e.g. 'training') wins; otherwise it is an error.
    """
    roots = sorted({posixpath.dirname(posixpath.dirname(f)) for f in files
                    if posixpath.basename(posixpath.dirname(f)) == marker})
    if len(roots) == 1:
        return roots[0]
    preferred = [r for r in roots if posixpath.basename(r) == prefer]
    if len(preferred) == 1:
        return preferred[0]
    if not roots:
        raise ConversionError(f'{zip_path} has no {marker}/ folder (expected e.g. {prefer}/{marker}/...)')
    raise ConversionError(f'{zip_path} has several {marker}/ folders ({", ".join(r or "." for r in roots)}); '
                          f'expected one, or one under a folder named {prefer!r}')


def files_by_folder(files: List[str], root: str) -> Dict[str, List[str]]:
    """Files directly inside each sub-folder of ``root``: {'images': [...], 'mask': [...], ...}."""
    grouped: Dict[str, List[str]] = {}
    prefix = f'{root}/' if root else ''
    for f in files:
        if not f.startswith(prefix):
            continue
        rest = f[len(prefix):].split('/')
        if len(rest) == 2:
            grouped.setdefault(rest[0], []).append(f)
    return grouped


def read_entry(zf: zipfile.ZipFile, name: str, zip_path: str) -> bytes:
    """The content of entry ``name``; a corrupt entry is a ConversionError naming it."""
    try:
        return zf.read(name)
    except (zipfile.BadZipFile, zipfile.LargeZipFile, OSError, EOFError, ValueError) as e:
        raise ConversionError(f'cannot read {name} from {zip_path}: {e}') from e
