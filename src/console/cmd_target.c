/* What the dump is: vertarget, | (the process), and the banner WinDbg
 * prints when it opens a dump. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <string.h>

#include "dump/ntstatus.h"
#include "dump/os_version.h"
#include "disasm/disasm.h"

/* MINIDUMP_TYPE bits (minidumpapiset.h). */
static const char *const dump_flag_names[] = {
    "MiniDumpWithDataSegs", "MiniDumpWithFullMemory", "MiniDumpWithHandleData",
    "MiniDumpFilterMemory", "MiniDumpScanMemory", "MiniDumpWithUnloadedModules",
    "MiniDumpWithIndirectlyReferencedMemory", "MiniDumpFilterModulePaths",
    "MiniDumpWithProcessThreadData", "MiniDumpWithPrivateReadWriteMemory",
    "MiniDumpWithoutOptionalData", "MiniDumpWithFullMemoryInfo", "MiniDumpWithThreadInfo",
    "MiniDumpWithCodeSegs", "MiniDumpWithoutAuxiliaryState", "MiniDumpWithFullAuxiliaryState",
    "MiniDumpWithPrivateWriteCopyMemory", "MiniDumpIgnoreInaccessibleMemory",
    "MiniDumpWithTokenInformation", "MiniDumpWithModuleHeaders", "MiniDumpFilterTriage",
    "MiniDumpWithAvxXStateContext", "MiniDumpWithIptTrace", "MiniDumpScanInaccessiblePartialPages",
    "MiniDumpFilterWriteCombinedMemory",
};

const char *con_dump_flag_name(unsigned bit)
{
    return bit < sizeof dump_flag_names / sizeof dump_flag_names[0] ? dump_flag_names[bit] : NULL;
}

/* WinDbg's two kinds of user dump. A Memory64List means the writer took
 * all memory even when the header's flags say otherwise (some tools). */
const char *con_dump_kind(const con_session *s)
{
    if ((md_header_flags(s->t->dump) & 0x2) || md_has_memory64(s->t->dump))
        return "User Mini Dump File with Full Memory: Only application data is available";
    return "User Mini Dump File: Only registers, stack and portions of memory are available";
}

/* VER_SUITE_* bits, in the order WinDbg lists them. */
static const char *const suite_names[16] = {
    "SmallBusiness", "Enterprise", "BackOffice", "CommunicationServer", "TerminalServer",
    "SmallBusinessRestricted", "EmbeddedNT", "DataCenter", "SingleUserTS", "Personal", "Blade",
    "EmbeddedRestricted", "SecurityAppliance", "StorageServer", "ComputeServer", "WHServer",
};

#define PLATFORM_WIN32_NT 2

/* WinDbg names the release by version number alone: a 2008 R2 server is
 * "Windows 7 Version 7601" with "Product: Server", and every 10.0 build
 * (Windows 11 and Server 2016-2025 included) is "Windows 10". */
static const char *windbg_os_name(const md_system_info *si)
{
    switch (si->major << 8 | si->minor) {
    case 0x500: return "Windows 2000";
    case 0x501: return "Windows XP";
    case 0x502: return "Windows Server 2003";
    case 0x600: return "Windows Server 2008/Windows Vista";
    case 0x601: return "Windows 7";
    case 0x602: return "Windows 8";
    case 0x603: return "Windows 8.1";
    case 0xA00: return "Windows 10";
    }
    return NULL;
}

static const char *windbg_arch(uint16_t arch)
{
    switch (arch) {
    case MD_ARCH_X86: return "x86 compatible";
    case MD_ARCH_AMD64: return "x64";
    case MD_ARCH_ARM64: return "ARM 64-bit (AArch64)";
    case MD_ARCH_ARM: return "ARM (Thumb-2)";
    }
    return md_arch_name(arch);
}

static void print_system(con_session *s)
{
    const md_system_info *si = md_get_system_info(s->t->dump);
    if (!si) {
        con_puts(s, "System information is not in the dump\n");
        return;
    }
    char procs[32];
    if (si->nprocs == 1) snprintf(procs, sizeof procs, "UP");
    else snprintf(procs, sizeof procs, "MP (%u procs)", si->nprocs);
    const char *name = windbg_os_name(si);
    if (si->platform == PLATFORM_WIN32_NT && name) {
        con_printf(s, "%s Version %u", name, si->build);
        if (si->csd_version && *si->csd_version) con_printf(s, " (%s)", si->csd_version);
        con_printf(s, " %s Free %s\n", procs, windbg_arch(si->arch));
    } else {
        char buf[64];
        con_printf(s, "%s Version %u.%u.%u %s %s\n", md_os_name(si, buf), si->major, si->minor, si->build, procs,
                   windbg_arch(si->arch));
    }
    const char *product = si->product_type == 1 ? "WinNt" : si->product_type == 2 ? "LanManNt"
                        : si->product_type == 3 ? "Server" : "unknown";
    con_printf(s, "Product: %s, suite:", product);
    for (unsigned b = 0; b < 16; b++)
        if (si->suite_mask & (1u << b)) con_printf(s, " %s", suite_names[b]);
    con_puts(s, "\n");
    const md_misc_info *mi = md_get_misc_info(s->t->dump);
    if (mi && (mi->flags & MD_MISC_BUILDSTRING) && mi->build_string && *mi->build_string)
        con_printf(s, "Edition build lab: %s\n", mi->build_string);
}

int cmd_vertarget(con_session *s, const char *name, const char *args, cor_err *err)
{
    print_system(s);
    /* Minidumps do not record the machine's name; WinDbg prints the line empty. */
    con_puts(s, "Machine Name:\n");
    con_print_times(s);
    /* Not in WinDbg's vertarget, which shows these when it opens the dump. */
    con_printf(s, "Dump file: %s\n%s\n", s->t->path, con_dump_kind(s));
    uint64_t flags = md_header_flags(s->t->dump);
    con_printf(s, "Dump flags: %08" PRIx64, flags);
    if (!flags) con_puts(s, " (MiniDumpNormal)");
    for (unsigned b = 0; b < 64; b++)
        if (flags & (1ull << b)) {
            const char *n = con_dump_flag_name(b);
            if (n) con_printf(s, " %s", n);
            else con_printf(s, " 0x%llx", 1ull << b);
        }
    con_puts(s, "\n");
    return COR_OK;
}

/* `|`: ".  0	id: f5c	examine	name: C:\test_app.exe", tab-separated as in WinDbg. */
int cmd_process_status(con_session *s, const char *name, const char *args, cor_err *err)
{
    if (*args) return cor_fail(err, "Syntax error in '|%s': only the current process (0) exists in a dump", args);
    const md_misc_info *mi = md_get_misc_info(s->t->dump);
    uint32_t pid = mi && (mi->flags & MD_MISC_PROCESS_ID) ? mi->pid : 0;
    const md_module *main_mod = md_module_at(s->t->dump, 0);
    con_printf(s, ".  0\tid: %x\texamine\tname: %s\n", pid, main_mod ? main_mod->path : "?");
    return COR_OK;
}

void con_print_banner(con_session *s)
{
    con_printf(s, "\nLoading Dump File [%s]\n%s\n\n", s->t->path, con_dump_kind(s));
    print_system(s);
    con_print_times(s);
    const md_exception *x = md_get_exception(s->t->dump);
    if (x) {
        const md_misc_info *mi = md_get_misc_info(s->t->dump);
        uint32_t pid = mi && (mi->flags & MD_MISC_PROCESS_ID) ? mi->pid : 0;
        const char *what = md_exception_name(x->code);
        con_puts(s, "This dump file has an exception of interest stored in it.\n"
                    "The stored exception information can be accessed via .ecxr.\n");
        con_printf(s, "(%x.%x): %s - code %08x (first/second chance not available)\n", pid, x->tid,
                   what ? what : "Unknown exception", x->code);
    }
    md_context c;
    cor_err err;
    if (md_thread_count(s->t->dump) && target_current_context(s->t, &c, &err) == COR_OK) {
        con_print_registers(s, &c);
        con_print_location(s, c.ip);
    }
}

/* WinDbg's names for the machines .effmach switches between. */
static const char *effmach_name(uint16_t arch)
{
    switch (arch) {
    case MD_ARCH_X86: return "x86 compatible (x86)";
    case MD_ARCH_AMD64: return "x64 (AMD64)";
    case MD_ARCH_ARM64: return "ARM 64-bit (AArch64) (ARM64)";
    default: return md_arch_name(arch);
    }
}

/* .effmach [x86|amd64|.]: the effective machine. On an AMD64 dump of a
 * WoW64 process, x86 turns to the program's 32-bit side (the x86 contexts
 * WoW64 saved, the 32-bit TEBs and stacks, x86 disassembly, 32-bit
 * pointers), as WinDbg's .effmach x86 and !wow64exts.sw do; `.` goes back
 * to the dump's own machine. */
int cmd_effmach(con_session *s, const char *name, const char *args, cor_err *err)
{
    (void)name;
    cor_target *t = s->t;
    uint16_t arch = t->eff_arch;
    if (*args) {
        if (strcmp(args, ".") == 0) arch = t->arch;
        else if (strcasecmp(args, "x86") == 0) arch = MD_ARCH_X86;
        else if (strcasecmp(args, "amd64") == 0 || strcasecmp(args, "x64") == 0) arch = MD_ARCH_AMD64;
        else if (strcasecmp(args, "arm64") == 0) arch = MD_ARCH_ARM64;
        else return cor_fail(err, "Syntax error: .effmach [x86|amd64|arm64|.] ('%s' is not a machine)", args);
        if (arch != t->eff_arch) {
            if (target_set_effective_machine(t, arch, err) != COR_OK) return COR_FAIL;
            /* What was decoded or selected for the other machine goes. */
            dis_close(s->dis);
            s->dis = NULL;
            s->has_next_u = false;
            s->cur_frame = 0;
        }
    }
    con_printf(s, "Effective machine: %s\n", effmach_name(arch));
    return COR_OK;
}
