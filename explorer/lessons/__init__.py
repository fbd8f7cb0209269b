"""Lessons: files of steps (a page, its settings, what the teacher says, a question), checked against what the pages
offer, and the answers the explorer computes for their questions."""
