// SPDX-License-Identifier: GPL-2.0
/*
 * crash_test.ko - a module that misbehaves on purpose, so that the test
 * harness can prove it fails a run whose kernel log reports a problem.
 * Never load it outside the test VM.
 */
#include <linux/module.h>
#include <linux/bug.h>

static bool warn;
module_param(warn, bool, 0444);
MODULE_PARM_DESC(warn, "Trigger a kernel WARNING at load");

static int __init crash_test_init(void)
{
	WARN(warn, "crash_test: deliberate warning for the harness self-test\n");
	return 0;
}

static void __exit crash_test_exit(void)
{
}

module_init(crash_test_init);
module_exit(crash_test_exit);
MODULE_DESCRIPTION("Deliberately misbehaving module for the harness self-test");
MODULE_LICENSE("GPL");
