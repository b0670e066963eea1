"""configs/unet++/README.md's result tables, the model index (metafile.yml) and the committed result files agree.

The check is tools/update_model_index.py's (``sync_family(check=True)``): it rebuilds the index from the result
files and compares it with metafile.yml, and renders the README regions from the committed index and compares
them with the README. The mutation tests below show on a copy of configs/ that a figure moved between rows, a
missing or extra row, an edited figure in a result file or in the index are each caught.
"""
import glob
import json
import os.path as osp
import re
import shutil

import pytest

from mmseg.utils.model_index import ModelIndexError, load_yaml
from mmseg.utils.provenance import absolute_paths
from mmseg.utils.results_tables import MODEL_INDEX, REGION, sync_family, sync_model_index

ROOT = osp.dirname(osp.dirname(osp.abspath(__file__)))
FAMILY = osp.join(ROOT, 'configs', 'unet++')
RESULTS = osp.join(FAMILY, 'results')
RESULT_FILES = sorted(glob.glob(osp.join(RESULTS, '**', '*.json'), recursive=True))


def test_readme_index_and_result_files_agree():
    diffs = sync_family(FAMILY, ROOT, check=True)
    assert not diffs, 'run python tools/update_model_index.py:\n' + '\n'.join(diffs)


def test_model_index_lists_the_family():
    assert not sync_model_index([osp.join(FAMILY, 'metafile.yml')], ROOT, check=True)


def test_every_committed_result_is_a_result_of_the_index():
    index = load_yaml(osp.join(FAMILY, 'metafile.yml'))
    cited = {r['Source'] for m in index['Models'] for r in m['Results']}
    cited |= {m['Metadata']['Training Log'] for m in index['Models'] if 'Training Log' in m.get('Metadata', {})}
    model_results = [osp.relpath(p, ROOT) for p in RESULT_FILES if '/bench/' not in p]
    assert model_results and set(model_results) <= cited, set(model_results) - cited


@pytest.mark.parametrize('path', RESULT_FILES, ids=[osp.relpath(p, RESULTS) for p in RESULT_FILES])
def test_committed_results_carry_no_machine_paths(path):
    with open(path) as f:
        text = f.read()
    records = [json.loads(line) for line in text.splitlines() if line.strip()] if path.endswith('.log.json') \
        else [json.loads(text)]
    assert absolute_paths(records) == [], f'{path}: run tools/update_model_index.py --fix-paths'


# -- mutations of a copy ------------------------------------------------------------------------------------

@pytest.fixture
def copy_root(tmp_path):
    """A copy of the project's configs/ (no git history: the commits come from the committed index)."""
    shutil.copytree(osp.join(ROOT, 'configs'), tmp_path / 'configs')
    return tmp_path


def family(root) -> str:
    return str(root / 'configs' / 'unet++')


def readme(root) -> str:
    return str(root / 'configs' / 'unet++' / 'README.md')


def edit(path: str, change) -> None:
    with open(path) as f:
        text = f.read()
    new = change(text)
    assert new != text, 'the mutation changed nothing'
    with open(path, 'w') as f:
        f.write(new)


def table_rows(text: str, name: str):
    """(start, end) offsets of the body rows of region ``name``."""
    match = next(m for m in REGION.finditer(text) if m.group('name') == name)
    rows = [m for m in re.finditer(r'^\| .* \|$', match.group('body'), re.M)][2:]  # after header and ---
    return [(match.start('body') + m.start(), match.start('body') + m.end()) for m in rows]


def drifts(root) -> str:
    return '\n'.join(sync_family(family(root), str(root), check=True))


def test_the_unchanged_copy_agrees(copy_root):
    assert drifts(copy_root) == ''


def test_a_figure_moved_to_another_row_is_caught(copy_root):
    def swap_first_figures(text):
        (a0, a1), (b0, b1) = table_rows(text, 'ablation')[:2]
        row_a, row_b = text[a0:a1].split(' | '), text[b0:b1].split(' | ')
        row_a[1], row_b[1] = row_b[1], row_a[1]  # the mDice of the first two ablation rows trade places
        return text[:a0] + ' | '.join(row_a) + text[a1:b0] + ' | '.join(row_b) + text[b1:]
    edit(readme(copy_root), swap_first_figures)
    assert 'README.md (committed)' in drifts(copy_root)


@pytest.mark.parametrize('change', ['missing', 'extra'])
def test_a_missing_or_extra_row_is_caught(copy_root, change):
    def mutate(text):
        start, end = table_rows(text, 'drive-results')[3]
        return text[:start] + text[end + 1:] if change == 'missing' else text[:end + 1] + text[start:end + 1] + \
            text[end + 1:]
    edit(readme(copy_root), mutate)
    assert 'README.md (committed)' in drifts(copy_root)


def test_a_figure_in_the_text_is_caught(copy_root):
    edit(readme(copy_root), lambda t: t.replace('8k 88.40 / 78.67', '8k 88.41 / 78.67', 1))
    assert 'README.md (committed)' in drifts(copy_root)


def test_a_changed_result_file_is_caught(copy_root):
    path = str(copy_root / 'configs' / 'unet++' / 'results' / 'unet++_r34_16k_drive_cpu.eval.json')
    edit(path, lambda t: t.replace('"mDice": 0.8797423817080887', '"mDice": 0.8807423817080887'))
    assert '-      mDice: 87.97\n+      mDice: 88.07' in drifts(copy_root)


def test_an_edited_index_is_caught_in_index_and_readme(copy_root):
    edit(str(copy_root / 'configs' / 'unet++' / 'metafile.yml'),
         lambda t: t.replace('      mDice: 87.97\n', '      mDice: 87.98\n', 1))
    found = drifts(copy_root)
    assert 'metafile.yml (committed)' in found and 'README.md (committed)' in found  # README follows the index


def test_an_unlisted_result_file_is_an_error(copy_root):
    shutil.copy(osp.join(RESULTS, 'unet++_r34_16k_drive_cpu.eval.json'),
                copy_root / 'configs' / 'unet++' / 'results' / 'unet++_r34_16k_drive_cpu.whole.eval.json')
    with pytest.raises(ModelIndexError, match='no model lists.*whole.eval.json'):
        drifts(copy_root)


def test_an_absolute_path_is_an_error(copy_root):
    edit(str(copy_root / 'configs' / 'unet++' / 'results' / 'unet++_r34_8k_drive_cpu.eval.json'),
         lambda t: t.replace('"checkpoint": "work_dirs/', '"checkpoint": "/home/someone/work_dirs/'))
    with pytest.raises(ModelIndexError, match='absolute paths.*--fix-paths'):
        drifts(copy_root)


def test_the_project_model_index_is_checked_too(copy_root):
    shutil.copy(osp.join(ROOT, MODEL_INDEX), copy_root / MODEL_INDEX)
    metafile = osp.join(family(copy_root), 'metafile.yml')
    assert not sync_model_index([metafile], str(copy_root), check=True)
    assert sync_model_index([metafile, osp.join(str(copy_root), 'configs', 'other', 'metafile.yml')],
                            str(copy_root), check=True)
