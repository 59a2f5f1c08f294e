# SPDX-License-Identifier: GPL-2.0
#
# What the policy suite's scripts (run-suite.sh, and hostile.sh run on its own) start with;
# sourced after setting here=.  -v as the first argument of the script: verbose=1.

# shellcheck source=../lib/tlsenv.sh
. "$here/../lib/tlsenv.sh"
# shellcheck source=../lib/tap.sh
. "$here/../lib/tap.sh"
client=$here/plain_client.py
server=$here/tls_server.py
tlscap=$here/tlscap.py
verbose=0
[ "${1:-}" = "-v" ] && verbose=1
