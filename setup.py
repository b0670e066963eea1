"""Install the packages ``mmcv`` and ``mmseg`` and build the compiled ops ``mmcv._ext``.

The extension is built from ``mmcv/csrc``: the C++ (CPU) sources always, the CUDA sources too when
torch was built with CUDA and a CUDA toolkit (nvcc) is found. Environment variables:

    MMCV_WITH_OPS=0        pure-Python install: no extension (the ops use their PyTorch fallback)
    FORCE_CUDA=1           build the CUDA sources even without a visible GPU or a detected toolkit
    TORCH_CUDA_ARCH_LIST   compute capabilities to build for, e.g. "8.0 9.0" (default: the visible
                           GPUs', else "9.0" so that a GPU-less build stays short)
    CUDA_HOME              CUDA toolkit root (default: /usr/local/cuda when it holds lib64/libcudart*)
    MAX_JOBS               parallel compile jobs (ninja is used when it is on PATH)
"""
import glob
import os
import re
import shutil
from typing import Dict, List, Mapping, Optional, Sequence, Tuple

from setuptools import find_packages, setup

ROOT = os.path.dirname(os.path.abspath(__file__))
CSRC = os.path.join('mmcv', 'csrc')
DEFAULT_CUDA_ARCH_LIST = '9.0'
STANDARD_CUDA_HOME = '/usr/local/cuda'


def env_flag(environ: Mapping[str, str], name: str, default: bool) -> bool:
    """Read a 0/1 switch; anything but '', '0', 'false', 'no', 'off' counts as on."""
    value = environ.get(name)
    if value is None:
        return default
    return value.strip().lower() not in ('', '0', 'false', 'no', 'off')


def find_cuda_home(environ: Mapping[str, str], standard: str = STANDARD_CUDA_HOME) -> Optional[str]:
    """The CUDA toolkit root: $CUDA_HOME / $CUDA_PATH, else ``standard`` when it holds the CUDA runtime,
    else the folder above the ``bin/`` that holds nvcc on PATH; None when none is found."""
    for key in ('CUDA_HOME', 'CUDA_PATH'):
        if environ.get(key):
            return environ[key]
    if glob.glob(os.path.join(standard, 'lib64', 'libcudart*')):
        return standard
    nvcc = shutil.which('nvcc')
    return os.path.dirname(os.path.dirname(os.path.realpath(nvcc))) if nvcc else None


def has_nvcc(cuda_home: Optional[str]) -> bool:
    return cuda_home is not None and os.path.isfile(os.path.join(cuda_home, 'bin', 'nvcc'))


def should_build_cuda(torch_cuda_version: Optional[str], nvcc_found: bool, force: bool) -> bool:
    """Build the CUDA sources when forced, or when torch has CUDA and nvcc was found."""
    return force or (bool(torch_cuda_version) and nvcc_found)


def select_cuda_arch_list(env_value: Optional[str], capabilities: Sequence[Tuple[int, int]]) -> str:
    """TORCH_CUDA_ARCH_LIST if set, else the visible GPUs' capabilities, else the narrow default."""
    if env_value and env_value.strip():
        return env_value.strip()
    if capabilities:
        return ' '.join(f'{major}.{minor}' for major, minor in sorted(set(capabilities)))
    return DEFAULT_CUDA_ARCH_LIST


def read_requirements(path: str) -> List[str]:
    """Requirement lines of a pip requirements file, following ``-r other.txt`` includes."""
    requirements = []
    with open(path, encoding='utf-8') as f:
        for line in f:
            line = line.split('#', 1)[0].strip()
            if line.startswith('-r '):
                requirements += read_requirements(os.path.join(os.path.dirname(path), line[3:].strip()))
            elif line:
                requirements.append(line)
    return requirements


def read_version() -> str:
    """The release number of mmcv/version.py (read as text: setup.py must not import the package)."""
    with open(os.path.join(ROOT, 'mmcv', 'version.py'), encoding='utf-8') as f:
        match = re.search(r"^RELEASE = '([^']+)'", f.read(), re.MULTILINE)
    if match is None:
        raise RuntimeError("mmcv/version.py: no line RELEASE = '...' found")
    return match.group(1)


def make_extensions() -> Tuple[list, Dict[str, type]]:
    """The ``mmcv._ext`` extension and the build_ext command for it (none when MMCV_WITH_OPS=0)."""
    if not env_flag(os.environ, 'MMCV_WITH_OPS', True):
        print('mmcv._ext: MMCV_WITH_OPS=0, installing without compiled ops')
        return [], {}
    cuda_home = find_cuda_home(os.environ)
    if cuda_home and not os.environ.get('CUDA_HOME'):
        os.environ['CUDA_HOME'] = cuda_home  # torch.utils.cpp_extension reads it when first imported

    import torch
    from torch.utils.cpp_extension import BuildExtension, CppExtension, CUDAExtension

    cpp_sources = sorted(glob.glob(os.path.join(CSRC, '*.cpp')))
    cxx_flags = ['-O3']
    if should_build_cuda(torch.version.cuda, has_nvcc(cuda_home), env_flag(os.environ, 'FORCE_CUDA', False)):
        visible = [torch.cuda.get_device_capability(i) for i in range(torch.cuda.device_count())] \
            if torch.cuda.is_available() else []
        arch_list = select_cuda_arch_list(os.environ.get('TORCH_CUDA_ARCH_LIST'), visible)
        os.environ['TORCH_CUDA_ARCH_LIST'] = arch_list
        print(f'mmcv._ext: building C++ and CUDA sources for TORCH_CUDA_ARCH_LIST="{arch_list}" '
              f'(CUDA_HOME={cuda_home}, torch CUDA {torch.version.cuda})')
        extension = CUDAExtension(
            'mmcv._ext', cpp_sources + sorted(glob.glob(os.path.join(CSRC, '*.cu'))),
            define_macros=[('WITH_CUDA', None)],
            extra_compile_args={'cxx': cxx_flags, 'nvcc': ['-O3']})
    else:
        print(f'mmcv._ext: building C++ (CPU) sources only (torch CUDA: {torch.version.cuda}, '
              f'nvcc under CUDA_HOME={cuda_home}: {has_nvcc(cuda_home)}; FORCE_CUDA=1 to insist)')
        extension = CppExtension('mmcv._ext', cpp_sources, extra_compile_args={'cxx': cxx_flags})
    return [extension], {'build_ext': BuildExtension}


if __name__ == '__main__':
    ext_modules, cmdclass = make_extensions()
    setup(
        name='mmseg-unetpp',
        version=read_version(),
        description='mmsegmentation-style UNet++ for retinal vessel segmentation, with its own mmcv',
        python_requires='>=3.9',
        packages=find_packages(exclude=('tests', 'tests.*', 'configs', 'configs.*', 'tools', 'tools.*',
                                        'bench', 'bench.*')),
        install_requires=read_requirements(os.path.join(ROOT, 'requirements', 'runtime.txt')),
        extras_require={
            'tests': read_requirements(os.path.join(ROOT, 'requirements', 'tests.txt')),
            'optional': read_requirements(os.path.join(ROOT, 'requirements', 'optional.txt')),
        },
        ext_modules=ext_modules,
        cmdclass=cmdclass,
        zip_safe=False,
    )
