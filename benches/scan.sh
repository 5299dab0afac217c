#!/usr/bin/env bash
# `virt-cpu scan` against the shell loop an admin writes today, on N test domains per host:
#   for d in $(virsh list --all --name); do virsh dumpxml "$d"; virsh domxml-to-native qemu-argv --domain "$d"; done
# run for each host in turn. Defines N domains (vcpu-bench-NNN: custom models, host-model, no
# <cpu>, a <qemu:commandline> -cpu) on each host, measures both with hyperfine, and undefines them
# again (also on Ctrl-C or failure). Needs the daemons running (.ci/start-libvirt,
# .ci/debian13-chroot), hyperfine, and a release build (cargo build --release).
#   bash benches/scan.sh [N] [URI…]     (default: 200 and the two test daemons)
set -euo pipefail
cd "$(dirname "$0")/.."

N=${1:-200}
shift || true
TRIXIE=${VIRT_CPU_TRIXIE:-/var/lib/virt-cpu-ci/trixie}
if (($# == 0)); then
    set -- qemu:///system "qemu+unix:///system?socket=$TRIXIE/run/libvirt/libvirt-sock"
fi
BIN=target/release/virt-cpu
[[ -x $BIN ]] || { echo "scan.sh: build first: cargo build --release" >&2; exit 2; }
command -v hyperfine >/dev/null || { echo "scan.sh: hyperfine not found" >&2; exit 2; }

dir=$(mktemp -d)
cleanup() {
    for uri in "$@"; do
        for i in $(seq -w 1 "$N"); do
            virsh -q -c "$uri" undefine "vcpu-bench-$i" >/dev/null 2>&1 || true
        done
    done
    rm -rf "$dir"
}
trap 'cleanup "$@"' EXIT

cpus=(
    "<cpu mode='custom' match='exact' check='partial'><model fallback='forbid'>Nehalem</model><feature policy='disable' name='x2apic'/></cpu>"
    "<cpu mode='custom' match='exact' check='none'><model fallback='forbid'>Skylake-Client</model><feature policy='disable' name='hle'/></cpu>"
    "<cpu mode='host-model' check='partial'/>"
    ""
    "<qemu:commandline><qemu:arg value='-cpu'/><qemu:arg value='Westmere,+ssse3'/></qemu:commandline>"
)
for uri in "$@"; do
    for i in $(seq -w 1 "$N"); do
        cpu=${cpus[$((10#$i % ${#cpus[@]}))]}
        cat >"$dir/d.xml" <<EOF
<domain type='qemu' xmlns:qemu='http://libvirt.org/schemas/domain/qemu/1.0'>
  <name>vcpu-bench-$i</name>
  <memory unit='MiB'>64</memory>
  <os><type arch='x86_64' machine='q35'>hvm</type></os>
  $cpu
</domain>
EOF
        virsh -q -c "$uri" define "$dir/d.xml" >/dev/null
    done
done

# The admin's loop, one host after the other (the URIs are written into the script).
loop="$dir/loop.sh"
{
    echo 'set -e'
    for uri in "$@"; do
        printf 'U=%q\n' "$uri"
        echo 'for d in $(virsh -c "$U" list --all --name); do virsh -c "$U" dumpxml "$d" >/dev/null; virsh -c "$U" domxml-to-native qemu-argv --domain "$d" >/dev/null 2>&1 || true; done'
    done
} >"$loop"
scan=("$BIN" scan)
for uri in "$@"; do scan+=(-c "$uri"); done
printf -v scan_cmd '%q ' "${scan[@]}"
hyperfine --warmup 1 --runs "${RUNS:-3}" -i \
    --command-name "virt-cpu scan ($# hosts, $N domains each)" "$scan_cmd >/dev/null" \
    --command-name "shell loop: dumpxml + domxml-to-native per domain" "bash $loop"
