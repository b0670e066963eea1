"""Segmentation metrics (mmseg 0.x names), the FOV-masked retinal-vessel protocol and the evaluation hooks."""
from .eval_hooks import DistEvalHook, EvalHook
from .metrics import (areas_from_confusion, confusion_matrix, eval_metrics, f_score, intersect_and_union, mean_dice,
                      mean_fscore, mean_iou, pre_eval_to_metrics, total_area_to_metrics, total_intersect_and_union)
from .per_image import per_image_metrics
from .vessel_metrics import cldice, fov_metrics, fov_record, histogram_auc, topology_counts

__all__ = [
    'DistEvalHook', 'EvalHook',
    'areas_from_confusion', 'confusion_matrix', 'eval_metrics', 'f_score', 'intersect_and_union', 'mean_dice',
    'mean_fscore', 'mean_iou', 'pre_eval_to_metrics', 'total_area_to_metrics', 'total_intersect_and_union',
    'per_image_metrics', 'cldice', 'fov_metrics', 'fov_record', 'histogram_auc', 'topology_counts'
]
