#!/usr/bin/env python3
"""A job that fails: a non-zero exit code makes the job 'failed' with that code."""
import sys

print("connecting to the inventory service…")
print("error: inventory service unreachable (this failure is on purpose)", file=sys.stderr)
sys.exit(3)
