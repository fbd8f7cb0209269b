"""Transfer learning: fine-tune trained weights on a small target set with some stages frozen, against from scratch."""
