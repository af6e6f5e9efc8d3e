"""The learned analyser: training data readers, training, the shipped model and its CLI."""
