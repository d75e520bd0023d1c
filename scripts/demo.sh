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

echo
echo "== tenlayer k8s netpol examples/netpol --tenant-label tenant"
echo "   (who can reach whom, as netpol-analyzer lists it; then the network isolation findings)"
"$tenlayer" k8s netpol examples/netpol --tenant-label tenant

echo
echo "== tenlayer dockerfile lint examples/dockerfiles   (build rules; web/ breaks them, api/ follows them)"
"$tenlayer" dockerfile lint examples/dockerfiles

echo
echo "== signing: tenlayer keys generate, image sign and image verify on a copy of the app's OCI layout"
work=$(mktemp -d)
trap 'rm -f "$errors"; rm -rf "$work"' EXIT
cp -rL .cache/fixtures/app/app.oci "$work/app.oci"
export COSIGN_PASSWORD=demo-only-password
"$tenlayer" keys generate --output-key-prefix "$work/team"
"$tenlayer" keys generate --output-key-prefix "$work/stranger" >/dev/null
"$tenlayer" image sign "$work/app.oci" --key "$work/team.key" --identity example.com/team/app
"$tenlayer" image verify "$work/app.oci" --key "$work/team.pub" --identity example.com/team/app
echo "-- the same image against a key that did not sign it (exit 1 expected):"
status=0
"$tenlayer" image verify "$work/app.oci" --key "$work/stranger.pub" --identity example.com/team/app || status=$?
echo "exit code $status"
