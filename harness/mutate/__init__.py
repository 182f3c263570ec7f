"""`obsdrill mutate`: a mutation score for a monitoring config. Operators make small realistic defects of the
config under test (one file each, layered over it); selection picks the scenarios that touch what changed;
execution runs them on a stack; the score says which defects the scenarios caught, and how well they named them."""
