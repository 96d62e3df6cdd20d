// SPDX-License-Identifier: GPL-2.0
/*
 * dmabuf_importer: a test importer whose DMA mask is a module parameter,
 * for tests/host/skel_export_dma_mask.sh. No importer Debian ships has a
 * mask below the 4 GiB skel allocates under, so this one attaches its own
 * device to the dma-buf user space hands it: DMABUF_IMPORTER_ATTACH takes
 * an fd and returns 0 if dma_buf_attach() succeeded (and detaches again),
 * or its error.
 */
#include <linux/dma-buf.h>
#include <linux/dma-mapping.h>
#include <linux/miscdevice.h>
#include <linux/module.h>
#include <linux/platform_device.h>

#include "kernel_compat.h"

#define DMABUF_IMPORTER_ATTACH	_IOW('k', 0x70, int)

static unsigned int dma_bits = 32;
module_param(dma_bits, uint, 0444);
MODULE_PARM_DESC(dma_bits, "Width of the importing device's DMA mask (12..64)");

static struct platform_device *importer_pdev;

static long importer_ioctl(struct file *filp, unsigned int cmd,
			   unsigned long arg)
{
	struct dma_buf_attachment *attach;
	struct dma_buf *dmabuf;
	int fd, ret = 0;

	if (cmd != DMABUF_IMPORTER_ATTACH)
		return -ENOTTY;
	if (get_user(fd, (int __user *)arg))
		return -EFAULT;
	dmabuf = dma_buf_get(fd);
	if (IS_ERR(dmabuf))
		return PTR_ERR(dmabuf);
	attach = dma_buf_attach(dmabuf, &importer_pdev->dev);
	if (IS_ERR(attach))
		ret = PTR_ERR(attach);
	else
		dma_buf_detach(dmabuf, attach);
	dma_buf_put(dmabuf);
	return ret;
}

static const struct file_operations importer_fops = {
	.owner = THIS_MODULE,
	.unlocked_ioctl = importer_ioctl,
};

static struct miscdevice importer_misc = {
	.minor = MISC_DYNAMIC_MINOR,
	.name = KBUILD_MODNAME,
	.fops = &importer_fops,
	.mode = 0600,
};

static int __init importer_init(void)
{
	int ret;

	if (dma_bits < 12 || dma_bits > 64)
		return -EINVAL;
	importer_pdev = platform_device_register_simple(KBUILD_MODNAME,
							PLATFORM_DEVID_NONE,
							NULL, 0);
	if (IS_ERR(importer_pdev))
		return PTR_ERR(importer_pdev);
	/*
	 * Set directly: dma_set_mask() refuses a mask narrower than the
	 * machine's lowest DMA zone, or than its RAM where there is none (the
	 * debug kernel), and a narrow one is the point. The device never
	 * maps anything: it only attaches.
	 */
	importer_pdev->dev.coherent_dma_mask = DMA_BIT_MASK(dma_bits);
	*importer_pdev->dev.dma_mask = DMA_BIT_MASK(dma_bits);
	ret = misc_register(&importer_misc);
	if (ret)
		platform_device_unregister(importer_pdev);
	return ret;
}

static void __exit importer_exit(void)
{
	misc_deregister(&importer_misc);
	platform_device_unregister(importer_pdev);
}

module_init(importer_init);
module_exit(importer_exit);

MODULE_DESCRIPTION("Test dma-buf importer with a DMA mask of a given width");
MODULE_LICENSE("GPL");
LDD3_IMPORT_DMA_BUF_NS();
