"""A family's model index (mmseg's ``metafile.yml`` schema) built from its committed result files.

``configs/<family>/results/sources.yml`` says what each committed result file is, in the words no file records
(which model, what was tested, the machine and wall time when no provenance record says); every figure is
read from the files themselves: eval JSONs (``tools/test.py``), the validation records of JSON training logs,
observer JSONs. ``build_index`` returns the index as a dict; ``mmseg.utils.results_tables`` writes the README
tables from it and ``tools/update_model_index.py`` writes both (or, with ``--check``, shows how they differ).
"""
import json
import math
import os
import os.path as osp
import re
import subprocess
import tempfile
from typing import Any, Dict, List, Optional, Tuple

import yaml

from mmcv.config import Config
from mmcv.version import PROJECT_ROOT
from mmseg.core.evaluation.vessel_metrics import COUNT_KEYS

SOURCES = osp.join('results', 'sources.yml')
METAFILE = 'metafile.yml'
TASK = 'Semantic Segmentation'
REPRODUCES = ('unknown', 'no', 'yes')
NOT_METRICS = ('mode', 'epoch', 'iter')
RESULT_KEYS = ('File', 'Iteration', 'Dataset', 'Test')
MODEL_KEYS = ('Name', 'In Collection', 'Log', 'Config', 'Machine', 'Train Time', 'Reproduces At Main',
              'Reproduction Note', 'Results')
DATASET_NAMES = {'DRIVEDataset': 'DRIVE', 'STAREDataset': 'STARE', 'ChaseDB1Dataset': 'CHASE_DB1',
                 'HRFDataset': 'HRF'}
PUBLISHED = re.compile(r'-([0-9a-f]{8})\.pth$')  # tools/publish_model.py: <name>-<sha256[:8]>.pth
SPEED_DIR = 'bench'  # results/bench/: speed and memory measurements, not model results


class ModelIndexError(ValueError):
    """A result file, sources.yml or README that cannot make a consistent index (the message says which)."""


def load_yaml(path: str) -> Any:
    try:
        with open(path, encoding='utf-8') as f:
            return yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        raise ModelIndexError(f'{path}: cannot read it as YAML: {e}') from e


def dump_yaml(value: Any) -> str:
    return yaml.safe_dump(value, sort_keys=False, allow_unicode=True, width=120)


def load_json_lines(path: str) -> List[dict]:
    """A JSON file (one object) or a JSON-lines training log (header, then records), as a list of objects."""
    with open(path, encoding='utf-8') as f:
        text = f.read()
    try:
        return [json.loads(text)]
    except json.JSONDecodeError:
        pass
    try:
        return [json.loads(line) for line in text.splitlines() if line.strip()]
    except json.JSONDecodeError as e:
        raise ModelIndexError(f'{path}: neither a JSON object nor JSON lines: {e}') from e


def percent(value: Any) -> Optional[float]:
    """A 0..1 metric as a percentage with two decimals (None for NaN, as the observer's AUC)."""
    value = float(value)
    return None if math.isnan(value) else round(100 * value, 2)


def mean_count(value: Any) -> Optional[float]:
    """A per-image mean count (connected components) as it is, two decimals (None for NaN)."""
    value = float(value)
    return None if math.isnan(value) else round(value, 2)


# fov.components_pred / _label: mean connected components per image, counts rather than 0..1 fractions
COUNT_METRICS = frozenset(f'fov.{key}' for key in COUNT_KEYS)


def metrics_of(record: dict) -> Dict[str, Optional[float]]:
    """The record's metrics as the index shows them: fractions in percent, component counts as they are."""
    return {k: (mean_count if k in COUNT_METRICS else percent)(v) for k, v in record.items()
            if k not in NOT_METRICS and isinstance(v, (int, float)) and not isinstance(v, bool)}


def cv_metrics(stats: Dict[str, dict]) -> Dict[str, Optional[float]]:
    """A cross-validation report's metrics: each key's mean over the runs, and its spread over the runs (sample
    std) as '<key>.std', shown as :func:`metrics_of` shows the key."""
    means = metrics_of({key: value['mean'] for key, value in stats.items()})
    spreads = metrics_of({key: value['std'] for key, value in stats.items()})
    return {**means, **{f'{key}.std': value for key, value in spreads.items()}}


def config_from_text(text: str) -> Config:
    with tempfile.TemporaryDirectory() as tmp:
        path = osp.join(tmp, 'recorded.py')
        with open(path, 'w', encoding='utf-8') as f:
            f.write(text)
        return Config.fromfile(path, import_custom_modules=False)


def _datasets(data_cfg: Any) -> List[dict]:
    """The leaf dataset configs of ``data.train`` / ``data.test`` (RepeatDataset, ConcatDataset, lists opened)."""
    if isinstance(data_cfg, (list, tuple)):
        return [d for item in data_cfg for d in _datasets(item)]
    if 'dataset' in data_cfg:
        return _datasets(data_cfg['dataset'])
    if 'datasets' in data_cfg:
        return _datasets(data_cfg['datasets'])
    return [data_cfg]


def dataset_names(data_cfg: Any) -> List[str]:
    names = []
    for leaf in _datasets(data_cfg):
        name = DATASET_NAMES.get(leaf.get('type'), str(leaf.get('type')).replace('Dataset', ''))
        if name not in names:
            names.append(name)
    return names


def crop_size(train_cfg: Any) -> Optional[str]:
    for leaf in _datasets(train_cfg):
        for step in leaf.get('pipeline', []):
            if step.get('type') == 'RandomCrop':
                height, width = step['crop_size']
                return f'({height},{width})'
    return None


class Git:
    """The commit that added each result file (None everywhere when git or a full history is missing)."""

    def __init__(self, root: str):
        self.root = root
        shallow = self._run('rev-parse', '--is-shallow-repository')
        self.available = shallow is not None and shallow.strip() == 'false' and \
            osp.realpath((self._run('rev-parse', '--show-toplevel') or '').strip() or '/nonexistent') == \
            osp.realpath(root)

    def _run(self, *args: str) -> Optional[str]:
        try:
            done = subprocess.run(['git', '-C', self.root, *args], capture_output=True, text=True, timeout=30)
        except (OSError, subprocess.SubprocessError):
            return None
        return done.stdout if done.returncode == 0 else None

    def added_in(self, path: str) -> Optional[str]:
        """Full hash of the commit that added ``path`` (relative to the root); 'uncommitted' when it is not in
        HEAD yet; None when git cannot tell."""
        if not self.available:
            return None
        if self._run('ls-files', '--error-unmatch', '--', path) is None or \
                self._run('cat-file', '-e', f'HEAD:{path}') is None:
            return 'uncommitted'
        out = self._run('log', '--diff-filter=A', '--format=%H', '--', path)
        return out.split()[0] if out and out.split() else 'uncommitted'


def check_keys(entry: Any, allowed: Tuple[str, ...], where: str) -> None:
    """A sources.yml mapping holds only ``allowed`` keys (a typo is an error, not a silently ignored key)."""
    if not isinstance(entry, dict):
        raise ModelIndexError(f'{where}: expected a mapping, got {entry!r}')
    unknown = [k for k in entry if k not in allowed]
    if unknown:
        raise ModelIndexError(f'{where}: unknown key(s) {unknown}; expected some of {list(allowed)}')


def provenance_level(record: Optional[dict], needs_checkpoint: bool) -> str:
    """'full': a provenance record with a known commit of a clean tree (and the checkpoint's sha256 for an
    eval); 'partial': a record that lacks some of that; 'none': no record."""
    if not isinstance(record, dict):
        return 'none'
    git = record.get('git', {})
    complete = git.get('commit', 'unknown') != 'unknown' and git.get('dirty') is False
    if needs_checkpoint:
        complete = complete and bool(record.get('checkpoint', {}).get('sha256'))
    return 'full' if complete else 'partial'


def describe_machine(record: dict) -> str:
    machine = record.get('machine', {})
    flags = machine.get('cpu_flags')
    parts = [f"{machine.get('cpus_usable')} of {machine.get('cpu_count')} CPUs",
             f"{machine.get('torch_threads')} torch threads"]
    if flags:
        parts.append(' '.join(flags))
    text = f"{machine.get('cpu', 'unknown CPU')} ({', '.join(parts)})"
    if machine.get('gpus'):
        text += f"; {record.get('processes', 1)} process(es) on {', '.join(machine['gpus'])}"
    return text


def describe_software(header: dict) -> str:
    """The versions that shape a run's numerics (torch, NumPy, OpenCV: the pipeline resizes and converts with
    it), from the provenance record or, in older logs, the environment lines of the header."""
    software = (header.get('provenance') or {}).get('software')
    if software:
        return f"PyTorch {software['torch']}, NumPy {software['numpy']}, OpenCV {software['opencv']}"
    env = dict(line.split(': ', 1) for line in str(header.get('env_info', '')).splitlines() if ': ' in line)
    found = [f'{name} {env[name]}' for name in ('PyTorch', 'NumPy', 'OpenCV') if name in env]
    threads = re.search(r'\((\d+) torch threads\)', env.get('CPU', ''))
    if threads:
        found.append(f'{threads.group(1)} torch threads')
    return ', '.join(found) or 'unknown'


class FamilyIndexer:
    """Builds the index of one family (``configs/<family>``) from its sources.yml and result files."""

    def __init__(self, family_dir: str, root: str = PROJECT_ROOT, previous: Optional[dict] = None):
        self.family_dir = osp.abspath(family_dir)
        self.root = osp.abspath(root)
        self.results_dir = osp.join(self.family_dir, 'results')
        self.sources_path = osp.join(self.family_dir, SOURCES)
        self.git = Git(self.root)
        self.previous = previous or {}  # the committed index: git facts come from it when git cannot say
        self._config_cache: Dict[str, Config] = {}

    # -- paths and files ------------------------------------------------------------------------------
    def rel(self, path: str) -> str:
        return osp.relpath(path, self.root)

    def result_path(self, name: str, where: str) -> str:
        path = osp.normpath(osp.join(self.results_dir, name))
        if not osp.isfile(path):
            raise ModelIndexError(f'{where}: {self.rel(path)} does not exist')
        return path

    def committed_result_files(self) -> List[str]:
        found = []
        for folder, dirs, files in os.walk(self.results_dir):
            dirs[:] = sorted(d for d in dirs if osp.relpath(osp.join(folder, d), self.results_dir) != SPEED_DIR)
            found += [osp.join(folder, f) for f in sorted(files) if f.endswith('.json')]
        return found

    def config(self, path: str) -> Config:
        if path not in self._config_cache:
            self._config_cache[path] = Config.fromfile(path, import_custom_modules=False)
        return self._config_cache[path]

    def added_in(self, path: str) -> str:
        commit = self.git.added_in(self.rel(path))
        if commit is None:  # no git history here: keep what the committed index says
            commit = self.previous.get(self.rel(path), 'unknown')
        return commit

    # -- one result -----------------------------------------------------------------------------------
    def read_result(self, entry: dict, model: dict, where: str) -> Tuple[dict, Optional[dict]]:
        """(the index's Results entry, the file's provenance record) of one sources.yml result."""
        check_keys(entry, RESULT_KEYS, where)
        if 'File' not in entry:
            raise ModelIndexError(f'{where}: no File (a path under {self.rel(self.results_dir)})')
        path = self.result_path(entry['File'], where)
        records = load_json_lines(path)
        result: Dict[str, Any] = {'Task': TASK}
        provenance = None
        if len(records) == 1 and 'runs' in records[0] and 'stats' in records[0]:  # tools/cross_validate.py's report
            record, kind, iteration = records[0], 'cv', None
            metrics, provenance = cv_metrics(record['stats']), record.get('provenance')
            dataset = None
            test = entry.get('Test', record.get('protocol', 'cross-validation'))
        elif len(records) > 1 or 'config' in records[0] and 'metric' not in records[0]:  # a training log
            vals = [r for r in records[1:] if r.get('mode') == 'val']
            iteration = entry.get('Iteration', vals[-1]['iter'] if vals else None)
            chosen = [r for r in vals if r['iter'] == iteration]
            if not chosen:
                raise ModelIndexError(f'{where}: {self.rel(path)} has no validation record at iteration {iteration} '
                                      f'(it has {[r["iter"] for r in vals]})')
            metrics, kind = metrics_of(chosen[0]), 'log'
            provenance = records[0].get('provenance')
            dataset = dataset_names(config_from_text(records[0]['config']).data.val)
            test = entry.get('Test', f'validation at iteration {iteration}')
        elif 'metric' in records[0]:  # tools/test.py's eval JSON
            record, kind, iteration = records[0], 'eval', None
            metrics, provenance = metrics_of(record['metric']), record.get('provenance')
            dataset = self.eval_dataset(record, entry, model, where)
            test = entry.get('Test', 'tools/test.py on the test split')
        else:  # an observer JSON: metrics at the top level
            kind, iteration, metrics, dataset = 'observer', None, metrics_of(records[0]), None
            test = entry.get('Test', 'second observer against the first')
        if 'Dataset' in entry:
            if dataset is not None and kind != 'eval' and entry['Dataset'] not in dataset:
                raise ModelIndexError(f'{where}: Dataset {entry["Dataset"]!r}, but {self.rel(path)} says {dataset}')
            dataset = [entry['Dataset']]
        if not dataset:
            raise ModelIndexError(f'{where}: {self.rel(path)} does not say what it was scored on; give its Dataset')
        result.update(Dataset=' + '.join(dataset), Metrics=metrics, Test=test, Source=self.rel(path))
        if iteration is not None and kind == 'log':
            result['Iteration'] = iteration
        result['Committed In'] = self.added_in(path)
        result['Provenance'] = provenance_level(provenance, needs_checkpoint=kind == 'eval') \
            if kind != 'observer' else 'n/a'
        if kind == 'eval':
            self.eval_details(records[0], result)
        return result, provenance

    def eval_dataset(self, record: dict, entry: dict, model: dict, where: str) -> Optional[List[str]]:
        """The test set an eval JSON records (--test-set), else sources.yml's Dataset, else the config's."""
        test_set = record.get('test_set') or record.get('provenance', {}).get('test_set')
        if test_set:
            recorded = dataset_names(self.config(osp.join(self.root, test_set)).data.test)
            if 'Dataset' in entry and entry['Dataset'] not in recorded:
                raise ModelIndexError(f'{where}: Dataset {entry["Dataset"]!r}, but the file records --test-set '
                                      f'{test_set} ({recorded})')
            return recorded
        if 'Dataset' in entry:
            return None
        return dataset_names(self.config(osp.join(self.root, model['Config'])).data.test)

    @staticmethod
    def eval_details(record: dict, result: dict) -> None:
        result['Checkpoint'] = record.get('checkpoint')
        checkpoint = record.get('provenance', {}).get('checkpoint', {})
        if checkpoint.get('sha256'):
            result['Checkpoint SHA256'] = checkpoint['sha256']
        options = record.get('cfg_options')
        if options:
            result['Test Options'] = options
        if record.get('test_set'):
            result['Test Set'] = record['test_set']

    # -- one model ------------------------------------------------------------------------------------
    def model(self, spec: dict, collection: str, where: str) -> dict:
        check_keys(spec, MODEL_KEYS, where)
        name = spec.get('Name')
        if not name:
            raise ModelIndexError(f'{where}: no Name')
        reproduces = spec.get('Reproduces At Main', 'unknown')
        reproduces = {True: 'yes', False: 'no'}.get(reproduces, reproduces)  # YAML 1.1 reads a bare no as False
        if reproduces not in REPRODUCES:
            raise ModelIndexError(f'{where}: Reproduces At Main {reproduces!r}; expected one of {list(REPRODUCES)}')
        model: Dict[str, Any] = {'Name': name, 'In Collection': spec.get('In Collection', collection)}
        header = None
        if spec.get('Log'):
            log = self.result_path(spec['Log'], f'{where}.Log')
            header = load_json_lines(log)[0]
        config = spec.get('Config') or self.config_of(spec)
        if config is not None:
            if not osp.isfile(osp.join(self.root, config)):
                raise ModelIndexError(f'{where}: its config {config} does not exist')
            model['Config'] = config
        metadata = self.training_metadata(spec, header, where)
        results, records = [], []
        for i, entry in enumerate(spec.get('Results') or []):
            result, provenance = self.read_result(entry, model, f'{where}.Results[{i}]')
            results.append(result)
            records.append((result, provenance))
        if not results:
            raise ModelIndexError(f'{where}: no Results')
        levels = [r['Provenance'] for r in results if r['Provenance'] != 'n/a']
        if header is not None:
            levels.append(provenance_level(header.get('provenance'), needs_checkpoint=False))
        if levels:
            metadata['Provenance'] = levels[0] if len(set(levels)) == 1 else 'partial'
            metadata['Reproduces At Main'] = reproduces
            if spec.get('Reproduction Note'):
                metadata['Reproduction Note'] = spec['Reproduction Note']
        model['Metadata'] = metadata
        model['Results'] = results
        weights = self.weights(records, where)
        if weights:
            model['Weights'], metadata['Weights SHA256'] = weights
        return model

    def config_of(self, spec: dict) -> Optional[str]:
        """The config file of a model: results/<sub>/NAME.log.json belongs to configs/<family>/<sub>/NAME.py."""
        if not spec.get('Log'):
            return None
        sub = osp.dirname(spec['Log'])
        return self.rel(osp.join(self.family_dir, sub, spec['Name'] + '.py'))

    def training_metadata(self, spec: dict, header: Optional[dict], where: str) -> Dict[str, Any]:
        metadata: Dict[str, Any] = {}
        hand: List[str] = []
        provenance = (header or {}).get('provenance')
        if header is not None:
            cfg = config_from_text(header['config'])
            processes = (provenance or {}).get('processes', 1)
            metadata.update({'Training Data': dataset_names(cfg.data.train), 'Iterations': cfg.runner.max_iters,
                             'Batch Size': cfg.data.samples_per_gpu * processes,
                             'Crop Size': crop_size(cfg.data.train), 'Seed': header.get('seed')})
        if header is not None:
            metadata['Software'] = describe_software(header)
        if provenance:
            metadata['Machine'] = describe_machine(provenance)
        elif spec.get('Machine'):
            metadata['Machine'] = spec['Machine']
            hand.append('Machine')
        if spec.get('Train Time'):
            metadata['Train Time'] = spec['Train Time']
            hand.append('Train Time')
        if header is not None:
            log = self.result_path(spec['Log'], where)
            metadata['Logged Iteration Time (s)'] = round(logged_iteration_seconds(load_json_lines(log)[1:]))
            metadata['Training Log'] = self.rel(log)
            metadata['Commit'] = self.added_in(log)
            metadata['Run Commit'] = (provenance or {}).get('git', {}).get('commit', 'unknown')
            if provenance and provenance.get('git', {}).get('dirty'):
                metadata['Run Commit'] += ' (dirty tree)'
        if hand:
            metadata['Hand-Recorded'] = hand
        return metadata

    def weights(self, records: List[Tuple[dict, Optional[dict]]], where: str) -> Optional[Tuple[str, str]]:
        """(file, sha256) of the published checkpoint the model's eval JSONs name (tools/publish_model.py puts
        the first 8 hex digits of its sha256 in the name), checked against the recorded hash."""
        found = set()
        for result, provenance in records:
            checkpoint = (provenance or {}).get('checkpoint', {})
            match = PUBLISHED.search(checkpoint.get('file', ''))
            if not match:
                continue
            if not checkpoint.get('sha256', '').startswith(match.group(1)):
                raise ModelIndexError(f'{where}: {result["Source"]} names the published checkpoint '
                                      f'{checkpoint["file"]} but records sha256 {checkpoint.get("sha256")!r}: '
                                      'not the file its name says')
            found.add((checkpoint['file'], checkpoint['sha256']))
        if len(found) > 1:
            raise ModelIndexError(f'{where}: its eval JSONs name several published checkpoints: {sorted(found)}')
        return found.pop() if found else None

    # -- the family -----------------------------------------------------------------------------------
    def build(self) -> Tuple[dict, dict]:
        """(the index, the sources it was built from)."""
        sources = load_yaml(self.sources_path)
        where = self.rel(self.sources_path)
        if not isinstance(sources, dict) or not sources.get('Collections') or not sources.get('Models'):
            raise ModelIndexError(f'{where}: expected Collections and Models (and optionally Tables)')
        collections = sources['Collections']
        names = [c.get('Name') for c in collections]
        models, listed = [], set()
        for i, spec in enumerate(sources['Models']):
            model = self.model(spec, names[0], f'{where}: Models[{i}] ({spec.get("Name")})')
            if model['In Collection'] not in names:
                raise ModelIndexError(f'{where}: model {model["Name"]}: In Collection {model["In Collection"]!r} '
                                      f'is not one of {names}')
            if any(m['Name'] == model['Name'] for m in models):
                raise ModelIndexError(f'{where}: model {model["Name"]} is listed twice')
            models.append(model)
            listed |= {osp.join(self.root, r['Source']) for r in model['Results']}
            if model['Metadata'].get('Training Log'):
                listed.add(osp.join(self.root, model['Metadata']['Training Log']))
        unlisted = [self.rel(p) for p in self.committed_result_files() if osp.normpath(p) not in
                    {osp.normpath(q) for q in listed}]
        if unlisted:
            raise ModelIndexError(f'{where}: committed result files that no model lists: {unlisted}; '
                                  'add each to its model (File, and Dataset/Test where the file does not say)')
        return {'Collections': collections, 'Models': models}, sources


def logged_iteration_seconds(records: List[dict]) -> float:
    """Sum of the training iterations' logged times (each line's mean time x the iterations since the last)."""
    total, previous = 0.0, 0
    for record in records:
        if record.get('mode') == 'train' and 'time' in record:
            total += record['time'] * (record['iter'] - previous)
            previous = record['iter']
    return total


def previous_commits(index: Optional[dict]) -> Dict[str, str]:
    """Source file -> commit as a committed index says (used when git history is missing)."""
    commits: Dict[str, str] = {}
    for model in (index or {}).get('Models', []):
        meta = model.get('Metadata', {})
        if meta.get('Training Log'):
            commits[meta['Training Log']] = meta.get('Commit', 'unknown')
        for result in model.get('Results', []):
            commits.setdefault(result.get('Source'), result.get('Committed In', 'unknown'))
    return commits
