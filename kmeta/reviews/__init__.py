"""Published reviews re-derived by kmeta, one module per review.

Each module loads the review's data from ``kmeta/data/<review>/`` (every value with
its ``source``, ``location`` and ``kind``) and holds the analyses that try to
reproduce it.

Modules
-------
orhurhu2019
    Orhurhu, Orhurhu, Bhatia, Cohen. Ketamine infusions for chronic pain: a
    systematic review and meta-analysis of randomized controlled trials.
    Anesth Analg 2019;129:241–54. Data, reconstruction, checks and the scorecard.
sbu2018
    The SBU Enquiry Service's 2018 overview of 15 systematic reviews (ut201837).
practice2016
    The 2016 clinical practice review: the long-infusion trials, dosing statements,
    pharmacokinetic parameters.
clinsummary
    The clinical web summary citing Orhurhu 2019 and Zhao 2018, claim by claim.
orhurhu2019summary
    The one-page summary of Orhurhu 2019, statement by statement.
zhao2018
    Zhao et al. 2018 (CRPS): the summary numbers that are public.
michelet2018
    Michelet et al. 2018: its abstract figures and the time points it pooled.

Import a review module explicitly, e.g. ``from kmeta.reviews import orhurhu2019``.
"""

__all__ = ["orhurhu2019", "sbu2018", "practice2016", "clinsummary", "orhurhu2019summary",
           "zhao2018", "michelet2018"]
