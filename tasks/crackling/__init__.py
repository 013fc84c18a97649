"""Crackling: CRISPR-Cas9 guide design (candidate scan, consensus on-target tests, MIT off-target specificity)."""
