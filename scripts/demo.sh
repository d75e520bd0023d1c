#!/usr/bin/env bash
# make demo: inventory a real image built from Debian packages and PyPI/npm/Go/Java/RPM
# artifacts, build a vulnerability database, and scan the image with it.
set -euo pipefail
cd "$(dirname "$0")/.."
tenlayer=.venv/bin/tenlayer
image=.cache/fixtures/app/app.docker.tar
db=.cache/demo/vulndb.sqlite
shared_osv=../shared/data/osv
errors=$(mktemp)
trap 'rm -f "$errors"' EXIT

echo "== tenlayer image sbom $image"
"$tenlayer" image sbom "$image"

echo
echo "== vulnerability database ($db)"
if "$tenlayer" db update --db "$db" 2>$errors; then
  echo "built from OSV's published all.zip downloads"
elif [ -d "$shared_osv" ]; then
  echo "OSV's downloads are not reachable from here ($(tail -n 1 $errors))"
  echo "building it from the OSV records in $shared_osv instead"
  "$tenlayer" db update --db "$db" --source "$shared_osv"
else
  cat $errors >&2
  echo "no OSV download and no $shared_osv: cannot build a vulnerability database" >&2
  exit 3
fi

echo
echo "== tenlayer image scan $image"
"$tenlayer" image scan "$image" --db "$db"

echo
echo "== tenlayer k8s check examples/k8s   (Pod Security as the namespaces' labels say, workload checks)"
"$tenlayer" k8s check examples/k8s

echo
echo "== tenlayer k8s scc examples/k8s --scc-policy examples/openshift --user alice"
echo "   (which SecurityContextConstraints admit each pod, and the pod as admitted; exit 1: some are refused)"
status=0
"$tenlayer" k8s scc examples/k8s --scc-policy examples/openshift --user alice || status=$?
echo "exit code $status"
