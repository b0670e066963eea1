"""setup.py's build decisions: which CUDA toolkit, whether to compile the CUDA sources, for which archs,
and the pure-Python switch MMCV_WITH_OPS=0."""
import importlib.util
from pathlib import Path

import pytest

SETUP_PY = Path(__file__).resolve().parents[3] / 'setup.py'


@pytest.fixture(scope='module')
def setup_module():
    spec = importlib.util.spec_from_file_location('mmcv_setup', SETUP_PY)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)  # defines the helpers; setup() only runs as __main__
    return module


def test_arch_list_prefers_env_then_visible_gpus_then_narrow_default(setup_module):
    select = setup_module.select_cuda_arch_list
    assert select('8.0 9.0+PTX', [(8, 6)]) == '8.0 9.0+PTX'
    assert select(None, [(9, 0), (8, 6), (9, 0), (10, 0)]) == '8.6 9.0 10.0'
    assert select('', []) == '9.0'


def test_cuda_sources_need_torch_cuda_and_nvcc_unless_forced(setup_module):
    should = setup_module.should_build_cuda
    assert should('13.0', nvcc_found=True, force=False)
    assert not should(None, nvcc_found=True, force=False)
    assert not should('13.0', nvcc_found=False, force=False)
    assert should(None, nvcc_found=False, force=True)


def test_cuda_home_from_env_else_standard_folder_with_runtime(setup_module, tmp_path, monkeypatch):
    monkeypatch.setenv('PATH', '')  # no nvcc to fall back on
    find = setup_module.find_cuda_home
    standard = tmp_path / 'cuda'
    assert find({'CUDA_HOME': '/opt/cuda-12'}, standard=str(standard)) == '/opt/cuda-12'
    assert find({}, standard=str(standard)) is None
    (standard / 'lib64').mkdir(parents=True)
    (standard / 'lib64' / 'libcudart.so').touch()
    assert find({}, standard=str(standard)) == str(standard)
    assert not setup_module.has_nvcc(str(standard))


def test_mmcv_with_ops_0_builds_no_extension(setup_module, monkeypatch):
    monkeypatch.setenv('MMCV_WITH_OPS', '0')
    assert setup_module.make_extensions() == ([], {})


def test_runtime_requirements_follow_includes(setup_module, tmp_path):
    (tmp_path / 'base.txt').write_text('numpy>=1.24  # arrays\n\n')
    (tmp_path / 'all.txt').write_text('-r base.txt\ntorch>=2.1\n')
    assert setup_module.read_requirements(str(tmp_path / 'all.txt')) == ['numpy>=1.24', 'torch>=2.1']
