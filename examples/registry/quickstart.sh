#!/bin/sh
# A guarded registry on 127.0.0.1 in one go (needs docker-registry and skopeo from Debian).
# Run from the repository root: sh examples/registry/quickstart.sh
set -eu
here=examples/registry
config=$here/tenlayer-registry.yml
[ -f $here/keys/token.key ] || tenlayer registry keys generate $here/keys \
    --issuer tenlayer --service tenlayer-registry --realm http://127.0.0.1:5002/token >/dev/null
tenlayer registry keys bundle --config $config -o $here/bundle.pem

export TENLAYER_PASSWORD=${TENLAYER_PASSWORD:-change-me-admin}
tenlayer registry user add admin --admin --config $config || true
TENLAYER_PASSWORD=change-me-alice tenlayer registry user add alice --config $config || true
tenlayer registry project add team --config $config || true
tenlayer registry member add team --user alice --role developer --config $config || true

tenlayer registry serve --config $config & token_pid=$!
docker-registry serve $here/registry.yml 2>/dev/null & registry_pid=$!
trap 'kill $token_pid $registry_pid' EXIT
sleep 2

# a tiny image to push (umoci), then: alice (developer) pushes and pulls; anonymous may not
layout=$(mktemp -d)/oci
umoci init --layout $layout && umoci new --image $layout:v1
policy=$(mktemp); echo '{"default":[{"type":"insecureAcceptAnything"}]}' > $policy
skopeo --policy $policy copy --quiet --dest-tls-verify=false --dest-creds alice:change-me-alice \
    oci:$layout:v1 docker://127.0.0.1:5000/team/app:v1 && echo "alice pushed team/app:v1"
skopeo --policy $policy inspect --tls-verify=false --creds alice:change-me-alice \
    docker://127.0.0.1:5000/team/app:v1 >/dev/null && echo "alice pulled team/app:v1"
skopeo --policy $policy inspect --tls-verify=false docker://127.0.0.1:5000/team/app:v1 \
    >/dev/null 2>&1 || echo "anonymous refused on the private project"
curl -s -u admin:$TENLAYER_PASSWORD http://127.0.0.1:5002/api/v1/projects/team/members
echo
