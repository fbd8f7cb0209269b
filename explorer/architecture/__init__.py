"""The Architecture page: the stage table (paper Table 1) and the block diagram, computed from built models."""
