from .check_args import check_test_args
from .inference import draw_result, inference_segmentor, init_segmentor
from .test import multi_gpu_test, single_gpu_test
from .train import init_random_seed, set_random_seed, train_segmentor

__all__ = ['init_segmentor', 'inference_segmentor', 'draw_result', 'single_gpu_test', 'multi_gpu_test',
           'init_random_seed', 'set_random_seed', 'train_segmentor', 'check_test_args']
