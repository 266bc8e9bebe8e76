"""Benchmarks behind `locanext bench`: each measures LocaNext next to a baseline run in the same
process and run, and reports the ratio; none of them is a timed test."""
