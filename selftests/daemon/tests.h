/* SPDX-License-Identifier: GPL-2.0 */
/* The tests of hs_test: tests.def lists them in the order they run. */
#ifndef HST_TESTS_H
#define HST_TESTS_H

struct hst_test {
	const char *name;
	void (*run)(void);
};

#define HST_DEFINE(fn) const struct hst_test hst_##fn = { #fn, fn }

#define HST_TEST(name) extern const struct hst_test hst_##name;
#include "tests.def"
#undef HST_TEST

/* setup.c: the PKI and the generation most tests use */
extern struct tlsockd_gen *hst_base;
int hst_setup(void);
void hst_teardown(void);

#endif /* HST_TESTS_H */
