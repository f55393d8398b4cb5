# file: src/fastexc_phrase.c
# tests: t/raise.t
# bug: a reason phrase changed (one of the 48 the old unit table left out)
s/{ 508, "Loop Detected" }/{ 508, "Loop detected" }/
