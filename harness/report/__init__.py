"""The report of a saved run: analysis, comparisons, verdicts, the text summary and the HTML page."""
