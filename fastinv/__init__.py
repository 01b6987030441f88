"""fastinv: fast invariance studies of image classifiers."""
