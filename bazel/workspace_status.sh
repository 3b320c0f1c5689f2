#!/bin/sh
# Bazel workspace status: stamps the git commit into aia-server's build info
# (//server:build_stamp). Prints "unknown" outside a git checkout.
commit=$(git rev-parse --short=12 HEAD 2>/dev/null || echo unknown)
if [ "$commit" != unknown ] && [ -n "$(git status --porcelain --untracked-files=no 2>/dev/null)" ]; then
  commit="$commit-dirty"
fi
echo "STABLE_GIT_COMMIT $commit"
