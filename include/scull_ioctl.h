/* SPDX-License-Identifier: GPL-2.0 WITH Linux-syscall-note */
/*
 * scull_ioctl.h - ioctl commands of /dev/scullpN and /dev/scullvN.
 *
 * Included by the drivers and by user programs. The numbers are the book's
 * (LDD3 scullp.h and scullv.h): both devices use magic 'K' and the same
 * command numbers, so a program may use either set of names on either
 * device.
 *
 * Each command acts on the device the file descriptor refers to:
 *   RESET          back to the module's load-time order and qset
 *   S (Set)        new value read through a pointer to int
 *   T (Tell)       new value passed directly as the argument
 *   G (Get)        current value written through a pointer to int
 *   Q (Query)      current value is the return value of ioctl()
 *   X (eXchange)   like S, then the old value written through the pointer
 *   H (sHift)      like T, and the old value is the return value
 * RESET, S, T, X and H need CAP_SYS_ADMIN (EPERM otherwise). They fail with
 * EBUSY while the device holds data or is mapped (open it O_WRONLY to
 * empty it first), and with EINVAL for a value outside the ranges below.
 *
 * The quantum of a device is PAGE_SIZE << order bytes; qset is the number
 * of quanta described by one set (the unit in which the driver allocates
 * its index).
 */
#ifndef SCULL_IOCTL_H
#define SCULL_IOCTL_H

#include <linux/ioctl.h>

/* Accepted ranges of order and qset. */
#define SCULL_ORDER_MAX		9
#define SCULL_QSET_MIN		1
#define SCULL_QSET_MAX		65536

#define SCULLP_IOC_MAGIC	'K'
#define SCULLP_IOCRESET		_IO(SCULLP_IOC_MAGIC, 0)
#define SCULLP_IOCSORDER	_IOW(SCULLP_IOC_MAGIC, 1, int)
#define SCULLP_IOCTORDER	_IO(SCULLP_IOC_MAGIC, 2)
#define SCULLP_IOCGORDER	_IOR(SCULLP_IOC_MAGIC, 3, int)
#define SCULLP_IOCQORDER	_IO(SCULLP_IOC_MAGIC, 4)
#define SCULLP_IOCXORDER	_IOWR(SCULLP_IOC_MAGIC, 5, int)
#define SCULLP_IOCHORDER	_IO(SCULLP_IOC_MAGIC, 6)
#define SCULLP_IOCSQSET		_IOW(SCULLP_IOC_MAGIC, 7, int)
#define SCULLP_IOCTQSET		_IO(SCULLP_IOC_MAGIC, 8)
#define SCULLP_IOCGQSET		_IOR(SCULLP_IOC_MAGIC, 9, int)
#define SCULLP_IOCQQSET		_IO(SCULLP_IOC_MAGIC, 10)
#define SCULLP_IOCXQSET		_IOWR(SCULLP_IOC_MAGIC, 11, int)
#define SCULLP_IOCHQSET		_IO(SCULLP_IOC_MAGIC, 12)
#define SCULLP_IOC_MAXNR	12

#define SCULLV_IOC_MAGIC	SCULLP_IOC_MAGIC
#define SCULLV_IOCRESET		SCULLP_IOCRESET
#define SCULLV_IOCSORDER	SCULLP_IOCSORDER
#define SCULLV_IOCTORDER	SCULLP_IOCTORDER
#define SCULLV_IOCGORDER	SCULLP_IOCGORDER
#define SCULLV_IOCQORDER	SCULLP_IOCQORDER
#define SCULLV_IOCXORDER	SCULLP_IOCXORDER
#define SCULLV_IOCHORDER	SCULLP_IOCHORDER
#define SCULLV_IOCSQSET		SCULLP_IOCSQSET
#define SCULLV_IOCTQSET		SCULLP_IOCTQSET
#define SCULLV_IOCGQSET		SCULLP_IOCGQSET
#define SCULLV_IOCQQSET		SCULLP_IOCQQSET
#define SCULLV_IOCXQSET		SCULLP_IOCXQSET
#define SCULLV_IOCHQSET		SCULLP_IOCHQSET
#define SCULLV_IOC_MAXNR	SCULLP_IOC_MAXNR

#endif /* SCULL_IOCTL_H */
