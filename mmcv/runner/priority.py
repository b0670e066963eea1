"""Hook priorities: hooks with lower values run first at every stage."""
from enum import IntEnum
from typing import Union


class Priority(IntEnum):
    HIGHEST = 0
    VERY_HIGH = 10
    HIGH = 30
    ABOVE_NORMAL = 40
    NORMAL = 50
    BELOW_NORMAL = 60
    LOW = 70
    VERY_LOW = 90
    LOWEST = 100


def get_priority(priority: Union[int, str, Priority]) -> int:
    """The value of ``priority``: a :class:`Priority`, its name ('NORMAL', case-insensitive) or an int 0-100."""
    if isinstance(priority, bool):
        raise TypeError(f'priority must be an int, a name or a Priority, got {priority!r}')
    if isinstance(priority, int):
        if not 0 <= priority <= 100:
            raise ValueError(f'priority must be in [0, 100], got {priority}')
        return int(priority)
    if isinstance(priority, str):
        try:
            return Priority[priority.upper()].value
        except KeyError:
            raise ValueError(f'unknown priority {priority!r}; use one of {", ".join(Priority.__members__)} '
                             'or an int in [0, 100]') from None
    raise TypeError(f'priority must be an int, a name or a Priority, got {type(priority).__name__}')
