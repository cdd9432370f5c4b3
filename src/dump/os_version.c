#include "dump/os_version.h"

#include <stdio.h>

/* VER_PLATFORM_WIN32_NT, and the ids Breakpad/Crashpad writers use. */
#define PLATFORM_WIN32_NT 2
#define PLATFORM_MACOS 0x8101
#define PLATFORM_IOS 0x8102
#define PLATFORM_LINUX 0x8201
#define PLATFORM_ANDROID 0x8203

const char *md_product_type_name(uint8_t product_type)
{
    switch (product_type) {
    case 1: return "workstation";
    case 2: return "domain controller";
    case 3: return "server";
    }
    return "unknown";
}

/* Windows 10 and 11 and their server siblings all report 10.0; the build
 * number tells them apart (learn.microsoft.com release information). */
static const char *server_10(uint32_t build)
{
    if (build >= 26100) return "Windows Server 2025";
    if (build >= 20348) return "Windows Server 2022";
    if (build >= 17763) return "Windows Server 2019";
    return "Windows Server 2016";
}

const char *md_os_name(const md_system_info *si, char *buf)
{
    const char *name = NULL;
    bool server = si->product_type != 1;
    switch (si->platform) {
    case PLATFORM_MACOS: return "macOS";
    case PLATFORM_IOS: return "iOS";
    case PLATFORM_LINUX: return "Linux";
    case PLATFORM_ANDROID: return "Android";
    case PLATFORM_WIN32_NT: break;
    default:
        snprintf(buf, 64, "platform 0x%x", si->platform);
        return buf;
    }
    uint32_t v = si->major << 8 | si->minor;
    switch (v) {
    case 0x500: name = "Windows 2000"; break;
    case 0x501: name = "Windows XP"; break;
    case 0x502: name = server ? "Windows Server 2003" : "Windows XP x64"; break;
    case 0x600: name = server ? "Windows Server 2008" : "Windows Vista"; break;
    case 0x601: name = server ? "Windows Server 2008 R2" : "Windows 7"; break;
    case 0x602: name = server ? "Windows Server 2012" : "Windows 8"; break;
    case 0x603: name = server ? "Windows Server 2012 R2" : "Windows 8.1"; break;
    case 0xA00: name = server ? server_10(si->build) : si->build >= 22000 ? "Windows 11" : "Windows 10"; break;
    }
    if (name) return name;
    snprintf(buf, 64, "Windows NT %u.%u", si->major, si->minor);
    return buf;
}
