#!/usr/bin/env bash
# Reformat the whole tree once with Biome (biome.jsonc) and apply Biome's *safe* lint fixes.
# Run by a maintainer after merging, never in CI: CI only checks (`npm run lint` = `biome ci .`).
# Afterwards: `npm run lint` must print no error, then `npm test`.
# BIOME may name another biome binary; the default is the pinned devDependency. (Not `npx biome`:
# without the devDependency installed, npx would fetch an unrelated package named "biome".)
set -euo pipefail
cd "$(dirname "${BASH_SOURCE[0]}")/.."
BIOME="${BIOME:-node_modules/.bin/biome}"
if [ ! -x "$BIOME" ]; then
  echo "format-all: $BIOME not found; run npm ci (it installs @biomejs/biome from package-lock.json)" >&2
  exit 1
fi
if [ -n "$(git status --porcelain -- src test bench scripts examples)" ]; then
  echo "format-all: commit or discard your changes first, so the reformat is one reviewable commit" >&2
  exit 1
fi
# Two passes: a safe lint fix can leave a line the formatter settles only on the next pass.
"$BIOME" check --write . || true
"$BIOME" check --write .
git diff --shortstat
