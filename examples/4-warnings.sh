#!/bin/bash
# Prints to both streams: stderr lines are kept apart from stdout lines.
echo "checking disk space"
echo "warning: /tmp is more than 1% full (this is a demo)" >&2
echo "checking memory"
echo "warning: swap is not configured (this is a demo)" >&2
echo "checks done"
