/*
 * fuzz-pdu.c: SMS PDUs on arbitrary bytes.
 *
 * Properties: (a) a valid UTF-8 text encodes (with options taken from
 * the first byte) to parts that each fit one SMS, carry the right
 * concatenation UDH, and decode and join back to the text; (b) the
 * bytes as hex never crash either decoder, and every failure has a
 * cause.
 */
#include "compat.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "buf.h"
#include "pdu.h"
#include "xmalloc.h"

int	LLVMFuzzerTestOneInput(const uint8_t *, size_t);

/* Encode text, decode every part, and compare. */
static void
round_trip(const char *text, unsigned int flags)
{
	struct pdu_part		 parts[PDU_MAX_PARTS];
	struct pdu_opts		 o;
	struct pdu_submit	 ps;
	struct buf		 b;
	size_t			 n, i;
	char			*cause, *joined;

	memset(&o, 0, sizeof o);
	o.numtype = (flags & 1) ? PDU_NATIONAL : PDU_INTERNATIONAL;
	o.srr = (flags & 2) != 0;
	o.ref16 = (flags & 4) != 0;
	o.vp_minutes = (flags & 8) ? (int)(flags * 997) : 0;
	o.smsc = (flags & 16) ? "+8613800571500" : NULL;
	o.ref = flags * 257;
	if (pdu_encode_submit("13800138000", text, &o, parts,
	    PDU_MAX_PARTS, &n, &cause) != 0) {
		if (cause == NULL)
			abort();
		free(cause);
		return;
	}
	if (n == 0 || n > PDU_MAX_PARTS)
		abort();
	buf_init(&b, 0);
	for (i = 0; i < n; i++) {
		if (strlen(parts[i].hex) >= PDU_HEX_MAX ||
		    parts[i].tpdu_len > 164)
			abort();
		if (pdu_decode_submit(parts[i].hex, &ps, &cause) != 0)
			abort();
		if (ps.concat != (n > 1) || ps.srr != o.srr)
			abort();
		if (n > 1 && (ps.seq != i + 1 || ps.total != n ||
		    ps.ref != (o.ref16 ? o.ref & 0xffff : o.ref & 0xff)))
			abort();
		if (ps.coding == PDU_GSM7 && ps.nseptets > (n > 1 ?
		    (o.ref16 ? 152U : 153U) : 160U))
			abort();
		buf_adds(&b, ps.text);
		pdu_submit_free(&ps);
	}
	joined = buf_steal(&b);
	if (strcmp(joined, text) != 0)
		abort();
	free(joined);
}

/* The bytes as hex to both decoders; each must end cleanly. */
static void
decode_hex(const uint8_t *data, size_t len)
{
	struct pdu_submit	 ps;
	struct pdu_status	 st;
	char			*s, *cause;

	s = xstrndup((const char *)data, len);
	if (pdu_decode_submit(s, &ps, &cause) == 0) {
		if (ps.text == NULL)
			abort();
		(void)strlen(ps.text);
		pdu_submit_free(&ps);
	} else {
		if (cause == NULL || ps.text != NULL)
			abort();
		free(cause);
	}
	if (pdu_decode_status(s, &st, &cause) == 0)
		(void)pdu_status_class(st.status);
	else {
		if (cause == NULL)
			abort();
		free(cause);
	}
	(void)pdu_number_match("13800138000", s);
	free(s);
}

int
LLVMFuzzerTestOneInput(const uint8_t *data, size_t len)
{
	char	*text;

	if (len == 0 || len > 4096)
		return (0);
	decode_hex(data, len);
	/* The first byte chooses options, the rest is the text. */
	if (memchr(data + 1, '\0', len - 1) == NULL) {
		text = xstrndup((const char *)data + 1, len - 1);
		round_trip(text, data[0]);
		free(text);
	}
	return (0);
}
