"""Segmentation-specific machinery shared by models, datasets, APIs and hooks: the result type, metrics, test loop,
pictures of predictions."""
from .evaluation import (eval_metrics, fov_metrics, intersect_and_union, mean_dice, mean_fscore, mean_iou,
                         pre_eval_to_metrics)
from .seg_result import SegResult, as_seg_result

__all__ = ['eval_metrics', 'fov_metrics', 'intersect_and_union', 'mean_dice', 'mean_fscore', 'mean_iou',
           'pre_eval_to_metrics', 'SegResult', 'as_seg_result']
