"""Beyond the paper, part one: lesions and paths (Veit et al. 2016), on trained residual/plain pairs.

``walk`` runs a model with blocks deleted or reordered without copying or changing it; ``study`` draws the
curves of test error against the number of blocks deleted or swapped; ``paths`` measures how much gradient
paths of each length carry; ``nets`` provides the trained pairs and their test sets.
"""
