"""Standards as data: profiles of clauses, the statistics that decide them, and results.

A profile (YAML) names, per clause, the bank it draws from, how many items,
the scorer, the metric, the threshold and its direction. :func:`load_profile`
validates one and reports every problem with its line; the statistics here
turn counts into intervals and verdicts under two rules (the standard's
literal rule and the default confident rule).
"""

from ._banks import BankRequirement, bank_requirements, requirement_of
from ._decide import Plan, confident_rule, literal_rule, n_to_decide, plan_sample
from ._load import LoadedProfile, ProfileError, builtin_profiles, load_profile, validate_profile
from ._results import (
    OUTCOME_WORDS,
    SCHEMA_VERSION,
    AssessmentResult,
    ClauseVerdict,
    Example,
    GroupRate,
    Manifest,
    Source,
    Suite,
    Text,
)
from ._schema import ASPECTS, GRADES, Clause, Draw, Profile
from ._stats import clopper_pearson, interval, wilson

__all__ = [
    "ASPECTS",
    "GRADES",
    "OUTCOME_WORDS",
    "SCHEMA_VERSION",
    "AssessmentResult",
    "BankRequirement",
    "Clause",
    "ClauseVerdict",
    "Draw",
    "Example",
    "GroupRate",
    "LoadedProfile",
    "Manifest",
    "Plan",
    "Profile",
    "ProfileError",
    "Source",
    "Suite",
    "Text",
    "bank_requirements",
    "builtin_profiles",
    "clopper_pearson",
    "confident_rule",
    "interval",
    "literal_rule",
    "load_profile",
    "n_to_decide",
    "plan_sample",
    "requirement_of",
    "validate_profile",
    "wilson",
]
