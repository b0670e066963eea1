"""Registry: map ``dict(type='Name', ...)`` configs to objects."""
import difflib
import inspect
from typing import Any, Callable, Dict, Iterable, Optional, Union


class Registry:
    """A named table of classes (or functions) that configs can refer to by name.

    Args:
        name: what the registry holds, used in error messages ("models", "hooks").
        build_func: builds an object from a config; defaults to :func:`build_from_cfg`.
    """

    def __init__(self, name: str, build_func: Optional[Callable] = None):
        self._name = name
        self._module_dict: Dict[str, Any] = {}
        self.build_func = build_func or build_from_cfg

    @property
    def name(self) -> str:
        return self._name

    @property
    def module_dict(self) -> Dict[str, Any]:
        return self._module_dict

    def __len__(self) -> int:
        return len(self._module_dict)

    def __contains__(self, key: str) -> bool:
        return key in self._module_dict

    def __repr__(self) -> str:
        return f'{self.__class__.__name__}(name={self._name}, items={sorted(self._module_dict)})'

    def get(self, key: str) -> Optional[Any]:
        return self._module_dict.get(key)

    def build(self, cfg: dict, default_args: Optional[dict] = None) -> Any:
        return self.build_func(cfg, self, default_args)

    def close_names(self, key: str, n: int = 3) -> list:
        """Registered names that look like ``key`` (for "did you mean" hints)."""
        lowered = {k.lower(): k for k in self._module_dict}
        hits = difflib.get_close_matches(key.lower(), list(lowered), n=n, cutoff=0.5)
        return [lowered[h] for h in hits]

    def _register(self, module: Any, names: Union[str, Iterable[str], None], force: bool) -> None:
        if not (inspect.isclass(module) or inspect.isfunction(module)):
            raise TypeError(f'only a class or function can be registered in {self._name}, '
                            f'got {type(module).__name__}')
        if names is None:
            names = [module.__name__]
        elif isinstance(names, str):
            names = [names]
        for name in names:
            if not force and name in self._module_dict and self._module_dict[name] is not module:
                raise KeyError(f'{name!r} is already registered in {self._name} '
                               f'(by {self._module_dict[name].__module__}); pass force=True to replace it')
            self._module_dict[name] = module

    def register_module(self, name: Union[str, Iterable[str], None] = None, force: bool = False,
                        module: Any = None):
        """Register ``module`` now, or return a decorator that registers the class it wraps."""
        if not isinstance(force, bool):
            raise TypeError(f'force must be a bool, got {type(force).__name__}')
        if inspect.isclass(name) or inspect.isfunction(name):
            raise TypeError(f'register_module of {self._name} got {name.__name__} as the name; '
                            'decorate with @REGISTRY.register_module() (with parentheses)')
        if name is not None and not isinstance(name, str):
            if not (isinstance(name, (list, tuple)) and all(isinstance(n, str) for n in name)):
                raise TypeError(f'name must be a str or a list of str, got {name!r}')
            name = list(name)
        if module is not None:
            self._register(module, name, force)
            return module

        def decorator(cls):
            self._register(cls, name, force)
            return cls

        return decorator


def build_from_cfg(cfg: dict, registry: Registry, default_args: Optional[dict] = None) -> Any:
    """Build an object from ``cfg['type']`` (a registered name or a class) and the other keys."""
    if not isinstance(cfg, dict):
        raise TypeError(f'cfg for {registry.name} must be a dict, got {type(cfg).__name__}: {cfg!r}')
    if 'type' not in cfg and (default_args is None or 'type' not in default_args):
        raise KeyError(f'cfg for {registry.name} needs the key "type", got keys {sorted(cfg)}')
    args = dict(cfg)
    if default_args is not None:
        for key, value in default_args.items():
            args.setdefault(key, value)
    obj_type = args.pop('type')
    if isinstance(obj_type, str):
        obj_cls = registry.get(obj_type)
        if obj_cls is None:
            close = registry.close_names(obj_type)
            hint = f'; did you mean {", ".join(map(repr, close))}?' if close else ''
            raise KeyError(f'{obj_type!r} is not in the {registry.name} registry{hint} '
                           f'(registered: {", ".join(sorted(registry.module_dict)) or "none"})')
    elif inspect.isclass(obj_type) or inspect.isfunction(obj_type):
        obj_cls = obj_type
    else:
        raise TypeError(f'type must be a str or a class, got {type(obj_type).__name__}')
    try:
        return obj_cls(**args)
    except TypeError as e:
        raise TypeError(f'{obj_cls.__name__} (from the {registry.name} registry): {e}') from e
