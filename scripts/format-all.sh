#!/usr/bin/env bash
# Reformat the whole tree once with Biome (biome.jsonc) and apply Biome's *safe* lint fixes.
# Run by a maintainer after merging, never in CI: CI only checks (`npm run lint` = `biome ci .`).
# Afterwards: `npm run lint` must print no error, then `npm test`.
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
if [ -n "$(git status --porcelain -- src test bench scripts examples)" ]; then
  echo "format-all: commit or discard your changes first, so the reformat is one reviewable commit" >&2
  exit 1
fi
# Two passes: a safe lint fix can leave a line the formatter settles only on the next pass.
npx --no-install biome check --write . || true
npx --no-install biome check --write .
git diff --shortstat
