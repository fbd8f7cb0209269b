"""Variants side by side: two to four ResNet variants on the same image, stage by stage."""
