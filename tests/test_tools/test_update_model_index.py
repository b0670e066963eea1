"""tools/update_model_index.py on a tiny synthetic family: index from files, Weights from a published checkpoint,
provenance levels, git commits, --check, --fix-paths and the clear refusals."""
import hashlib
import json
import os
import subprocess

import pytest
import yaml

CONFIG = """data = dict(
    samples_per_gpu=2,
    train=dict(type='RepeatDataset', times=2, dataset=dict(type='DRIVEDataset', pipeline=[
        dict(type='RandomCrop', crop_size=(32, 32))])),
    val=dict(type='DRIVEDataset'),
    test=dict(type='DRIVEDataset'))
runner = dict(type='IterBasedRunner', max_iters=200)
"""
SHA = hashlib.sha256(b'published weights').hexdigest()
SOURCES = """Collections:
- Name: Tiny
  README: configs/tiny/README.md
Models:
- Name: tiny_model
  Log: tiny_model.log.json
  Machine: a hand-noted CPU
  Results:
  - File: tiny_model.eval.json
    Test: final checkpoint
  - File: tiny_model.log.json
    Iteration: 100
Tables:
- Name: main
  Columns:
  - {Key: Row, Header: model}
  - {Key: Schedule, Header: schedule, Format: '{iters} x {batch} ({crop})'}
  - {Key: mDice, Header: mDice}
  - {Key: pair, Header: mDice / vessel, Metrics: [mDice, Dice.vessel]}
  Rows:
  - Cited: {Row: someone else's model, mDice: '80.00'}
    Source: their paper
  - Result: tiny_model.eval.json
    Bold: ['pair:mDice']
  - Result: tiny_model.log.json@100
    Row: at 100
- Name: trajectory
  Trajectory: tiny_model.eval.json
  Metrics: [mDice]
"""
README = """# Tiny

<!-- model-index:main start -->
<!-- model-index:main end -->

Validation: <!-- model-index:trajectory start --><!-- model-index:trajectory end -->.
"""


def provenance(dirty=False, checkpoint=None):
    record = {'schema': 1, 'git': {'commit': 'a' * 40, 'dirty': dirty, 'changed': []}, 'processes': 2,
              'software': {'torch': '2.x', 'numpy': '2.y', 'opencv': '5.z'},
              'machine': {'cpu': 'Tiny CPU', 'cpu_count': 8, 'cpus_usable': 4, 'torch_threads': 4,
                          'cpu_flags': ['amx_bf16'], 'gpus': []}}
    if checkpoint:
        record['checkpoint'] = {'file': checkpoint, 'sha256': SHA, 'bytes': 17}
    return record


@pytest.fixture
def tiny(tmp_path):
    """A project root with configs/tiny: a config, its training log and eval JSON, sources.yml and README."""
    family = tmp_path / 'configs' / 'tiny'
    (family / 'results').mkdir(parents=True)
    (family / 'tiny_model.py').write_text(CONFIG)
    header = {'env_info': 'PyTorch: 2.x', 'seed': 3, 'config': CONFIG, 'provenance': provenance()}
    lines = [header, {'mode': 'train', 'iter': 50, 'time': 0.5, 'loss': 1.0},
             {'mode': 'train', 'iter': 100, 'time': 1.0, 'loss': 0.9},
             {'mode': 'val', 'epoch': 1, 'iter': 100, 'mDice': 0.8, 'Dice.vessel': 0.6},
             {'mode': 'val', 'epoch': 1, 'iter': 200, 'mDice': 0.85, 'Dice.vessel': 0.7}]
    (family / 'results' / 'tiny_model.log.json').write_text(''.join(json.dumps(r) + '\n' for r in lines))
    write_eval(family, f'tiny_model-{SHA[:8]}.pth')
    (family / 'results' / 'sources.yml').write_text(SOURCES)
    (family / 'README.md').write_text(README)
    return tmp_path


def write_eval(family, checkpoint, **metric):
    record = {'config': 'configs/tiny/tiny_model.py', 'checkpoint': checkpoint,
              'provenance': provenance(checkpoint=checkpoint),
              'metric': dict({'mDice': 0.8512345, 'Dice.vessel': 0.71, 'fov.AUC': float('nan')}, **metric)}
    (family / 'results' / 'tiny_model.eval.json').write_text(json.dumps(record))


@pytest.fixture
def tool(load_tool):
    module = load_tool('update_model_index')
    return lambda root, *args: module.main(['--root', str(root), *args])


def index_of(root) -> dict:
    return yaml.safe_load((root / 'configs' / 'tiny' / 'metafile.yml').read_text())


def test_index_and_tables_come_from_the_files(tiny, tool):
    assert tool(tiny) == 0
    [model] = index_of(tiny)['Models']
    meta = model['Metadata']
    assert model['Config'] == 'configs/tiny/tiny_model.py' and model['In Collection'] == 'Tiny'
    assert (meta['Training Data'], meta['Iterations'], meta['Batch Size'], meta['Crop Size']) == \
        (['DRIVE'], 200, 4, '(32,32)')  # 2 per process x 2 processes
    assert meta['Machine'] == 'Tiny CPU (4 of 8 CPUs, 4 torch threads, amx_bf16)'  # from the record, not by hand
    assert 'Hand-Recorded' not in meta and meta['Provenance'] == 'full' and meta['Run Commit'] == 'a' * 40
    assert meta['Software'] == 'PyTorch 2.x, NumPy 2.y, OpenCV 5.z' and meta['Logged Iteration Time (s)'] == 75
    assert model['Weights'] == f'tiny_model-{SHA[:8]}.pth' and meta['Weights SHA256'] == SHA  # the full hash
    final, at_100 = model['Results']
    assert final['Metrics'] == {'mDice': 85.12, 'Dice.vessel': 71.0, 'fov.AUC': None}
    assert final['Dataset'] == 'DRIVE' and final['Checkpoint SHA256'] == SHA
    assert at_100['Iteration'] == 100 and at_100['Metrics'] == {'mDice': 80.0, 'Dice.vessel': 60.0}
    text = (tiny / 'configs' / 'tiny' / 'README.md').read_text()
    assert "| someone else's model‡ |  | 80.00 |  |" in text and '‡ cited, not measured here: ' in text
    assert '| `tiny_model.py` | 200 x 4 (32x32) | 85.12 | **85.12** / 71.00 |' in text
    assert '| at 100 | 100 x 4 (32x32) | 80.00 | 80.00 / 60.00 |' in text
    assert 'Validation: <!-- model-index:trajectory start -->100 80.00, 200 85.00<!--' in text
    assert yaml.safe_load((tiny / 'model-index.yml').read_text()) == {'Import': ['configs/tiny/metafile.yml']}
    assert tool(tiny, '--check') == 0


def test_check_prints_the_drift_and_fails(tiny, tool, capsys):
    tool(tiny)
    write_eval(tiny / 'configs' / 'tiny', f'tiny_model-{SHA[:8]}.pth', mDice=0.86)
    assert tool(tiny, '--check') == 1
    out = capsys.readouterr().out
    assert '-      mDice: 85.12\n+      mDice: 86.0' in out
    assert tool(tiny) == 0 and tool(tiny, '--check') == 0


def test_hand_recorded_machine_and_missing_provenance(tiny, tool):
    log = tiny / 'configs' / 'tiny' / 'results' / 'tiny_model.log.json'
    lines = log.read_text().splitlines()
    header = json.loads(lines[0])
    del header['provenance']
    log.write_text('\n'.join([json.dumps(header)] + lines[1:]) + '\n')
    tool(tiny)
    meta = index_of(tiny)['Models'][0]['Metadata']
    assert meta['Machine'] == 'a hand-noted CPU' and meta['Hand-Recorded'] == ['Machine']
    assert meta['Provenance'] == 'partial' and meta['Run Commit'] == 'unknown'  # the eval JSON has a record
    assert 'a hand-noted CPU' not in (tiny / 'configs' / 'tiny' / 'README.md').read_text()  # not a table column


def test_a_published_name_with_another_hash_is_refused(tiny, tool, capsys):
    write_eval(tiny / 'configs' / 'tiny', 'tiny_model-deadbeef.pth')
    assert tool(tiny) == 2
    assert 'names the published checkpoint tiny_model-deadbeef.pth but records sha256' in capsys.readouterr().err


def test_absolute_paths_are_refused_then_fixed_without_touching_figures(tiny, tool, capsys):
    family = tiny / 'configs' / 'tiny'
    write_eval(family, '/home/someone/work_dirs/tiny/latest.pth')
    before = (family / 'results' / 'tiny_model.eval.json').read_text()
    assert tool(tiny) == 2 and '--fix-paths' in capsys.readouterr().err
    assert tool(tiny, '--fix-paths') == 0
    after = (family / 'results' / 'tiny_model.eval.json').read_text()
    assert after == before.replace('/home/someone/work_dirs/tiny/latest.pth', 'latest.pth')
    assert index_of(tiny)['Models'][0]['Results'][0]['Checkpoint'] == 'latest.pth'


@pytest.mark.parametrize('mutate, message', [
    (lambda s: s.replace('    Iteration: 100\n', '    Iteration: 150\n'), 'no validation record at iteration 150'),
    (lambda s: s.replace('    Source: their paper\n', ''), 'a Cited row needs the Source'),
    (lambda s: s.replace("- Cited: {Row: someone else's model, mDice: '80.00'}\n    Source: their paper",
                         "- Pending: {Row: later, mDice: '81.5'}"), 'a Pending row holds no figures'),
    (lambda s: s.replace('- Name: trajectory', '- Name: elsewhere'), 'tables without a region'),
    (lambda s: s.replace('  Machine: a hand-noted CPU\n', '  Reproduces At Main: maybe\n'), 'Reproduces At Main'),
    (lambda s: s.replace('    Test: final checkpoint\n', '    Tset: final checkpoint\n'), "unknown key(s) ['Tset']"),
])
def test_sources_errors_name_what_is_wrong(tiny, tool, capsys, mutate, message):
    path = tiny / 'configs' / 'tiny' / 'results' / 'sources.yml'
    path.write_text(mutate(path.read_text()))
    assert tool(tiny) == 2
    assert message in capsys.readouterr().err


def test_an_unlisted_result_file_is_refused(tiny, tool, capsys):
    (tiny / 'configs' / 'tiny' / 'results' / 'tiny_model.flip.eval.json').write_text(
        (tiny / 'configs' / 'tiny' / 'results' / 'tiny_model.eval.json').read_text())
    assert tool(tiny) == 2
    err = capsys.readouterr().err
    assert 'no model lists' in err and 'configs/tiny/results/tiny_model.flip.eval.json' in err


def git(root, *args):
    env = dict(os.environ, GIT_AUTHOR_NAME='t', GIT_AUTHOR_EMAIL='t@t', GIT_COMMITTER_NAME='t',
               GIT_COMMITTER_EMAIL='t@t')
    return subprocess.run(['git', '-C', str(root), *args], check=True, capture_output=True, text=True,
                          env=env).stdout.strip()


@pytest.mark.skipif(subprocess.run(['git', '--version'], capture_output=True).returncode != 0,
                    reason='git is not installed')
def test_commits_come_from_git_and_new_files_are_uncommitted(tiny, tool):
    git(tiny, 'init', '-q')
    git(tiny, 'add', 'configs/tiny/results/tiny_model.log.json')
    git(tiny, 'commit', '-q', '-m', 'log')
    log_commit = git(tiny, 'rev-parse', 'HEAD')
    tool(tiny)
    model = index_of(tiny)['Models'][0]
    assert model['Metadata']['Commit'] == log_commit
    assert model['Results'][0]['Committed In'] == 'uncommitted'  # the eval JSON is not in a commit yet
    git(tiny, 'add', '.')
    git(tiny, 'commit', '-q', '-m', 'eval')
    assert tool(tiny, '--check') == 1  # the index now lags behind git: regenerate it
    tool(tiny)
    assert index_of(tiny)['Models'][0]['Results'][0]['Committed In'] == git(tiny, 'rev-parse', 'HEAD')


def test_component_counts_are_not_shown_as_percent():
    """fov.components_* are mean counts per image: shown as they are, while fractions become percent."""
    from mmseg.utils.model_index import metrics_of
    shown = metrics_of({'mDice': 0.87654, 'fov.clDice': 0.5, 'fov.components_pred': 103.125,
                        'fov.components_label': 2.0, 'fov.AUC': float('nan')})
    assert shown == {'mDice': 87.65, 'fov.clDice': 50.0, 'fov.components_pred': 103.12,
                     'fov.components_label': 2.0, 'fov.AUC': None}


def test_a_cross_validation_report_gives_mean_and_spread(tiny, tool):
    """tools/cross_validate.py's cv_report.json as a result: each metric's mean over the folds and '<key>.std'."""
    family = tiny / 'configs' / 'tiny'
    report = {'config': 'configs/tiny/tiny_model.py', 'protocol': '5-fold over the pooled training and validation '
              'splits (split seed 0)', 'seeds': [0], 'provenance': provenance(),
              'runs': {'fold_0': {'mDice': 0.8}, 'fold_1': {'mDice': 0.9}},
              'stats': {'mDice': {'mean': 0.85, 'std': 0.0707107, 'min': 0.8, 'max': 0.9, 'n': 2},
                        'fov.components_pred': {'mean': 40.5, 'std': 3.25, 'min': 38.2, 'max': 42.8, 'n': 2}},
              'per_image': [], 'per_image_stats': {}}
    (family / 'results' / 'tiny_cv.cv_report.json').write_text(json.dumps(report))
    sources = SOURCES.replace('Tables:', '''- Name: tiny_cv
  Config: configs/tiny/tiny_model.py
  Results:
  - File: tiny_cv.cv_report.json
    Dataset: DRIVE
Tables:''')
    sources += '''- Name: cv
  Columns:
  - {Key: Row, Header: protocol}
  - {Key: mDice, Header: mDice}
  - {Key: mdice, Header: mDice (mean / std over folds), Metrics: [mDice, mDice.std]}
  Rows:
  - Result: tiny_cv.cv_report.json
    Row: 2 folds
  - Result: tiny_cv.cv_report.json
    Row: spread
    Suffix: .std
    Blank: [mdice]
'''
    (family / 'results' / 'sources.yml').write_text(sources)
    (family / 'README.md').write_text(README + '\n<!-- model-index:cv start -->\n<!-- model-index:cv end -->\n')
    assert tool(tiny) == 0
    [cv] = [m for m in index_of(tiny)['Models'] if m['Name'] == 'tiny_cv']
    [result] = cv['Results']
    assert result['Metrics'] == {'mDice': 85.0, 'fov.components_pred': 40.5, 'mDice.std': 7.07,
                                 'fov.components_pred.std': 3.25}
    assert result['Test'] == report['protocol'] and result['Provenance'] == 'full'
    text = (family / 'README.md').read_text()
    assert '| 2 folds | 85.00 | 85.00 / 7.07 |' in text
    assert '| spread | 7.07 |  |' in text  # Suffix: the row reads mDice.std
