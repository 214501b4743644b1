/*
 * verdict.h: what civicastd decides about an event, as pure functions
 * that `civicast publish` (and its --dry-run) calls too, so that the CLI
 * refuses locally exactly what the daemon would reject, with the same
 * words, and says when an event will wait for a second operator.
 *
 *   verdict_event     parse, validate, authenticate (a callback: the
 *                     daemon checks the signature, the CLI signs), replay
 *                     window, department scope; render the shared text
 *   verdict_audience  once the audience is counted: the department's
 *                     largest audience, and the two-person rule
 */
#ifndef CIVICAST_VERDICT_H
#define CIVICAST_VERDICT_H

#include <stddef.h>
#include <time.h>

struct broadcast;
struct buf;
struct conf;
struct conf_department;
struct district_table;
struct tmpl_set;

#define VERDICT_NAME_RESERVE	32	/* characters a recipient name may add */
#define VERDICT_PLACE_RESERVE	16	/* characters a district name may add */

/*
 * Whether an event is authentic (its signature, with the department's
 * key); 0 or -1 with cause.  NULL: the caller vouches for it (the CLI,
 * which signs what it publishes).
 */
typedef int	verdict_auth_cb(void *arg, const struct conf_department *,
		    char **cause);

/*
 * Everything civicastd checks of an event before its audience is
 * counted, in the daemon's order: size and syntax, the contract and the
 * configuration (broadcast_check), authenticity (auth, skipped for NULL),
 * the replay window on `sent` (security.max_age, max_ahead), the
 * department's scope; then the text that does not depend on the
 * recipient, signature first, rendered into text with its worst case
 * checked against message_max_chars.  On success ev is filled (the
 * caller frees it); -1 with cause, the reason a rejection records.
 */
int	 verdict_event(const char *json, size_t len, const struct conf *,
	    const struct district_table *, const struct tmpl_set *,
	    time_t now, verdict_auth_cb *auth, void *arg, struct broadcast *ev,
	    struct buf *text, int *personal, char **cause);

struct tmpl;
/* 1 when the template's text depends on the recipient. */
int	 verdict_personal(const struct tmpl *);
/*
 * Render one message body for a recipient (name and district may be "")
 * into out: the template with the event's parameters and the
 * department's fields.  -1 with cause (a missing value, over out's cap).
 */
int	 verdict_render(const struct tmpl *, const struct broadcast *,
	    const struct conf_department *, const struct district_table *,
	    const char *name, const char *district, struct buf *out,
	    char **cause);

enum verdict_gate {
	VERDICT_GO,		/* fan out and send */
	VERDICT_REVIEW,		/* an emergency that goes unapproved, flagged */
	VERDICT_HOLD,		/* waits for a second operator */
	VERDICT_REJECT		/* over the department's max_audience */
};

/*
 * What happens once the audience is counted (targeted phones): rejected
 * over the department's max_audience; else held for approval when over
 * security.approval_over or of a category in approval_categories
 * (unless already approved), an emergency taking the fast path when
 * approval_emergency_fast is set.  *cause says why for every outcome
 * but VERDICT_GO (NULL then); the caller frees it.
 */
enum verdict_gate verdict_audience(const struct broadcast *,
	    const struct conf *, const struct conf_department *,
	    long long targeted, int approved, char **cause);
/* "go", "review", "hold" or "reject". */
const char	*verdict_gate_name(enum verdict_gate);

#endif
