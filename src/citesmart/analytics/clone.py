"""The copy a refresh starts from: a reflink where the file system shares blocks, else bytes.

An incremental refresh copies the current generation and changes the copy
(`connection.new_generation`). On XFS (reflink on: mkfs.xfs's default since xfsprogs 5.1)
and on btrfs the copy is a reflink: the new file shares every block with the old one, and
only the blocks DuckDB's checkpoint then writes take new space and time. A refresh then
costs what it changes, not the size of the read model (about 1 GB at 10M services). Other
file systems (ext4, tmpfs) get every byte copied, in the kernel.

Django-free, like `connection`.
"""

import errno
import fcntl
import logging
import os
import shutil
from pathlib import Path

logger = logging.getLogger(__name__)

FICLONE = getattr(fcntl, "FICLONE", 0x40049409)  # linux/fs.h; in fcntl from Python 3.12
# What the ioctl answers when this file system, or this pair of files, cannot share blocks.
_NO_REFLINK = {errno.EOPNOTSUPP, errno.ENOTTY, errno.EXDEV, errno.EINVAL, errno.ENOSYS}
_said: set[bool] = set()  # which kind of copy this process has already logged


def clone(source: Path, target: Path) -> bool:
    """Copy `source` into a new file `target`; True when the copy is a reflink."""
    with open(source, "rb") as src, open(target, "wb") as dst:
        try:
            fcntl.ioctl(dst.fileno(), FICLONE, src.fileno())
            shared = True
        except OSError as error:
            if error.errno not in _NO_REFLINK:
                raise
            shared = False
    if not shared:
        shutil.copyfile(source, target)
    _say_once(shared, target.parent)
    return shared


def _say_once(shared: bool, directory: Path) -> None:
    if shared in _said:
        return
    _said.add(shared)
    if shared:
        logger.info("analytics: cada generación nueva comparte bloques con la anterior (reflink)")
    else:
        logger.info(
            "analytics: cada refresco copia la generación entera: %s no comparte bloques "
            "(reflink); en XFS o btrfs la copia no dependería del tamaño del modelo",
            os.fspath(directory),
        )
