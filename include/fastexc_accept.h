/*
 * fastexc_accept.h - content negotiation's pure part: an Accept header read
 * as RFC 9110 12.5.1 says, and the choice among the media types offered.
 *
 * Internal header. Needs only APR (no httpd header), so the Check unit
 * tests exercise it without httpd.
 */
#ifndef FASTEXC_ACCEPT_H
#define FASTEXC_ACCEPT_H

/** The quality, 0 to 1000 (q=0.5 is 500), that the Accept field value
 *  accept gives the media type offer ("type/subtype", no parameters): the
 *  q of the most specific media range that matches it (type/subtype before
 *  type/ *, before * / *; among equally specific ones, the highest q).
 *  Media type parameters other than q are not compared; what follows q
 *  (accept extensions) is ignored. A malformed element (no "/", "* /json",
 *  a q that is not a qvalue) is skipped. -1 when no range matches (or
 *  accept is NULL). */
int fastexc_accept_quality(const char *accept, const char *offer);

/** The index of the offer (of n, in order of preference for ties) that
 *  accept prefers: the highest quality above 0, a tie going to the earlier
 *  offer. -1 when accept is NULL or refuses or omits every offer. */
int fastexc_accept_choose(const char *accept, const char *const *offers,
                          int n);

#endif /* FASTEXC_ACCEPT_H */
