/* !handle [HANDLE [FLAGS [TYPE]]]: the process's handles, from the
 * HandleData stream (MiniDumpWithHandleData: .dump /mh, /ma).
 *
 *   HANDLE  0, -1 or left out: every handle; else that one
 *   FLAGS   bit 0 type, bit 1 attributes, access and counts, bit 2 name,
 *           bit 3 object-specific information; 1 by default, as in WinDbg
 *   TYPE    only handles of this type (case-sensitive, as in WinDbg)
 *
 * Listing every handle ends with the count and a table of handles per type.
 * A handle whose type the writer could not read counts as "None". */
#include "console/con_internal.h"

#include <inttypes.h>
#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"

enum { HF_TYPE = 1, HF_BASIC = 2, HF_NAME = 4, HF_OBJECT = 8 };

/* The access rights every object type shares (winnt.h: bits 16-20 and the
 * generic bits), as WinDbg names them on the first line of GrantedAccess. */
typedef struct right {
    uint32_t bit;
    const char *name;
} right;

static const right standard_rights[] = {
    { 0x00010000, "Delete" },        { 0x00020000, "ReadControl" },    { 0x00040000, "WriteDac" },
    { 0x00080000, "WriteOwner" },    { 0x00100000, "Synch" },          { 0x01000000, "AccessSystemSecurity" },
    { 0x02000000, "MaximumAllowed" }, { 0x10000000, "GenericAll" },    { 0x20000000, "GenericExecute" },
    { 0x40000000, "GenericWrite" },  { 0x80000000, "GenericRead" },    { 0, NULL },
};

/* Specific rights (the low 16 bits) by object type, from the SDK's
 * *_QUERY_STATE / FILE_* / KEY_* / PROCESS_* ... constants. */
static const right event_rights[] = { { 1, "QueryState" }, { 2, "ModifyState" }, { 0, NULL } };
static const right mutant_rights[] = { { 1, "QueryState" }, { 0, NULL } };
static const right directory_rights[] = { { 1, "Query" }, { 2, "Traverse" }, { 4, "Create" }, { 8, "CreateSubdir" },
                                           { 0, NULL } };
static const right symlink_rights[] = { { 1, "Query" }, { 0, NULL } };
static const right section_rights[] = { { 1, "Query" },      { 2, "MapWrite" }, { 4, "MapRead" },
                                        { 8, "MapExecute" }, { 0x10, "Extend" }, { 0, NULL } };
static const right key_rights[] = { { 1, "QueryValue" }, { 2, "SetValue" },  { 4, "CreateSubKey" }, { 8, "EnumSubKey" },
                                    { 0x10, "Notify" },  { 0x20, "CreateLink" }, { 0, NULL } };
static const right file_rights[] = { { 1, "Read/List" },     { 2, "Write/Add" },         { 4, "Append/SubDir/CreatePipe" },
                                     { 8, "ReadEA" },        { 0x10, "WriteEA" },        { 0x20, "Execute/Traverse" },
                                     { 0x40, "DeleteChild" }, { 0x80, "ReadAttr" },      { 0x100, "WriteAttr" },
                                     { 0, NULL } };
static const right process_rights[] = {
    { 1, "Terminate" },       { 2, "CreateThread" },     { 4, "SetSessionId" },     { 8, "VMOp" },
    { 0x10, "VMRead" },       { 0x20, "VMWrite" },       { 0x40, "DupHandle" },     { 0x80, "CreateProcess" },
    { 0x100, "SetQuota" },    { 0x200, "SetInfo" },      { 0x400, "QueryInfo" },    { 0x800, "SuspendResume" },
    { 0x1000, "QueryLimitedInfo" }, { 0x2000, "SetLimitedInfo" }, { 0, NULL },
};
static const right thread_rights[] = {
    { 1, "Terminate" },      { 2, "Suspend" },         { 4, "Alert" },            { 8, "GetContext" },
    { 0x10, "SetContext" },  { 0x20, "SetInfo" },      { 0x40, "QueryInfo" },     { 0x80, "SetToken" },
    { 0x100, "Impersonate" }, { 0x200, "DirectImpersonate" }, { 0x400, "SetLimitedInfo" },
    { 0x800, "QueryLimitedInfo" }, { 0x1000, "Resume" }, { 0, NULL },
};
static const right token_rights[] = {
    { 1, "AssignPrimary" },     { 2, "Duplicate" },      { 4, "Impersonate" },    { 8, "Query" },
    { 0x10, "QuerySource" },    { 0x20, "AdjustPrivileges" }, { 0x40, "AdjustGroups" }, { 0x80, "AdjustDefault" },
    { 0x100, "AdjustSessionId" }, { 0, NULL },
};
static const right desktop_rights[] = {
    { 1, "ReadObjects" },   { 2, "CreateWindow" },    { 4, "CreateMenu" },  { 8, "HookControl" },
    { 0x10, "JournalRecord" }, { 0x20, "JournalPlayback" }, { 0x40, "Enumerate" }, { 0x80, "WriteObjects" },
    { 0x100, "SwitchDesktop" }, { 0, NULL },
};
static const right winsta_rights[] = {
    { 1, "EnumDesktops" },      { 2, "ReadAttributes" }, { 4, "AccessClipboard" }, { 8, "CreateDesktop" },
    { 0x10, "WriteAttributes" }, { 0x20, "AccessGlobalAtoms" }, { 0x40, "ExitWindows" }, { 0x100, "Enumerate" },
    { 0x200, "ReadScreen" },    { 0, NULL },
};
static const right job_rights[] = { { 1, "AssignProcess" }, { 2, "SetAttributes" }, { 4, "Query" }, { 8, "Terminate" },
                                    { 0x10, "SetSecurityAttributes" }, { 0, NULL } };
static const right port_rights[] = { { 1, "Connect" }, { 0, NULL } };
static const right worker_factory_rights[] = { { 1, "ReleaseWorker" }, { 2, "Wait" },           { 4, "SetInformation" },
                                               { 8, "QueryInformation" }, { 0x10, "ReadyWorker" }, { 0x20, "Shutdown" },
                                               { 0, NULL } };
static const right wait_packet_rights[] = { { 1, "ModifyState" }, { 0, NULL } };

static const struct {
    const char *type;
    const right *rights;
} type_rights[] = {
    { "Event", event_rights },         { "Semaphore", event_rights },        { "Timer", event_rights },
    { "IRTimer", event_rights },       { "IoCompletion", event_rights },     { "Mutant", mutant_rights },
    { "Directory", directory_rights }, { "SymbolicLink", symlink_rights },   { "Section", section_rights },
    { "Key", key_rights },             { "File", file_rights },              { "Process", process_rights },
    { "Thread", thread_rights },       { "Token", token_rights },            { "Desktop", desktop_rights },
    { "WindowStation", winsta_rights }, { "Job", job_rights },              { "ALPC Port", port_rights },
    { "Port", port_rights },           { "WaitablePort", port_rights },      { "TpWorkerFactory", worker_factory_rights },
    { "WaitCompletionPacket", wait_packet_rights },
};

static const char *type_of(const md_handle *h) { return h->type_name && *h->type_name ? h->type_name : NULL; }

/* One line of rights names, comma-separated; bits no name covers are
 * shown in hex; "None" when no bit of mask is set. */
static void print_rights(con_session *s, uint32_t access, uint32_t mask, const right *names)
{
    uint32_t bits = access & mask, rest = bits;
    bool first = true;
    con_puts(s, "         ");
    for (size_t i = 0; names && names[i].name; i++) {
        if (!(bits & names[i].bit)) continue;
        con_printf(s, "%s%s", first ? "" : ",", names[i].name);
        rest &= ~names[i].bit;
        first = false;
    }
    if (rest) {
        con_printf(s, "%s0x%x", first ? "" : ",", rest);
        first = false;
    }
    con_puts(s, first ? "None\n" : "\n");
}

static const right *rights_for(const char *type)
{
    for (size_t i = 0; type && i < sizeof type_rights / sizeof type_rights[0]; i++)
        if (strcmp(type_rights[i].type, type) == 0) return type_rights[i].rights;
    return NULL;
}

/* Flag 8: the object information a HandleData v2 descriptor carries,
 * decoded for the kinds whose layout is the documented NtQuery* result. */
static void print_object_info(con_session *s, const md_handle *h)
{
    md_handle_object_info info[8];
    size_t n = md_handle_object_infos(s->t->dump, h, info, sizeof info / sizeof info[0]);
    if (!n) {
        con_puts(s, "  No object specific information available\n");
        return;
    }
    con_puts(s, "  Object Specific Information\n");
    for (size_t i = 0; i < n; i++) {
        const uint8_t *p = md_file_bytes(s->t->dump, info[i].data.rva, info[i].data.size);
        uint32_t size = info[i].data.size;
        switch (info[i].type) {
        case MD_HANDLE_INFO_EVENT1: /* EVENT_BASIC_INFORMATION { EVENT_TYPE EventType; LONG EventState; } */
            if (size < 8) break;
            con_printf(s, "    Event Type %s\n", le32(p) == 0 ? "Manual Reset" : "Auto Reset");
            con_printf(s, "    Event is %s\n", le32(p + 4) ? "Set" : "Waiting");
            continue;
        case MD_HANDLE_INFO_MUTANT1: /* MUTANT_BASIC_INFORMATION { LONG CurrentCount; BOOLEAN Owned, Abandoned; } */
            if (size < 6) break;
            con_printf(s, "    Mutex is %s\n", (int32_t)le32(p) > 0 ? "Free" : "Owned");
            if (p[5]) con_puts(s, "    Mutex is Abandoned\n");
            continue;
        case MD_HANDLE_INFO_SEMAPHORE1: /* SEMAPHORE_BASIC_INFORMATION { LONG CurrentCount; LONG MaximumCount; } */
            if (size < 8) break;
            con_printf(s, "    Semaphore Count %d\n", (int32_t)le32(p));
            con_printf(s, "    Semaphore Limit %d\n", (int32_t)le32(p + 4));
            continue;
        default:
            break;
        }
        con_printf(s, "    Object information of kind %u, %u bytes, not decoded\n", info[i].type, size);
    }
}

static void print_handle(con_session *s, const md_handle *h, uint64_t flags)
{
    char b[24];
    con_printf(s, "Handle %s\n", con_fmt_addr_plain(s, h->handle, b));
    const char *type = type_of(h);
    if (flags & HF_TYPE) con_printf(s, "  Type         \t%s\n", type ? type : "");
    if (flags & HF_BASIC) {
        con_printf(s, "  Attributes   \t%x\n", h->attributes);
        con_printf(s, "  GrantedAccess\t0x%x:\n", h->granted_access);
        print_rights(s, h->granted_access, 0xFFFF0000u, standard_rights);
        print_rights(s, h->granted_access, 0xFFFFu, rights_for(type));
        con_printf(s, "  HandleCount  \t%u\n", h->handle_count);
        con_printf(s, "  PointerCount \t%u\n", h->pointer_count);
    }
    if (flags & HF_NAME)
        con_printf(s, "  Name         \t%s\n", h->object_name && *h->object_name ? h->object_name : "<none>");
    if (flags & HF_OBJECT) print_object_info(s, h);
}

/* The per-type table: types in the order they first appear. Sorted by
 * name to count them: a search of the table for each handle was quadratic,
 * and a dump giving 50,000 handles 50,000 type names took seconds. */
typedef struct type_count {
    const char *type;
    size_t first, count; /* first: where in the listing the type first appears */
} type_count;

static int cmp_type_then_first(const void *a, const void *b)
{
    const type_count *x = a, *y = b;
    int c = strcmp(x->type, y->type);
    return c ? c : (x->first > y->first) - (x->first < y->first);
}

static int cmp_first(const void *a, const void *b)
{
    const type_count *x = a, *y = b;
    return (x->first > y->first) - (x->first < y->first);
}

static void print_type_counts(con_session *s, const md_handle *h, const size_t *shown, size_t nshown)
{
    type_count *t = calloc(nshown ? nshown : 1, sizeof *t);
    if (!t) return;
    for (size_t k = 0; k < nshown; k++) {
        const char *type = type_of(&h[shown[k]]);
        t[k] = (type_count){ type ? type : "None", k, 1 };
    }
    qsort(t, nshown, sizeof *t, cmp_type_then_first);
    size_t ntypes = 0;
    for (size_t k = 0; k < nshown; k++) {
        if (ntypes && strcmp(t[ntypes - 1].type, t[k].type) == 0) t[ntypes - 1].count++;
        else t[ntypes++] = t[k]; /* the first of its run: the earliest appearance */
    }
    qsort(t, ntypes, sizeof *t, cmp_first);
    con_printf(s, "%zu Handles\n", nshown);
    con_puts(s, "Type           \tCount\n");
    for (size_t j = 0; j < ntypes; j++) con_printf(s, "%-15s\t%zu\n", t[j].type, t[j].count);
    free(t);
}

int cmd_handle(con_session *s, const char *name, const char *args, cor_err *err)
{
    uint64_t which = 0, flags = HF_TYPE;
    const char *p = args, *type = NULL;
    if (*p) {
        if (con_eval(s, p, &p, &which, err) != COR_OK) return COR_FAIL;
        while (*p == ' ' || *p == '\t') p++;
    }
    if (*p) {
        if (con_eval(s, p, &p, &flags, err) != COR_OK) return COR_FAIL;
        while (*p == ' ' || *p == '\t') p++;
    }
    if (*p) type = p;
    /* -1 in either width means every handle, as 0 does. */
    bool all = which == 0 || which == UINT64_MAX || which == 0xFFFFFFFFu;

    const md_handle *h;
    size_t n;
    if (md_handles(s->t->dump, &h, &n, err) != COR_OK) return COR_FAIL;
    if (!md_find_stream(s->t->dump, MD_STREAM_HANDLE_DATA))
        return cor_fail(err, "The dump has no handle data: it has no HandleData stream "
                             "(written without MiniDumpWithHandleData; .dump /mh or /ma records it)");
    size_t *shown = calloc(n ? n : 1, sizeof *shown);
    if (!shown) return cor_fail(err, "out of memory");
    size_t nshown = 0;
    for (size_t i = 0; i < n; i++) {
        if (!all && h[i].handle != which) continue;
        if (type && strcmp(type_of(&h[i]) ? type_of(&h[i]) : "None", type) != 0) continue;
        print_handle(s, &h[i], flags);
        shown[nshown++] = i;
    }
    int rc = COR_OK;
    if (all) {
        print_type_counts(s, h, shown, nshown);
    } else if (!nshown) {
        char b[24];
        rc = cor_fail(err, "Handle %s is not in the dump's handle data%s%s", con_fmt_addr_plain(s, which, b),
                      type ? " with type " : "", type ? type : "");
    }
    free(shown);
    return rc;
}
