"""CustomDataset: images and label maps in two folders, matched by file name, evaluated per image."""
import math
import os.path as osp
from typing import Any, Dict, Iterator, List, Optional, Sequence, Union

import numpy as np
from torch.utils.data import Dataset

from mmcv.fileio import scandir
from mmcv.image import imread, imwrite
from mmcv.logging import print_log
from mmseg.core.evaluation.metrics import (check_eval_options, check_metrics, confusion_matrix, pre_eval_to_metrics,
                                           total_area_to_metrics)
from mmseg.core.evaluation.per_image import per_image_metrics
from mmseg.core.evaluation.report import class_table, fov_table, summary_table
from mmseg.core.evaluation.vessel_metrics import COUNT_KEYS, FOV_KEYS, fov_metrics, fov_record
from mmseg.core.seg_result import SegResult, as_seg_result

from .builder import DATASETS
from .pipelines import Compose, LoadAnnotations
from .pipelines.loading import LABEL_SPEC_KEY, LabelSpec

#: what evaluation takes per image: a SegResult, or a plain label map (mmseg 0.x; no probabilities)
Prediction = Union[SegResult, np.ndarray]


@DATASETS.register_module()
class CustomDataset(Dataset):
    """A segmentation dataset laid out as::

        data_root/img_dir/xxx{img_suffix}       data_root/ann_dir/xxx{seg_map_suffix}
        data_root/fov_dir/xxx{fov_suffix}       (optional field-of-view masks, non-zero = inside)

    Images are all files of ``img_dir`` (recursively) ending with ``img_suffix``, or the names
    listed in ``split`` (one per line, without suffix). Label maps hold class ids; ``ignore_index``
    pixels are left out of losses and metrics; any other value outside the classes is an error naming
    the file when it is loaded (training and evaluation alike). ``classes`` picks (and orders) a subset of
    ``CLASSES``: labels of other classes become ``ignore_index`` through ``label_map``.
    With ``fov_dir`` (or predictions that carry their own ``fov``), evaluation adds the FOV-masked vessel
    metrics of class 1.
    """
    CLASSES: Optional[Sequence[str]] = None
    PALETTE: Optional[Sequence[Sequence[int]]] = None
    #: how to create the data when its folder is missing (shown in the error)
    DATA_HINT = 'Check data_root and the folder names in the dataset config.'

    def __init__(self, pipeline: Sequence[dict], img_dir: str, img_suffix: str = '.jpg',
                 ann_dir: Optional[str] = None, seg_map_suffix: str = '.png', split: Optional[str] = None,
                 data_root: Optional[str] = None, test_mode: bool = False, ignore_index: int = 255,
                 reduce_zero_label: bool = False, classes: Union[str, Sequence[str], None] = None,
                 palette: Optional[Sequence[Sequence[int]]] = None, gt_seg_map_loader_cfg: Optional[dict] = None,
                 fov_dir: Optional[str] = None, fov_suffix: str = '_mask.png'):
        self.pipeline = Compose(pipeline)
        self.data_root = data_root
        self.img_dir = self._under_root(img_dir)
        self.ann_dir = self._under_root(ann_dir)
        self.fov_dir = self._under_root(fov_dir)
        self.split = self._under_root(split)
        self.img_suffix = img_suffix
        self.seg_map_suffix = seg_map_suffix
        self.fov_suffix = fov_suffix
        self.test_mode = test_mode
        self.ignore_index = ignore_index
        self.reduce_zero_label = reduce_zero_label
        self.label_map: Dict[int, int] = {}
        self.CLASSES, self.PALETTE = self.get_classes_and_palette(classes, palette)
        self.gt_seg_map_loader = LoadAnnotations(reduce_zero_label=reduce_zero_label,
                                                 **(gt_seg_map_loader_cfg or {}))
        self.img_infos = self.load_annotations(self.img_dir, img_suffix, self.ann_dir, seg_map_suffix, self.split)

    def _under_root(self, path: Optional[str]) -> Optional[str]:
        if path is None or self.data_root is None or osp.isabs(path):
            return path
        return osp.join(self.data_root, path)

    def _missing(self, what: str) -> FileNotFoundError:
        return FileNotFoundError(f'{self.__class__.__name__}: {what}. {self.DATA_HINT}')

    def _image_names(self, img_dir: str, img_suffix: str, split: Optional[str]) -> List[str]:
        if not osp.isdir(img_dir):
            raise self._missing(f'the image folder {img_dir} does not exist')
        if split is not None:
            if not osp.isfile(split):
                raise self._missing(f'the split file {split} does not exist')
            with open(split, encoding='utf-8') as f:
                return [line.strip() + img_suffix for line in f if line.strip()]
        names = sorted(scandir(img_dir, img_suffix, recursive=True))
        if not names:
            raise self._missing(f'no images ending with {img_suffix!r} in {img_dir}')
        return names

    def _companion_files(self, folder: Optional[str], names: List[str], suffix: str, what: str) -> Optional[List[str]]:
        """``name - img_suffix + suffix`` for each image, checked to exist in ``folder``."""
        if folder is None:
            return None
        if not osp.isdir(folder):
            raise self._missing(f'the {what} folder {folder} does not exist')
        files = [name[:len(name) - len(self.img_suffix)] + suffix for name in names]
        missing = [f for f in files if not osp.isfile(osp.join(folder, f))]
        if missing:
            raise self._missing(f'{len(missing)} {what} files are missing in {folder}, e.g. {missing[:3]}')
        return files

    def load_annotations(self, img_dir: str, img_suffix: str, ann_dir: Optional[str], seg_map_suffix: str,
                         split: Optional[str]) -> List[dict]:
        """One ``dict(filename=..., ann=dict(seg_map=...), fov=...)`` per image, sorted by file name."""
        names = self._image_names(img_dir, img_suffix, split)
        seg_maps = self._companion_files(ann_dir, names, seg_map_suffix, 'label map')
        fovs = self._companion_files(self.fov_dir, names, self.fov_suffix, 'FOV mask')
        infos = []
        for i, name in enumerate(names):
            info: Dict[str, Any] = dict(filename=name)
            if seg_maps is not None:
                info['ann'] = dict(seg_map=seg_maps[i])
            if fovs is not None:
                info['fov'] = fovs[i]
            infos.append(info)
        print_log(f'Loaded {len(infos)} images from {img_dir}', logger='mmseg')
        return sorted(infos, key=lambda info: info['filename'])

    def get_classes_and_palette(self, classes: Union[str, Sequence[str], None] = None,
                                palette: Optional[Sequence[Sequence[int]]] = None):
        """Class names and colours to use; a subset of ``CLASSES`` also sets ``self.label_map``."""
        if classes is None:
            return self.CLASSES, self.PALETTE if palette is None else palette
        if isinstance(classes, str):
            with open(classes, encoding='utf-8') as f:
                class_names = [line.strip() for line in f if line.strip()]
        else:
            class_names = list(classes)
        if self.CLASSES:
            unknown = [c for c in class_names if c not in self.CLASSES]
            if unknown:
                raise ValueError(f'classes {unknown} are not classes of {self.__class__.__name__} {self.CLASSES}')
            self.label_map = {i: class_names.index(c) if c in class_names else self.ignore_index
                              for i, c in enumerate(self.CLASSES)}
            if all(old == new for old, new in self.label_map.items()):
                self.label_map = {}
        if palette is None:
            if self.PALETTE is not None and self.CLASSES:
                palette = [self.PALETTE[self.CLASSES.index(c)] for c in class_names]
            else:
                palette = np.random.RandomState(42).randint(0, 255, size=(len(class_names), 3)).tolist()
        return tuple(class_names), palette

    def __len__(self) -> int:
        return len(self.img_infos)

    def get_ann_info(self, idx: int) -> dict:
        if 'ann' not in self.img_infos[idx]:
            raise KeyError(f'{self.__class__.__name__} has no label maps (ann_dir is None); '
                           f'cannot give the annotation of image {self.img_infos[idx]["filename"]}')
        return self.img_infos[idx]['ann']

    def pre_pipeline(self, results: dict) -> None:
        """Add the folders, the label map and the valid labels that the loading transforms read."""
        results['seg_fields'] = []
        results['img_prefix'] = self.img_dir
        results['seg_prefix'] = self.ann_dir
        results['fov_prefix'] = self.fov_dir
        if self.label_map:
            results['label_map'] = self.label_map
        if self.CLASSES:
            results[LABEL_SPEC_KEY] = LabelSpec(type(self).__name__, tuple(self.CLASSES), self.ignore_index)

    def prepare_train_img(self, idx: int) -> Optional[dict]:
        results = dict(img_info=self.img_infos[idx], ann_info=self.get_ann_info(idx))
        self.pre_pipeline(results)
        return self.pipeline(results)

    def prepare_test_img(self, idx: int) -> Optional[dict]:
        results = dict(img_info=self.img_infos[idx])
        self.pre_pipeline(results)
        return self.pipeline(results)

    def __getitem__(self, idx: int) -> Optional[dict]:
        return self.prepare_test_img(idx) if self.test_mode else self.prepare_train_img(idx)

    def get_gt_seg_map_by_idx(self, index: int) -> np.ndarray:
        """The label map of image ``index`` with ``label_map`` and ``reduce_zero_label`` applied."""
        results = dict(ann_info=self.get_ann_info(index))
        self.pre_pipeline(results)
        return self.gt_seg_map_loader(results)['gt_semantic_seg']

    def get_gt_seg_maps(self, efficient_test: Optional[bool] = None) -> Iterator[np.ndarray]:
        """All label maps, one at a time (``efficient_test`` is mmseg's flag, not needed here)."""
        for idx in range(len(self)):
            yield self.get_gt_seg_map_by_idx(idx)

    def get_fov_mask_by_idx(self, index: int) -> Optional[np.ndarray]:
        """The FOV mask of image ``index`` (non-zero = inside), or None without ``fov_dir``."""
        if self.fov_dir is None:
            return None
        return imread(osp.join(self.fov_dir, self.img_infos[index]['fov']), flag='unchanged', backend='pillow')

    def _record(self, pred: Prediction, gt: np.ndarray, index: int) -> dict:
        result = as_seg_result(pred, f'the prediction of image {index}')
        record = dict(confusion=confusion_matrix(result.label_map, gt, len(self.CLASSES), self.ignore_index))
        fov = result.fov if result.fov is not None else self.get_fov_mask_by_idx(index)
        if fov is not None:
            record['fov'] = fov_record(result.label_map, gt, fov, result.prob, self.ignore_index)
        return record

    def pre_eval(self, preds: Union[Prediction, List[Prediction]], indices: Union[int, List[int]]) -> List[dict]:
        """Per-image evaluation records of predictions (SegResults, or plain label maps).

        A record holds the confusion matrix and, with FOV masks, the vessel counts and P(vessel)
        histograms inside the FOV: a few KB per image whatever the image size.
        """
        if not isinstance(preds, list):
            preds = [preds]
        if not isinstance(indices, list):
            indices = [indices]
        if len(preds) != len(indices):
            raise ValueError(f'pre_eval got {len(preds)} predictions for {len(indices)} indices')
        if self.CLASSES is None:
            raise ValueError(f'{self.__class__.__name__} has no CLASSES; pass classes=... to evaluate it')
        return [self._record(pred, self.get_gt_seg_map_by_idx(idx), idx) for pred, idx in zip(preds, indices)]

    def evaluate(self, results: list, metric: Union[str, Sequence[str]] = 'mIoU', logger=None,
                 gt_seg_maps: Optional[Sequence[np.ndarray]] = None, **kwargs) -> Dict[str, float]:
        """Score ``results``: records from :meth:`pre_eval`, or predictions (SegResults or label maps) in dataset order.

        Returns fractions: 'aAcc', the class means ('mIoU', 'mDice', 'mAcc', ...), per-class values
        ('IoU.vessel', ...) and, with FOV masks, 'fov.Se', 'fov.Sp', 'fov.Acc', 'fov.AUC', 'fov.F1', 'fov.clDice'
        and the mean connected vessel components per image, 'fov.components_pred' and 'fov.components_label'.
        Prints the same as percent tables. ``kwargs`` are evaluation options (``beta`` of mFscore); an
        unknown one is an error (see :func:`~mmseg.core.evaluation.metrics.check_eval_options`).
        """
        metrics = check_metrics(metric)
        options = check_eval_options(kwargs, metrics)  # beta for mFscore; anything else is refused
        records = self.eval_records(results, gt_seg_maps)
        ret_metrics = pre_eval_to_metrics(records, metrics, beta=options['beta'])
        fov_records = [r['fov'] for r in records if isinstance(r, dict) and 'fov' in r]
        fov = fov_metrics(fov_records) if fov_records else None
        eval_results = flat_results(ret_metrics, self.CLASSES, fov)
        print_log('per class results:\n' + class_table(ret_metrics, self.CLASSES).get_string(), logger)
        summary = {key: value for key, value in eval_results.items() if '.' not in key}  # aAcc and the means
        print_log('Summary:\n' + summary_table(summary).get_string(), logger)
        if fov is not None:
            note = None if not np.isnan(fov['AUC']) else (
                'AUC is NaN: it needs vessel probabilities (SegResults with prob, i.e. test with '
                'return_prob=True); these results are label maps only.')
            print_log(f'Vessel metrics inside the FOV masks ({self.CLASSES[1]!r} vs the rest):\n'
                      + fov_table(fov, note, counts=COUNT_KEYS), logger)
        return eval_results

    def eval_records(self, results: list, gt_seg_maps: Optional[Sequence[np.ndarray]] = None) -> list:
        """``results`` as :meth:`pre_eval` records: records pass through, predictions (dataset order) are scored."""
        if gt_seg_maps is None and len(results) != len(self) and not all(_is_record(r) for r in results):
            raise ValueError(f'evaluate got {len(results)} predictions for {len(self)} images')
        return [r if _is_record(r) else
                self._record(r, gt_seg_maps[i] if gt_seg_maps is not None else self.get_gt_seg_map_by_idx(i), i)
                for i, r in enumerate(results)]

    def per_image_results(self, results: list, gt_seg_maps: Optional[Sequence[np.ndarray]] = None) -> List[dict]:
        """One dict per image of ``results`` (records or predictions, dataset order): its file name, its vessel
        Dice and, with FOV masks, its FOV metrics (see :func:`~mmseg.core.evaluation.per_image_metrics`).
        Kept apart from :meth:`evaluate`, whose flat dict of floats the evaluation hook and mmseg users expect."""
        records = self.eval_records(results, gt_seg_maps)
        names = [info['filename'] for info in self.img_infos[:len(records)]]
        return per_image_metrics(records, names, self.CLASSES)

    def metric_keys(self, metric: Union[str, Sequence[str]] = 'mIoU', **kwargs) -> List[str]:
        """The keys :meth:`evaluate` returns for ``metric``, scoring nothing (to check
        ``evaluation.save_best`` before training starts). FOV keys come with ``fov_dir``."""
        ones = np.ones(len(self.CLASSES))
        ret_metrics = total_area_to_metrics(ones, ones, ones, ones, metrics=check_metrics(metric))
        fov = dict.fromkeys(FOV_KEYS, math.nan) if self.fov_dir is not None else None
        return list(flat_results(ret_metrics, self.CLASSES, fov))

    def format_results(self, results: List[Prediction], imgfile_prefix: str, indices: Optional[List[int]] = None,
                       **kwargs) -> List[str]:
        """Write predictions as PNG label maps ``imgfile_prefix/<image name>.png``; returns the paths."""
        indices = list(range(len(results))) if indices is None else indices
        files = []
        for pred, idx in zip(results, indices):
            label_map = as_seg_result(pred, f'the prediction of image {idx}').label_map
            name = self.img_infos[idx]['filename']
            out_file = osp.join(imgfile_prefix, name[:len(name) - len(self.img_suffix)] + '.png')
            imwrite(np.asarray(label_map, dtype=np.uint8), out_file)
            files.append(out_file)
        return files

    def __repr__(self) -> str:
        return (f'{self.__class__.__name__}(num_images={len(self)}, img_dir={self.img_dir!r}, '
                f'ann_dir={self.ann_dir!r}, fov_dir={self.fov_dir!r}, test_mode={self.test_mode}, '
                f'classes={self.CLASSES})')


def flat_results(ret_metrics: Dict[str, Any], classes: Sequence[str],
                 fov: Optional[Dict[str, float]] = None) -> Dict[str, float]:
    """The flat dict that :meth:`CustomDataset.evaluate` returns (and :meth:`~CustomDataset.metric_keys` names):
    'aAcc', the class mean of each metric ('mDice', ...), each class's value ('Dice.vessel', ...) and the FOV
    metrics as 'fov.<key>'. ``ret_metrics`` is :func:`pre_eval_to_metrics`'s output (per-class arrays)."""
    per_class = {key: values for key, values in ret_metrics.items() if key != 'aAcc'}
    results = {'aAcc': float(ret_metrics['aAcc'])}
    with np.errstate(invalid='ignore'):
        results.update((f'm{key}', float(np.nanmean(values))) for key, values in per_class.items())
    for key, values in per_class.items():
        results.update((f'{key}.{name}', float(v)) for name, v in zip(classes, values))
    if fov is not None:
        results.update((f'fov.{key}', value) for key, value in fov.items())
    return results


def _is_record(result: Any) -> bool:
    """True for a ``pre_eval`` record (or mmseg's 4-tuple of areas), False for a prediction."""
    return (isinstance(result, dict) and 'confusion' in result) or (isinstance(result, tuple) and len(result) == 4)
