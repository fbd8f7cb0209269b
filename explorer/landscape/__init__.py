"""Beyond the paper, part two: slices of the loss landscape around trained weights (Li et al. 2018)."""
