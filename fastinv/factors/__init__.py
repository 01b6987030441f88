"""Factors of variation of a dataset (METHOD.md section 5): which candidate transformations make
same-class images more alike, per class; their alignment with learned invariance; class
specificity; ImageNet-X's human-annotated factors. ``fastinv factors`` runs it all.

Importing this package stays light: the modules below are imported where they are used.
"""
