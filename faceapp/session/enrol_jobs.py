"""EnrolJobs: samples to the gallery queue, screened (the loop's jobs and checked captures)."""

from __future__ import annotations

import logging
import threading
from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace

from faceapp.core.enrolment_check import EnrolmentVerdict, screen_embeddings
from faceapp.core.matching import DEFAULT_STRANGER_RATE, GalleryIndex
from faceapp.enrolment import PreparedSample
from faceapp.session.gallery import GalleryEdit, GalleryQueue
from faceapp.session.live import EnrolItem, EnrolOutcome, RecognitionLoop
from faceapp.session.runner import ignore
from faceapp.settings import Settings
from faceapp.storage.samples import NewSample

log = logging.getLogger(__name__)


def screen_samples(
    samples: Sequence[tuple[str, PreparedSample]],
    index: GalleryIndex,
    threshold: float | None,
    stranger_rate: float = DEFAULT_STRANGER_RATE,
) -> list[EnrolmentVerdict]:
    """Return the wrong-person verdict of each ``(name, sample)``, in order.

    See :func:`~faceapp.core.enrolment_check.screen_embeddings`.
    """
    pairs = [(name, sample.embedding) for name, sample in samples]
    return screen_embeddings(pairs, index, threshold, stranger_rate)


@dataclass(frozen=True)
class Screened:
    """A finished job as the wrong-person check saw it.

    Parameters
    ----------
    outcome : EnrolOutcome
    verdicts : tuple of EnrolmentVerdict
        One per sample of the outcome (empty when cancelled).
    flagged : tuple of int
        The samples the check refused; when not empty nothing was stored yet: the
        front end asks the user and calls :meth:`EnrolJobs.store` with what is kept.
    """

    outcome: EnrolOutcome
    verdicts: tuple[EnrolmentVerdict, ...] = ()
    flagged: tuple[int, ...] = ()

    @property
    def job_id(self) -> int:
        """The job's id (what :meth:`EnrolJobs.submit` returned)."""
        return self.outcome.job_id

    def kept(self, added: Sequence[int]) -> EnrolOutcome:
        """Return the outcome without the flagged samples, but for those in ``added``.

        ``added`` are positions in :attr:`flagged` (the ones the user adds anyway).
        """
        skipped = set(self.flagged) - {self.flagged[i] for i in added}
        samples = tuple(s for k, s in enumerate(self.outcome.samples) if k not in skipped)
        return replace(self.outcome, samples=samples)


@dataclass
class Stored:
    """A job's samples once written, one gallery write per name.

    ``names`` are the people who received samples, in the order of the outcome;
    ``failed`` one sentence per write that failed (nothing of that name was written).
    """

    outcome: EnrolOutcome
    names: list[str] = field(default_factory=list)
    failed: list[str] = field(default_factory=list)
    waiting: int = 0


class EnrolJobs:
    """Runs enrolment jobs on a recognition loop and writes their samples through a gallery queue.

    A job's samples are made in the recognition thread; there, at the end of the job,
    they are screened (:func:`screen_samples` against the loop's gallery snapshot) and,
    when none looks like someone else, handed straight to the gallery queue, which
    writes them in its thread.  Only a job with refused samples goes back to the front
    end (``on_screened`` with :attr:`Screened.flagged`), which asks the user and calls
    :meth:`store` with what they keep.  Samples made already (the capture dialog's
    check, :func:`~faceapp.session.capture_check.check_capture`) skip the loop:
    :meth:`store_checked` screens and writes them in one gallery operation.

    Parameters
    ----------
    loop : RecognitionLoop
        Makes the samples (its thread calls ``on_screened`` and the gallery queue).
    gallery : GalleryQueue
        Writes them.
    on_screened : callable(Screened)
        Every finished job, in the recognition thread: stored already (nothing
        flagged), waiting for the user (flagged), or cancelled; and, in the gallery
        thread, the samples of :meth:`store_checked` that wait for the user.
    on_stored : callable(Stored)
        A job's writes are all done; called by :meth:`edit_finished` (its thread).

    Notes
    -----
    The front end calls :meth:`edit_finished` with every :class:`GalleryEdit` once it
    has taken it in (the window: after its people list follows it), so ``on_stored``
    comes after the people are listed.  A lock makes a ticket known before its edit
    can be looked up, whichever thread reports it first.
    """

    def __init__(
        self,
        loop: RecognitionLoop,
        gallery: GalleryQueue,
        on_screened: Callable[[Screened], None] = ignore,
        on_stored: Callable[[Stored], None] = ignore,
    ) -> None:
        self._loop = loop
        self._gallery = gallery
        self.on_screened = on_screened
        self.on_stored = on_stored
        self._lock = threading.Lock()
        self._writes: dict[int, tuple[Stored, str]] = {}
        self._rules: tuple[float | None, float] = (None, DEFAULT_STRANGER_RATE)

    def set_rules(self, threshold: float | None, stranger_rate: float) -> None:
        """Screen with recognition's ``threshold`` (None: automatic) and ``stranger_rate``."""
        self._rules = (threshold, stranger_rate)

    def follow(self, settings: Settings) -> None:
        """Screen with the recognition rules of ``settings`` (threshold, stranger rate)."""
        self.set_rules(settings.threshold, settings.stranger_rate)

    def submit(self, items: Sequence[EnrolItem]) -> int:
        """Queue a job of ``items`` on the loop; returns its id (any thread)."""
        return self._loop.submit_job(items, self._finished)

    def store_checked(self, name: str, samples: Sequence[PreparedSample]) -> int:
        """Screen and store samples made already (the capture check's); returns a job id.

        One gallery operation, in the gallery thread: the samples are screened against
        the loop's gallery snapshot, as a job's are, and written when none is refused.
        When one is, nothing is written and ``on_screened`` (gallery thread) gets the
        :class:`Screened` job to ask about; :meth:`store` writes what the user keeps.
        """
        outcome = EnrolOutcome(self._loop.new_job_id(), tuple((name, s) for s in samples), ())
        stored = Stored(outcome, waiting=1)
        ticket = [0]

        def screen() -> str | None:
            screened = self._screen(outcome)
            if not screened.flagged:
                return None
            with self._lock:
                self._writes.pop(ticket[0], None)  # its refusal is no failed write
            self.on_screened(screened)
            return "refused by the wrong-person check; the user is asked"

        with self._lock:
            ticket[0] = self._gallery.add_samples(name, [s.stored() for s in samples], screen)
            self._writes[ticket[0]] = (stored, name)
        return outcome.job_id

    def _screen(self, outcome: EnrolOutcome) -> Screened:
        """Return ``outcome`` screened against the loop's gallery snapshot (any thread)."""
        index = self._loop.gallery_index() or GalleryIndex.empty()
        threshold, rate = self._rules
        verdicts = tuple(screen_samples(outcome.samples, index, threshold, rate))
        flagged = tuple(k for k, v in enumerate(verdicts) if not v.ok)
        for k in flagged:
            log.info("%s: %s", outcome.samples[k][1].source, verdicts[k].message)
        return Screened(outcome, verdicts, flagged)

    def _finished(self, outcome: EnrolOutcome) -> None:
        """Screen a finished job in the recognition thread; store it when nothing is refused."""
        if outcome.cancelled:
            log.info("enrolment job %d cancelled; nothing stored", outcome.job_id)
            self.on_screened(Screened(outcome))
            return
        screened = self._screen(outcome)
        if not screened.flagged:
            self.store(outcome)
        self.on_screened(screened)

    def decide(self, screened: Screened, added: Sequence[int]) -> None:
        """Store a screened job as the user decided: the flagged samples ``added`` are kept.

        ``added`` are positions in :attr:`Screened.flagged`; the other flagged samples
        are skipped, the samples nobody refused are stored (any thread).
        """
        skipped = len(screened.flagged) - len(added)
        log.info("job %d: %d added anyway, %d skipped", screened.job_id, len(added), skipped)
        self.store(screened.kept(added))

    def store(self, outcome: EnrolOutcome) -> None:
        """Write the samples of ``outcome``, one write per name (any thread)."""
        by_name: dict[str, list[NewSample]] = defaultdict(list)
        for name, sample in outcome.samples:
            by_name[name].append(sample.stored())
        stored = Stored(outcome)
        if not by_name:
            self.on_stored(stored)
            return
        with self._lock:
            for name, items in by_name.items():
                self._writes[self._gallery.add_samples(name, items)] = (stored, name)
                stored.waiting += 1

    def edit_finished(self, edit: GalleryEdit) -> None:
        """Take in a finished gallery write; calls ``on_stored`` when it ends a job's writes."""
        with self._lock:
            entry = self._writes.pop(edit.ticket, None)
            if entry is None:
                return
            stored, name = entry
            stored.waiting -= 1
            if edit.error is not None:
                stored.failed.append(f"{name}: {edit.error}")
            else:
                stored.names.append(name)
            done = stored.waiting == 0
        if done:
            order = list(dict.fromkeys(n for n, _ in stored.outcome.samples))
            stored.names.sort(key=order.index)
            self.on_stored(stored)
