#!/bin/bash
# Install everything tlsock needs on a fresh Debian 12 machine (run as root).
# Resolves the newest Debian 6.12 kernel that has both headers and an unsigned image:
# versions roll in the archive, so nothing here names a patch level.
set -euo pipefail

export DEBIAN_FRONTEND=noninteractive
stamp=/var/lib/tlsock-deps.stamp

apt_get() { apt-get -o Dpkg::Use-Pty=0 -qq "$@"; }

if [ ! -e /var/lib/apt/lists/lock ] || [ -z "$(ls /var/lib/apt/lists/*_Packages 2>/dev/null | head -1)" ] ||
   [ -z "$(find /var/lib/apt/lists -maxdepth 1 -name '*_Packages' -mmin -720 | head -1)" ]; then
	apt_get update
fi

# newest_pair SERIES RELEASE-REGEX: the newest generic kernel release of SERIES whose unsigned
# image and headers are both in the archive (an extended regex of the release, e.g. 6.1.0-57-amd64)
newest_pair() {
	local v
	v=$(apt-cache search --names-only "^linux-image-$2-unsigned\$" |
		sed -En "s/^linux-image-($2)-unsigned .*/\1/p" | sort -V |
		while read -r r; do
			apt-cache show "linux-headers-$r" >/dev/null 2>&1 && echo "$r"
		done | tail -n 1)
	if [ -z "$v" ]; then
		echo "install-deps: no linux $1 image+headers pair in the archive" >&2
		exit 1
	fi
	echo "$v"
}
# Debian's 6.12 (the default) and Debian 12's own 6.1 (make check KERNEL=6.1)
abi=$(newest_pair 6.12 '6\.12\.[0-9]+\+deb[0-9]+-amd64')
abi61=$(newest_pair 6.1 '6\.1\.0-[0-9]+-amd64')

pkgs=(
	build-essential make gcc pahole kmod cpio
	qemu-system-x86 busybox-static
	"linux-headers-$abi" "linux-image-$abi-unsigned" linux-source-6.12
	"linux-headers-$abi61" "linux-image-$abi61-unsigned"
	libgnutls28-dev gnutls-bin libnl-genl-3-dev libnl-3-dev libinih-dev pkg-config
	# the cgroup hooks of transparent policies (daemon/bpf): clang compiles them for BPF,
	# bpftool makes the skeleton tlsockd and tlsockctl embed, both link libbpf
	clang libbpf-dev bpftool
	openssl stunnel4 iproute2 tcpdump procps ethtool python3 python3-yaml python3-jsonschema
	# transparent TLS (selftests/policy): real servers and clients to make TLS without them knowing
	redis-server redis-tools
	# MariaDB: the suite starts its own mariadbd on the VM's tmpfs; the host's service need not run
	mariadb-server mariadb-client
	# the debug kernel (selftests/vm/debug-kernel.sh) is built from linux-source
	flex bison bc libelf-dev libssl-dev
	# the Debian packages (make deb) and DKMS, which builds the module where they are installed;
	# systemd for pkg-config's unit directory and systemd-analyze (selftests/pkg)
	debhelper dh-dkms dkms dpkg-dev systemd
	# Linux 7.x (selftests/vm/k7.sh): a Debian 13 chroot to build tlsock.ko in
	debootstrap
)
missing=()
for p in "${pkgs[@]}"; do
	dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
	apt_get install -y --no-install-recommends "${missing[@]}"
fi
echo "$abi" > "$stamp"
echo "install-deps: kernels $abi and $abi61"
