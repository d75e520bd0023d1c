#!/bin/sh
# A guarded registry on 127.0.0.1 in one go: tenlayer's token service, the CNCF distribution
# registry, scan on push and the pull gate (needs docker-registry, skopeo, umoci and
# nginx-light from Debian; `make test` installs them). Run from the repository root:
#     sh examples/registry/quickstart.sh
# It pushes an image with a critical vulnerability to a project that refuses them, shows the
# refusal the client gets, pushes the fixed image, pulls it, and prints the audit log.
set -eu
[ -d .venv/bin ] && PATH=$PWD/.venv/bin:$PATH
here=examples/registry
config=$here/tenlayer-registry.yml
work=$(mktemp -d)
front=127.0.0.1:5080

# keys, shared secrets, the vulnerability database (one sample advisory, no network)
[ -f $here/keys/token.key ] || tenlayer registry keys generate $here/keys \
    --issuer tenlayer --service tenlayer-registry --realm http://127.0.0.1:5002/token >/dev/null
tenlayer registry keys bundle --config $config -o $here/keys/bundle.pem
umask 077
[ -f $here/events.secret ] || head -c 24 /dev/urandom | base64 > $here/events.secret
umask 022
mkdir -p $work/osv
cat > $work/osv/CVE-2024-3094.json <<'EOF'
{"schema_version": "1.6.0", "id": "CVE-2024-3094", "modified": "2024-04-01T00:00:00Z",
 "published": "2024-03-29T00:00:00Z", "summary": "xz-utils backdoor (sample record)",
 "affected": [{"package": {"ecosystem": "PyPI", "name": "xz-utils"},
               "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "5.6.2"}]}]}],
 "database_specific": {"severity": "CRITICAL"}}
EOF
tenlayer db update --source $work/osv --db $here/vulndb.sqlite >/dev/null 2>&1

# who may do what: alice develops in project team, which refuses high and critical images
export TENLAYER_PASSWORD=${TENLAYER_PASSWORD:-change-me-admin}
C="--config $config"
tenlayer registry user add admin --admin $C 2>/dev/null || true
TENLAYER_PASSWORD=change-me-alice tenlayer registry user add alice $C 2>/dev/null || true
tenlayer registry project add team --severity-threshold high $C 2>/dev/null || true
tenlayer registry member add team --user alice --role developer $C 2>/dev/null || true
if [ ! -s $here/scanner.secret ]; then
    umask 077
    tenlayer registry robot remove scanner $C 2>/dev/null || true
    tenlayer registry robot add scanner --permission team:pull --expires-in never $C \
        > $here/scanner.secret
    umask 022
fi

# distribution tells tenlayer of every push (the events secret in its notification header)
sed "s|# notifications:|notifications:|; s|#   |  |; s|<events secret>|$(cat $here/events.secret)|" \
    $here/registry.yml > $work/registry.yml

for port in 5000 5002 ${front#*:}; do
    if curl -s -o /dev/null http://127.0.0.1:$port/; then
        echo "quickstart: 127.0.0.1:$port is taken by another program; stop it first" >&2
        exit 1
    fi
done
tenlayer registry serve $C 2>$work/serve.log & serve_pid=$!
docker-registry serve $work/registry.yml >$work/registry.log 2>&1 & registry_pid=$!
tenlayer registry front $C --prefix $work/nginx 2>$work/front.log & front_pid=$!
trap 'kill $front_pid $serve_pid $registry_pid 2>/dev/null; wait 2>/dev/null; rm -rf $work' EXIT
for service in "serve $serve_pid 127.0.0.1:5002/health" "registry $registry_pid 127.0.0.1:5000/v2/" \
               "front $front_pid $front/v2/"; do
    set -- $service
    until curl -s -o /dev/null http://$3; do
        if ! kill -0 $2 2>/dev/null; then
            echo "quickstart: $1 stopped:" >&2; cat $work/$1.log >&2; exit 1
        fi
        sleep 0.2
    done
done
echo "token service :5002, registry :5000 (private), front $front (clients use this)"

# two images: xz-utils 5.6.0 (critical CVE-2024-3094) and 5.6.2 (fixed)
image() {  # LAYOUT VERSION
    umoci init --layout $1 && umoci new --image $1:v1
    mkdir -p $work/root-$2/usr/lib/python3/dist-packages/xz_utils-$2.dist-info \
        $work/root-$2/etc $work/root-$2/var/empty
    printf 'Metadata-Version: 2.1\nName: xz-utils\nVersion: %s\n' $2 \
        > $work/root-$2/usr/lib/python3/dist-packages/xz_utils-$2.dist-info/METADATA
    printf 'ID=debian\nVERSION_ID=12\n' > $work/root-$2/etc/os-release
    umoci insert --image $1:v1 $work/root-$2 /
}
image $work/vulnerable 5.6.0
image $work/fixed 5.6.2
policy=$work/policy.json; echo '{"default":[{"type":"insecureAcceptAnything"}]}' > $policy
push() { skopeo --policy $policy copy --quiet --dest-tls-verify=false \
    --dest-creds alice:change-me-alice oci:$1:v1 docker://$front/team/app:v1; }
pull() { skopeo --policy $policy copy --quiet --src-tls-verify=false \
    --src-creds alice:change-me-alice docker://$front/team/app:v1 dir:$(mktemp -d); }
scanned() {  # wait until the pushed image's scan is stored
    digest=$(sed 's/.*"digest":"\([^"]*\)".*/\1/' $1/index.json)
    until tenlayer registry images $C | grep -q "$digest.* scanned"; do sleep 0.3; done
}

push $work/vulnerable && scanned $work/vulnerable && echo "alice pushed team/app:v1 (xz-utils 5.6.0)"
if pull 2>$work/refused; then
    echo "quickstart: the vulnerable image was not refused" >&2; exit 1
fi
echo "pull refused: $(sed 's/.*denied: //; s/"$//' $work/refused)"
push $work/fixed && scanned $work/fixed && echo "alice pushed team/app:v1 again (xz-utils 5.6.2)"
pull && echo "pull allowed: the fixed image meets project team's rules"
skopeo --policy $policy inspect --tls-verify=false docker://$front/team/app:v1 \
    >/dev/null 2>&1 || echo "anonymous refused on the private project"
echo; echo "tenlayer registry audit (newest last):"
tenlayer registry audit $C --limit 12
