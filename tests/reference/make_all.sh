#!/usr/bin/env bash
# Regenerate every R reference fixture: each tests/reference/<topic>.R writes
# tests/reference/<topic>.json next to itself. Needs R with metafor, jsonlite and rpact
# (Debian: apt-get install r-cran-metafor r-cran-rpact). The tests only read the JSON.
set -euo pipefail
cd "$(dirname "$0")"
Rscript -e 'cat("metafor", as.character(packageVersion("metafor")), "\n")'
for script in *.R; do
  echo "== $script"
  Rscript --vanilla "$script"
done
