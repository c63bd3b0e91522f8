#!/bin/sh
# Print every object of every mode (web, headless, cronjob), then the demo shop they load, as
# one multi-document YAML stream on stdout: each part starts with a comment naming it, and its
# workloads carry the label app.kubernetes.io/instance=swarm-<mode>. `make -s k8s-render` runs
# this; pipe it on as you like:
#   make -s k8s-render | kubectl apply --dry-run=client -f -
# The modes share the userfile ConfigMap and the master Secret, so those appear once per mode.
# Renders with `kubectl kustomize`, or with a standalone `kustomize build`.
set -eu

here=$(cd "$(dirname "$0")" && pwd)

if command -v kubectl >/dev/null 2>&1; then
    render() { kubectl kustomize "$1"; }
elif command -v kustomize >/dev/null 2>&1; then
    render() { kustomize build "$1"; }
else
    echo "render.sh: needs kubectl (kubectl kustomize) or kustomize on the PATH" >&2
    exit 1
fi

part() {
    # $1 a directory under deploy/kubernetes, $2 what it is
    printf -- '---\n# %s: deploy/kubernetes/%s\n' "$2" "$1"
    render "$here/$1"
}

part overlays/web "mode web"
part overlays/headless "mode headless"
part overlays/cronjob "mode cronjob"
part demo-shop "demo-shop (not a mode: the system the modes load until --host names yours)"
