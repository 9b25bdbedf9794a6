"""The hostile corpus (issue 12, item 4) and the tests that push it through every door."""
