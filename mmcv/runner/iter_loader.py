"""An endless iterator over a DataLoader whose position can be saved and restored exactly."""
from typing import Any, Iterator, Optional

from torch.utils.data import BatchSampler, DataLoader, IterableDataset, Sampler

from mmcv.checkpoint import get_rng_state, set_rng_state


def _rng_state(generator) -> dict:
    """The global RNG states and those of the loader's ``generator`` (None if it has none)."""
    return {'rng': get_rng_state(), 'generator': None if generator is None else generator.get_state()}


def _set_rng_state(state: dict, generator) -> None:
    set_rng_state(state['rng'])
    if state['generator'] is not None and generator is not None:
        generator.set_state(state['generator'].cpu())


class _RecordingSampler(Sampler):
    """Stands in for a BatchSampler's sampler: records the RNG states each time a pass draws its order,
    and can replay a recorded draw once with the first ``skip`` indices left out.

    Recording at the draw itself (not when the loader's iterator is made) keeps replays exact however
    the loader draws its own seeds (e.g. persistent workers draw them only once).
    """

    def __init__(self, sampler: Sampler, generator):
        self.sampler = sampler
        self.generator = generator
        self.state: Optional[dict] = None
        self._replay: Optional[tuple] = None

    def replay(self, state: Optional[dict], skip: int) -> None:
        """Make the next pass repeat the draw recorded as ``state`` (None: draw from the current
        states), without its first ``skip`` indices."""
        self._replay = (state, skip)

    def __iter__(self) -> Iterator[Any]:
        if self._replay is None:
            self.state = _rng_state(self.generator)
            return iter(self.sampler)
        (state, skip), self._replay = self._replay, None
        current = get_rng_state()
        if state is not None:
            _set_rng_state(state, self.generator)
        self.state = state
        order = list(self.sampler)[skip:]
        set_rng_state(current)
        return iter(order)

    def __len__(self) -> int:
        return len(self.sampler)


class IterLoader:
    """Batches of ``data_loader`` without end; every pass over it is an epoch.

    Before each pass the sampler's ``set_epoch(epoch)`` is called (when it has one), so seeded and
    distributed samplers reshuffle. :meth:`state_dict` records the epoch, the batches consumed in it
    and the RNG states its order was drawn from; after :meth:`load_state_dict` the next batch is the
    one that followed when the state was taken: the pass's order is drawn again and its consumed part
    skipped by index (no data loading) when the loader uses a BatchSampler, else by loading and
    dropping batches. Resuming leaves the global RNG states as they were.

    With a BatchSampler, the loader's ``batch_sampler.sampler`` is wrapped for that purpose.
    """

    def __init__(self, data_loader: DataLoader):
        self._loader = data_loader
        self._recorder = self._install_recorder(data_loader)
        self._epoch = 0
        self._batches = 0
        self._iterator: Optional[Iterator] = None
        self._pass_state: Optional[dict] = None
        self._resume: Optional[dict] = None

    @staticmethod
    def _install_recorder(data_loader) -> Optional[_RecordingSampler]:
        batch_sampler = getattr(data_loader, 'batch_sampler', None)
        if not isinstance(batch_sampler, BatchSampler) or isinstance(data_loader.dataset, IterableDataset):
            return None
        if not isinstance(batch_sampler.sampler, _RecordingSampler):
            batch_sampler.sampler = _RecordingSampler(batch_sampler.sampler, data_loader.generator)
        return batch_sampler.sampler

    @property
    def _generator(self):
        return getattr(self._loader, 'generator', None)

    @property
    def epoch(self) -> int:
        return self._epoch

    def __len__(self) -> int:
        return len(self._loader)

    def __iter__(self) -> 'IterLoader':
        return self

    def __next__(self) -> Any:
        if self._iterator is None:
            self._start_pass()
        try:
            batch = next(self._iterator)
        except StopIteration:
            self._epoch += 1
            self._start_pass()
            batch = next(self._iterator)
        self._batches += 1
        return batch

    def state_dict(self) -> dict:
        pass_state = self._recorder.state if self._recorder is not None else self._pass_state
        return {'epoch': self._epoch, 'batches': self._batches, 'pass_state': pass_state}

    def load_state_dict(self, state: dict) -> None:
        """Continue from ``state`` (a :meth:`state_dict`) at the next batch."""
        self._epoch = int(state['epoch'])
        self._resume = state
        self._iterator = None

    def _start_pass(self) -> None:
        sampler = getattr(self._loader, 'sampler', None)
        if hasattr(sampler, 'set_epoch'):
            sampler.set_epoch(self._epoch)
        resume, self._resume = self._resume, None
        self._batches = 0 if resume is None else int(resume['batches'])
        if resume is None:
            self._pass_state = None if self._recorder is not None else _rng_state(self._generator)
            self._iterator = iter(self._loader)
            return
        current = get_rng_state()
        if self._recorder is not None:
            self._recorder.replay(resume['pass_state'], self._batches * self._loader.batch_sampler.batch_size)
            self._iterator = iter(self._loader)
        else:
            self._pass_state = resume['pass_state']
            self._skip_by_loading(self._batches)
        set_rng_state(current)

    def _skip_by_loading(self, num_batches: int) -> None:
        """Start the pass from its recorded RNG states and drop its first ``num_batches`` batches."""
        if self._pass_state is not None:
            _set_rng_state(self._pass_state, self._generator)
        self._iterator = iter(self._loader)
        end = object()
        for _ in range(num_batches):
            if next(self._iterator, end) is end:
                break
