"""Segmentation-specific machinery shared by datasets, APIs and hooks (metrics for now)."""
from .evaluation import (eval_metrics, fov_metrics, intersect_and_union, mean_dice, mean_fscore, mean_iou,
                         pre_eval_to_metrics)

__all__ = ['eval_metrics', 'fov_metrics', 'intersect_and_union', 'mean_dice', 'mean_fscore', 'mean_iou',
           'pre_eval_to_metrics']
