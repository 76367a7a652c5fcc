#!/usr/bin/env bash
# Refresh the lock files from pyproject.toml (and requirements/dev.in):
#     bash requirements/lock.sh
# install.sh installs from the locks, so what CI proves is what users get.
# pyproject.toml keeps compatible ranges; tests/test_packaging.py fails when
# a lock no longer satisfies them.
set -euo pipefail
cd "$(dirname "$0")/.."
tools=$(mktemp -d)
trap 'rm -rf "$tools"' EXIT
python3 -m venv "$tools"
"$tools/bin/python" -m pip install -q --disable-pip-version-check --upgrade pip "pip-tools==7.6.2"
export CUSTOM_COMPILE_COMMAND="bash requirements/lock.sh"
compile=("$tools/bin/pip-compile" -q --strip-extras --no-emit-index-url --no-emit-find-links
         --no-emit-trusted-host --allow-unsafe --newline=lf --resolver=backtracking)
# The development set first (everything), then the user's set constrained to
# the same versions, so the two locks never disagree.
"${compile[@]}" --extra dev --extra piper --extra base -o requirements/dev.lock pyproject.toml requirements/dev.in
# torch resolves to the local CPU build here (2.13.0+cpu); pin the release so
# the same line installs the CPU wheel from disk or PyPI's build elsewhere.
sed -i -E 's/^torch==([0-9.]+)\+cpu/torch==\1/' requirements/dev.lock
"${compile[@]}" -c requirements/dev.lock -o requirements/main.lock pyproject.toml
echo "wrote requirements/dev.lock ($(grep -c '==' requirements/dev.lock) pins) and requirements/main.lock ($(grep -c '==' requirements/main.lock) pins)"
