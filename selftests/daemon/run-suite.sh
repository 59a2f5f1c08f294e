#!/bin/bash
# SPDX-License-Identifier: GPL-2.0
#
# tlsockd's handshake code on the host (TAP): hs_test runs client and server
# handshakes over loopback, without tlsock.ko and without root; it makes its
# own PKI with certtool and openssl.  Runs in a few seconds anywhere the tree
# is built (make check-daemon at the top), and in the test VM with the rest.
#
#   run-suite.sh [-v] [TEST...]     -v: every handshake's outcome as a comment

set -u

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)

if [ ! -x "$here/hs_test" ]; then
	echo "1..1"
	echo "not ok 1 - hs_test is not built (make -C selftests/daemon)"
	exit 1
fi
for tool in certtool openssl; do
	if ! command -v "$tool" >/dev/null; then
		echo "1..1"
		echo "not ok 1 - $tool is missing (gnutls-bin, openssl)"
		exit 1
	fi
done
exec "$here/hs_test" "$@"
