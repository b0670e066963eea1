"""``torch.compile`` for a segmentor's training losses and test forward, with an eager fallback.

``model.train_cfg.compile`` compiles ``forward_train`` (forward and losses; AOTAutograd compiles the backward
with it); ``model.test_cfg.compile`` compiles ``encode_decode`` (one window batch in slide mode, one image in
whole mode); :func:`~mmseg.models.acceleration.accelerate_segmentor` applies them. The value is ``True`` or a
dict of :func:`torch.compile` arguments, e.g. ``dict(mode='max-autotune', dynamic=False)`` or
``dict(backend='aot_eager')``.

Compiling is lazy (the backend compiles at the first call) and guarded: when ``torch.compile`` is missing or
fails (no C compiler for inductor, an unknown backend, an unsupported op), one warning on the 'mmseg.models'
logger names the reason and the segmentor runs eagerly from then on, with the results it would have had
without the option.
"""
import inspect
import logging
from typing import Any, Callable, Dict, Optional

import torch
from torch import nn

try:
    from torch._dynamo.exc import TorchDynamoException
except ImportError:  # torch without dynamo: compiling fails at the first call and falls back
    TorchDynamoException = RuntimeError

logger = logging.getLogger('mmseg.models')

# torch.compile's keyword arguments, should its signature not be readable
_KNOWN_ARGUMENTS = frozenset({'fullgraph', 'dynamic', 'backend', 'mode', 'options', 'disable'})


def compile_arguments() -> Optional[frozenset]:
    """Names of the keyword arguments of this torch's ``torch.compile`` (None: it takes any)."""
    compile_fn = getattr(torch, 'compile', None)
    if compile_fn is None:
        return _KNOWN_ARGUMENTS
    try:
        params = inspect.signature(compile_fn).parameters.values()
    except (TypeError, ValueError):
        return _KNOWN_ARGUMENTS
    if any(p.kind is inspect.Parameter.VAR_KEYWORD for p in params):
        return None
    return frozenset(p.name for p in params if p.kind is inspect.Parameter.KEYWORD_ONLY)


def compile_options(value: Any, key: str) -> Optional[Dict[str, Any]]:
    """The ``torch.compile`` keyword arguments that the setting ``key`` asks for, or None when it is off.

    ``value`` is None/False (off), True (torch.compile's defaults) or a dict of torch.compile arguments.
    """
    if value is None or value is False:
        return None
    if value is True:
        return {}
    if not isinstance(value, dict):
        raise TypeError(f'{key} must be True, False or a dict of torch.compile arguments (e.g. '
                        f"dict(mode='max-autotune')), got {type(value).__name__}: {value!r}")
    allowed = compile_arguments()
    unknown = sorted(set(value) - allowed) if allowed is not None else []
    if unknown:
        raise ValueError(f'{key}: unknown torch.compile argument(s) {unknown}; expected some of {sorted(allowed)}')
    return dict(value)


class CompiledCall:
    """Calls ``fn`` through ``torch.compile(fn, **options)``, or eagerly once compiling has failed.

    Until a compiled call has succeeded, any error of ``torch.compile`` or of the compiled call turns
    compiling off: ``module``'s buffers (BN statistics) are restored and ``fn`` runs eagerly. An error that
    the eager call raises as well is the caller's and propagates, compiling left on. After a success, only
    compiler errors (a failed recompilation for a new input shape) fall back.

    Args:
        fn: the eager callable (a bound method of ``module``).
        options: keyword arguments of ``torch.compile``.
        module: the module whose buffers ``fn`` may update.
        what: names the callable and its setting in the warning, e.g. 'training losses (train_cfg.compile)'.
    """

    def __init__(self, fn: Callable, options: Dict[str, Any], module: nn.Module, what: str):
        self.fn = fn
        self.options = options
        self.module = module
        self.what = what
        self.compiled: Optional[Callable] = None
        self.proven = False
        self.failure: Optional[str] = None

    def __getstate__(self) -> dict:
        # a copy (deepcopy, pickle) compiles its own fn again; compiled code would run the original's
        return dict(self.__dict__, compiled=None, proven=False)

    def __call__(self, *args: Any, **kwargs: Any) -> Any:
        if self.failure is not None:
            return self.fn(*args, **kwargs)
        if self.compiled is None:
            try:
                self.compiled = torch.compile(self.fn, **self.options)
            except Exception as err:  # noqa: BLE001 - any failure to compile means: run eagerly
                return self._fall_back(err, args, kwargs, buffers=None)
        if self.proven:
            try:
                return self.compiled(*args, **kwargs)
            except TorchDynamoException as err:
                return self._fall_back(err, args, kwargs, buffers=None)
        buffers = {name: buf.clone() for name, buf in self.module.named_buffers()}
        try:
            out = self.compiled(*args, **kwargs)
        except Exception as err:  # noqa: BLE001 - the backend compiles here: its errors mean: run eagerly
            return self._fall_back(err, args, kwargs, buffers)
        self.proven = True
        return out

    def _fall_back(self, err: Exception, args: tuple, kwargs: dict,
                   buffers: Optional[Dict[str, torch.Tensor]]) -> Any:
        """Restore the buffers, run eagerly and, if that works, turn compiling off with one warning."""
        if buffers is not None:
            with torch.no_grad():
                for name, buf in self.module.named_buffers():
                    buf.copy_(buffers[name])
        out = self.fn(*args, **kwargs)
        reason = ' '.join(str(err).split())  # compiler errors span lines: the cause is rarely on the first
        reason = reason.split(' Set TORCHDYNAMO_VERBOSE')[0]  # dynamo's advice on debugging it, not the cause
        if len(reason) > 300:
            reason = reason[:297] + '...'
        self.failure = f'{type(err).__name__}: {reason}'
        self.compiled = None
        logger.warning(f'torch.compile of the {self.what} failed ({self.failure}); running eagerly instead. '
                       'Results are those without compiling; set the option to False to skip the attempt.')
        return out


def compiled_if_asked(fn: Callable, module: nn.Module, cfg: dict, key: str) -> Callable:
    """``fn`` behind a :class:`CompiledCall` when ``cfg['compile']`` asks for it, else ``fn`` itself.

    ``key`` names ``cfg`` in messages ('train_cfg' or 'test_cfg').
    """
    options = compile_options(cfg.get('compile'), f'{key}.compile')
    if options is None:
        return fn
    what = {'train_cfg': 'training losses', 'test_cfg': 'test forward'}.get(key, fn.__name__)
    return CompiledCall(fn, options, module, f'{what} ({key}.compile)')
