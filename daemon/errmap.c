// SPDX-License-Identifier: GPL-2.0
/*
 * GnuTLS outcome -> the errno the application sees.  The table is the one
 * documented in uapi/linux/tlsock.h and tlsock(7); every GnuTLS error ends
 * in an explicit errno, EIO only for what fits nowhere else.
 */
#include <errno.h>
#include <stdio.h>
#include <string.h>

#include "tlsockd.h"

/**
 * tlsockd_verify_errno() - errno for a failed certificate verification
 * @status: gnutls_certificate_status_t bits
 *
 * Return: a positive errno.
 */
int tlsockd_verify_errno(unsigned int status)
{
	if (status & GNUTLS_CERT_REVOKED)
		return EKEYREVOKED;
	if (status & (GNUTLS_CERT_SIGNER_NOT_FOUND | GNUTLS_CERT_SIGNATURE_FAILURE |
		      GNUTLS_CERT_INSECURE_ALGORITHM | GNUTLS_CERT_SIGNER_NOT_CA |
		      GNUTLS_CERT_SIGNER_CONSTRAINTS_FAILURE))
		return EKEYREJECTED;
	if (status & (GNUTLS_CERT_EXPIRED | GNUTLS_CERT_NOT_ACTIVATED))
		return EKEYEXPIRED;
	if (status & GNUTLS_CERT_UNEXPECTED_OWNER)
		return ENXIO;
	return EKEYREJECTED;
}

/*
 * A fatal alert that refuses a certificate.  A TLS 1.2 server that wanted
 * ours, which we did not have, refuses with handshake_failure (RFC 5246
 * 7.4.6); GnuTLS sends decode_error (its alert for "no certificate found");
 * TLS 1.3 has certificate_required.  So any of them, after a request we
 * answered without a certificate, means ENOKEY.
 */
static int alert_errno(gnutls_session_t s, gnutls_alert_description_t a)
{
	bool none_sent = gnutls_certificate_client_get_request_status(s) &&
			 !gnutls_certificate_get_ours(s);

	switch (a) {
	case GNUTLS_A_CERTIFICATE_REQUIRED:
		return ENOKEY;
	case GNUTLS_A_HANDSHAKE_FAILURE:
	case GNUTLS_A_DECODE_ERROR:
	case GNUTLS_A_BAD_CERTIFICATE:
	case GNUTLS_A_ACCESS_DENIED:
		if (none_sent)
			return ENOKEY;
		if (a == GNUTLS_A_HANDSHAKE_FAILURE)
			return EPROTONOSUPPORT;
		return a == GNUTLS_A_BAD_CERTIFICATE ? EKEYREJECTED : ECONNREFUSED;
	case GNUTLS_A_PROTOCOL_VERSION:
	case GNUTLS_A_INSUFFICIENT_SECURITY:
		return EPROTONOSUPPORT;
	case GNUTLS_A_UNSUPPORTED_CERTIFICATE:
	case GNUTLS_A_CERTIFICATE_UNKNOWN:
	case GNUTLS_A_UNKNOWN_CA:
		return EKEYREJECTED;
	case GNUTLS_A_CERTIFICATE_REVOKED:
		return EKEYREVOKED;
	case GNUTLS_A_CERTIFICATE_EXPIRED:
		return EKEYEXPIRED;
	default:
		return ECONNREFUSED;
	}
}

/* errno of a failed push/pull; ours when it timed out, the socket's else */
static int io_errno(const struct tlsockd_io *io)
{
	switch (io->err) {
	case 0:
		return ECONNRESET;
	case EPIPE:
		return ECONNRESET;
	default:
		return io->err;
	}
}

/**
 * tlsockd_gnutls_errno() - errno for a failed handshake
 * @s: session
 * @gerr: what gnutls_handshake() returned
 * @io: the session's transport
 * @why: explanation for the log
 * @whylen: size of @why
 *
 * Return: a positive errno.
 */
int tlsockd_gnutls_errno(gnutls_session_t s, int gerr, const struct tlsockd_io *io, char *why,
			 size_t whylen)
{
	unsigned int status;
	gnutls_datum_t txt;
	int err;

	switch (gerr) {
	case GNUTLS_E_CERTIFICATE_VERIFICATION_ERROR:
	case GNUTLS_E_CERTIFICATE_ERROR:
		status = gnutls_session_get_verify_cert_status(s);
		if (gnutls_certificate_verification_status_print(status, GNUTLS_CRT_X509, &txt,
								 0) == 0) {
			snprintf(why, whylen, "%s", txt.data);
			gnutls_free(txt.data);
		}
		return tlsockd_verify_errno(status);
	case GNUTLS_E_FATAL_ALERT_RECEIVED: {
		gnutls_alert_description_t a = gnutls_alert_get(s);

		err = alert_errno(s, a);
		snprintf(why, whylen, "peer sent alert %s%s", gnutls_alert_get_name(a),
			 err == ENOKEY ? ": it requires a certificate, and this profile has none" :
					 "");
		return err;
	}
	case GNUTLS_E_PUSH_ERROR:
	case GNUTLS_E_PULL_ERROR:
	case GNUTLS_E_TIMEDOUT:
		err = gerr == GNUTLS_E_TIMEDOUT ? ETIMEDOUT : io_errno(io);
		if (io->idle)
			snprintf(why, whylen, "peer idle: no record from it for %u ms "
				 "(handshake_idle_ms)", io->idle_ms);
		else if (gerr != GNUTLS_E_TIMEDOUT)
			snprintf(why, whylen, "socket: %s", strerror(err));
		return err;
	case GNUTLS_E_PREMATURE_TERMINATION:
		snprintf(why, whylen, "peer closed the connection");
		return ECONNRESET;
	case GNUTLS_E_NO_CERTIFICATE_FOUND:
	case GNUTLS_E_CERTIFICATE_REQUIRED:
	case GNUTLS_E_INSUFFICIENT_CREDENTIALS:
		snprintf(why, whylen, "%s", gnutls_strerror(gerr));
		return ENOKEY;
	case GNUTLS_E_UNSUPPORTED_VERSION_PACKET:
	case GNUTLS_E_NO_CIPHER_SUITES:
	case GNUTLS_E_UNKNOWN_CIPHER_SUITE:
	case GNUTLS_E_INSUFFICIENT_SECURITY:
	case GNUTLS_E_NO_COMMON_KEY_SHARE:
	case GNUTLS_E_NO_PRIORITIES_WERE_SET:
	case GNUTLS_E_UNWANTED_ALGORITHM:
	case GNUTLS_E_UNSUPPORTED_SIGNATURE_ALGORITHM:
	case GNUTLS_E_ECC_NO_SUPPORTED_CURVES:
	case GNUTLS_E_ECC_UNSUPPORTED_CURVE:
		snprintf(why, whylen, "%s", gnutls_strerror(gerr));
		return EPROTONOSUPPORT;
	case GNUTLS_E_DECRYPTION_FAILED:
		snprintf(why, whylen, "%s", gnutls_strerror(gerr));
		return EBADMSG;
	case GNUTLS_E_MEMORY_ERROR:
		return ENOMEM;
	case GNUTLS_E_UNEXPECTED_PACKET:
	case GNUTLS_E_UNEXPECTED_PACKET_LENGTH:
	case GNUTLS_E_UNEXPECTED_HANDSHAKE_PACKET:
	case GNUTLS_E_RECEIVED_ILLEGAL_PARAMETER:
	case GNUTLS_E_RECEIVED_DISALLOWED_NAME:
	case GNUTLS_E_RECORD_OVERFLOW:
	case GNUTLS_E_ILLEGAL_SRP_USERNAME:
	case GNUTLS_E_ERROR_IN_FINISHED_PACKET:
	case GNUTLS_E_HANDSHAKE_TOO_LARGE:
	case GNUTLS_E_BASE64_DECODING_ERROR:
	case GNUTLS_E_ASN1_DER_ERROR:
	case GNUTLS_E_PK_SIG_VERIFY_FAILED:
	case GNUTLS_E_SAFE_RENEGOTIATION_FAILED:
	case GNUTLS_E_UNKNOWN_PK_ALGORITHM:
		snprintf(why, whylen, "%s", gnutls_strerror(gerr));
		return EPROTO;
	default:
		snprintf(why, whylen, "%s", gnutls_strerror(gerr));
		return EIO;
	}
}
