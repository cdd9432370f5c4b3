/* Human names for the Windows version a SystemInfo stream records. */
#ifndef COR_DUMP_OS_VERSION_H
#define COR_DUMP_OS_VERSION_H

#include "dump/minidump.h"

/* "Windows 10", "Windows Server 2019", "Windows 7", ... from major, minor,
 * build and product type; "Windows NT a.b" when unknown, or the platform
 * for non-Windows writers ("Linux", "macOS"). buf needs 64 bytes. */
const char *md_os_name(const md_system_info *si, char *buf);
/* "workstation", "domain controller", "server" or "unknown". */
const char *md_product_type_name(uint8_t product_type);

#endif
