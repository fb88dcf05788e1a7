#!/bin/bash
# 28-kill-random.sh - a slice of long/kill-random.sh: ckpt SIGKILLed at a
# random point, 3 trials in each mode (dump, dump --leave-running,
# pre-dump). The long run: bash test/e2e/long/kill-random.sh 30
exec bash "$(dirname "$0")/../long/kill-random.sh" 3
