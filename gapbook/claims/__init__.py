"""The book's claims as data: what each states, how it is measured on the stored runs, and its verdict.

Every number the book states about a comparison comes from here: a chapter evaluates its claims
(:func:`evaluate`, or :func:`evaluate_all` over :func:`claims_of` a chapter), glues each verdict's numbers into its
text, draws them, and asserts only what a claim expects (``Verdict.holds``), never that an effect is absent because
its interval includes zero. ``gapbook claims`` prints every verdict, and with ``--add-seeds DIR`` which verdicts a
folder of extra runs would change.
"""

from .claim import Claim, Verdict, evaluate
from .evidence import Runs, Stores, final_accuracy, phase_end
from .measures import Measure, Paired, Welch, drop_one, mean_of, welch_of
from .registry import CLAIMS, Change, changes, claim, claims_of, evaluate_all
from .verdicts import NOT_SHOWN, SHOWN_ABOVE, SHOWN_BELOW, Expect, Interval, equivalent_words, signed, status_of

__all__ = [
    "CLAIMS",
    "NOT_SHOWN",
    "SHOWN_ABOVE",
    "SHOWN_BELOW",
    "Change",
    "Claim",
    "Expect",
    "Interval",
    "Measure",
    "Paired",
    "Runs",
    "Stores",
    "Verdict",
    "Welch",
    "changes",
    "claim",
    "claims_of",
    "drop_one",
    "equivalent_words",
    "evaluate",
    "evaluate_all",
    "final_accuracy",
    "mean_of",
    "phase_end",
    "signed",
    "status_of",
    "welch_of",
]
