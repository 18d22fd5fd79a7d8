#!/usr/bin/env bash
# The main job on the example data: install what is missing, build, then declare the incidents
# of examples/incidents.tsv in a new repository, run their lifecycles, and print list, show and
# history. Usage: examples/demo.sh [folder]   (default: a new temporary folder)
set -euo pipefail
here="$(cd "$(dirname "$0")" && pwd)"
root="$(cd "$here/.." && pwd)"
if ! pkg-config --exists libgit2 2>/dev/null; then
  SUDO=""; [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  $SUDO apt-get update -qq && $SUDO apt-get install -y -qq libgit2-dev pkg-config git
fi
swift build -c release --package-path "$root" >&2
bin="$(swift build -c release --package-path "$root" --show-bin-path)"
export PATH="$bin:$PATH"
repo="${1:-$(mktemp -d -t incident-demo-XXXXXX)}"
export GIT_AUTHOR_NAME="${GIT_AUTHOR_NAME:-Demo Responder}" GIT_AUTHOR_EMAIL="${GIT_AUTHOR_EMAIL:-oncall@example.com}"

git incident init -C "$repo" --prefix INC
cd "$repo"
base=$(date -u -d '-3 days' +%s)
first=""
while IFS='|' read -r title severity kind service commander lifecycle; do
  [[ -z "$title" || "$title" == \#* ]] && continue
  detected=$(date -u -d "@$base" +%Y-%m-%dT%H:%M:%SZ)
  started=$(date -u -d "@$((base - 300))" +%Y-%m-%dT%H:%M:%SZ)
  args=(declare "$title" --severity "$severity" --kind "$kind" --service "$service"
        --started-at "$started" --detected-at "$detected")
  id=$(git-incident "${args[@]}")
  [ -n "$first" ] || first=$id
  [ -n "$commander" ] && git-incident assign "$id" commander "$commander" --at "$detected" >/dev/null
  git-incident note "$id" "Investigating: first responder paged" --at "$detected" >/dev/null
  IFS=',' read -ra steps <<< "$lifecycle"
  for step in "${steps[@]}"; do
    status=${step%@*}; minutes=${step#*@}
    at=$(date -u -d "@$((base + minutes * 60))" +%Y-%m-%dT%H:%M:%SZ)
    if [ "$status" = declined ]; then
      git-incident status "$id" declined --reason not-an-incident --at "$at" >/dev/null
    else
      git-incident status "$id" "$status" --at "$at" >/dev/null
    fi
  done
  git-incident update "$id" "We are tracking $title" --audience external >/dev/null || true
  base=$((base + 7200))
done < "$here/incidents.tsv"

echo "== git incident list   (repository: $repo)"
git-incident list
echo
echo "== git incident show $first"
git-incident show "$first"
echo
echo "== git incident history $first"
git-incident history "$first"
echo
echo "== git log --oneline"
git log --oneline -20
