"""The eval suite: scenario files (`scenario.py`), scorers, the runner, reports and comparisons."""
