#!/bin/bash
# A Bash job: prints where it runs and a few lines over time.
echo "Hello from Bash $BASH_VERSION on $(uname -s)"
for step in 1 2 3; do
  echo "step $step of 3"
  sleep 0.2
done
echo "job id: $CRONIUM_JOB_ID"
