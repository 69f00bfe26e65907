#!/usr/bin/env bash
# Regenerate the PyTorch reference values the tests compare against: runs every
# scripts/fixtures/*.py (each writes its test/fixtures/<name>.json) with the system Python and
# single-threaded OpenBLAS, so the numbers do not depend on the machine's thread count.
# Usage: scripts/make-fixtures.sh [name ...]     (npm run fixtures -- conv pool)
# Names are the scripts' base names (conv, pool, keras_losses, …); none given runs them all.
set -euo pipefail
root=$(cd "$(dirname "$0")/.." && pwd)
cd "$root"
python=/usr/bin/python3
install_hint="install: apt-get install -y python3-torch python3-torchvision libopenblas0-pthread"

if [ ! -x "$python" ]; then
  echo "make-fixtures: $python not found; the fixtures are generated with the system Python and PyTorch ($install_hint)" >&2
  exit 1
fi
if ! torch_version=$(OPENBLAS_NUM_THREADS=1 "$python" -c 'import torch; print(torch.__version__)' 2>/dev/null); then
  echo "make-fixtures: $python cannot import torch ($install_hint)" >&2
  exit 1
fi

scripts=()
if [ "$#" -eq 0 ]; then
  scripts=(scripts/fixtures/*.py)
else
  for arg in "$@"; do
    name=$(basename "$arg" .py)
    file="scripts/fixtures/$name.py"
    if [ ! -f "$file" ]; then
      available=$(cd scripts/fixtures && ls -1 *.py | sed 's/\.py$//' | tr '\n' ' ')
      echo "make-fixtures: no generator $file (available: ${available% })" >&2
      exit 1
    fi
    scripts+=("$file")
  done
fi

marker=$(mktemp "${TMPDIR:-/tmp}/nabla-fixtures-XXXXXX")
trap 'rm -f "$marker"' EXIT
echo "make-fixtures: torch $torch_version, ${#scripts[@]} generator(s)"
for file in "${scripts[@]}"; do
  name=$(basename "$file" .py)
  start=$SECONDS
  touch "$marker"
  if ! log=$(OPENBLAS_NUM_THREADS=1 "$python" "$file" 2>&1); then
    echo "  $name: FAILED after $((SECONDS - start)) s" >&2
    echo "$log" >&2
    exit 1
  fi
  # What it wrote: usually test/fixtures/<name>.json (optim.py writes two files, weights.py a folder).
  mapfile -t written < <(find test/fixtures -type f -newer "$marker" | sort)
  if [ "${#written[@]}" -le 3 ]; then wrote="${written[*]:-nothing}"; else wrote="${#written[@]} files"; fi
  echo "  $name: ok ($((SECONDS - start)) s), wrote $wrote"
done
