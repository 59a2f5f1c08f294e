#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# Extract the kernel's own kTLS selftest (tools/testing/selftests/net/tls.c) and the kselftest
# harness from Debian's linux-source tarball into a build directory, then adapt the copy:
#  - the ULP name becomes the macro TLSOCK_ULP_NAME, so one source builds one binary for the
#    in-kernel "tls" and one for "tlsock";
#  - the key helper gains the key-generation argument that this copy's rekey tests pass, keeping
#    three-argument calls valid, and fills key, iv, salt and rec_seq with the generation byte.
# Nothing extracted here is committed. Usage: prepare.sh TARBALL OUTDIR
set -euo pipefail

tarball=$1
out=$2
sel=tools/testing/selftests

die() { echo "ktls/prepare: $*" >&2; exit 1; }

[ -r "$tarball" ] || die "$tarball not found (install linux-source-6.12: selftests/vm/install-deps.sh)"
top=$(tar -tJf "$tarball" 2>/dev/null | head -n 1 | cut -d/ -f1) || true
[ -n "$top" ] || die "cannot list $tarball"

mkdir -p "$(dirname "$out")"
tmp=$(mktemp -d "${out%/}.tmp.XXXXXX")
trap 'rm -rf "$tmp"' EXIT
tar -xJf "$tarball" -C "$tmp" --strip-components=4 \
	"$top/$sel/net/tls.c" "$top/$sel/kselftest_harness.h" "$top/$sel/kselftest.h"

src=$tmp/net/tls.c
ulp_calls=$(grep -c '"tls", sizeof("tls")' "$src" || true)
[ "$ulp_calls" -gt 0 ] || die "no TCP_ULP \"tls\" call found in tls.c: upstream changed, update prepare.sh"

# One macro expansion point for the ULP name; everything else stays as shipped.
sed -i 's/"tls", sizeof("tls")/TLSOCK_ULP_NAME, sizeof(TLSOCK_ULP_NAME)/g' "$src"

# The helper: rename it, add the generation parameter, and route every call through a macro
# whose fourth argument defaults to 0.
if grep -q '^static void tls_crypto_info_init(' "$src" &&
   ! grep -A2 '^static void tls_crypto_info_init(' "$src" | grep -q 'key_gen'; then
	sed -i \
		-e '/^static void tls_crypto_info_init(/,/^{/ {' \
		-e '  s/^static void tls_crypto_info_init(/static void tlsock_crypto_info_init_gen(/' \
		-e '  s/struct tls_crypto_info_keys \*tls12)$/struct tls_crypto_info_keys *tls12, char key_gen)/' \
		-e '}' \
		-e '/^static void tlsock_crypto_info_init_gen(/,/^}/ {' \
		-e '  s/^\tmemset(tls12, 0, sizeof(\*tls12));$/\tmemset(tls12, key_gen, sizeof(*tls12));\n\tmemset(tls12, 0, sizeof(struct tls_crypto_info));/' \
		-e '}' \
		-e '/^static void tlsock_crypto_info_init_gen(/i\
#define tls_crypto_info_init(ver, cipher, keys, ...) \\\
	tlsock_crypto_info_init_gen(ver, cipher, keys, (0 __VA_OPT__(+ (__VA_ARGS__))))\
' \
		"$src"
	grep -q 'struct tls_crypto_info_keys \*tls12, char key_gen)$' "$src" ||
		die "could not add the key generation parameter"
	grep -q 'memset(tls12, key_gen, sizeof(\*tls12));' "$src" ||
		die "could not make the helper fill keys with the generation byte"
	grep -q '^#define tls_crypto_info_init(' "$src" || die "could not add the helper macro"
fi
[ "$(grep -c 'TLSOCK_ULP_NAME, sizeof(TLSOCK_ULP_NAME)' "$src")" -eq "$ulp_calls" ] ||
	die "ULP name rewrite incomplete"
! grep -q '"tls"' "$src" || die "a \"tls\" literal is left in tls.c"

rm -rf "$out"
chmod 755 "$tmp"
mv "$tmp" "$out"
trap - EXIT
