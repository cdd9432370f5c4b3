/* !peb and !teb in WinDbg's layouts, over the process layer's readers. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <string.h>

#include "process/environment.h"

/* !peb prints pointers as %p does: full width, no backtick. */
static const char *ptr(unsigned ps, uint64_t v, char *buf)
{
    if (ps == 4) snprintf(buf, 24, "%08" PRIx64, v & 0xFFFFFFFFu);
    else snprintf(buf, 24, "%016" PRIx64, v);
    return buf;
}

static const char *text(const char *s) { return s ? s : "< Name not readable >"; }

static void print_peb(con_session *s, const proc_peb *p)
{
    unsigned ps = p->ptr_size;
    char b[24];
    con_printf(s, "%s at %s\n", p->wow64 ? "Wow64 PEB32" : "PEB", ptr(ps, p->addr, b));
    con_printf(s, "    InheritedAddressSpace:    %s\n", p->inherited_address_space ? "Yes" : "No");
    con_printf(s, "    ReadImageFileExecOptions: %s\n", p->read_image_file_exec_options ? "Yes" : "No");
    con_printf(s, "    BeingDebugged:            %s\n", p->being_debugged ? "Yes" : "No");
    con_printf(s, "    ImageBaseAddress:         %s\n", ptr(ps, p->image_base, b));
    con_printf(s, "    NtGlobalFlag:             %x\n", p->nt_global_flag);
    /* WinDbg really prints "Ldr" without a colon. */
    con_printf(s, "    Ldr                       %s\n", ptr(ps, p->ldr, b));
    con_printf(s, "    ProcessHeap:       %s\n", ptr(ps, p->process_heap, b));
    con_printf(s, "    ProcessParameters: %s\n", ptr(ps, p->process_parameters, b));
    con_printf(s, "    CurrentDirectory:  '%s'\n", text(p->current_directory));
    con_printf(s, "    WindowTitle:  '%s'\n", text(p->window_title));
    con_printf(s, "    ImageFile:    '%s'\n", text(p->image_path));
    con_printf(s, "    CommandLine:  '%s'\n", text(p->command_line));
    con_printf(s, "    DllPath:      '%s'\n", text(p->dll_path));
    con_printf(s, "    Environment:  %s\n", ptr(ps, p->environment_addr, b));
    for (size_t i = 0; i < p->nenvironment; i++) con_printf(s, "        %s\n", p->environment[i]);
}

int cmd_peb(con_session *s, const char *name, const char *args, cor_err *err)
{
    if (*args) return cor_fail(err, "!peb ADDR is not supported: !peb reads the process's own PEB");
    proc_peb p;
    /* A WoW64 process has two PEBs; WinDbg shows the 32-bit one first. */
    if (proc_is_wow64(s->t)) {
        if (proc_read_peb(s->t, true, &p, err) == COR_OK) {
            print_peb(s, &p);
            proc_peb_free(&p);
            con_puts(s, "\n");
        }
    }
    if (proc_read_peb(s->t, false, &p, err) != COR_OK) return COR_FAIL;
    print_peb(s, &p);
    proc_peb_free(&p);
    return COR_OK;
}

static void print_teb(con_session *s, const proc_teb *t)
{
    unsigned ps = t->ptr_size;
    char b[24], b2[24];
    con_printf(s, "%s at %s\n", t->wow64 ? "Wow64 TEB32" : "TEB", ptr(ps, t->addr, b));
    con_printf(s, "    ExceptionList:        %s\n", ptr(ps, t->exception_list, b));
    con_printf(s, "    StackBase:            %s\n", ptr(ps, t->stack_base, b));
    con_printf(s, "    StackLimit:           %s\n", ptr(ps, t->stack_limit, b));
    con_printf(s, "    SubSystemTib:         %s\n", ptr(ps, t->sub_system_tib, b));
    con_printf(s, "    FiberData:            %s\n", ptr(ps, t->fiber_data, b));
    con_printf(s, "    ArbitraryUserPointer: %s\n", ptr(ps, t->arbitrary_user_pointer, b));
    con_printf(s, "    Self:                 %s\n", ptr(ps, t->self, b));
    con_printf(s, "    EnvironmentPointer:   %s\n", ptr(ps, t->environment_pointer, b));
    con_printf(s, "    ClientId:             %s . %s\n", ptr(ps, t->client_pid, b), ptr(ps, t->client_tid, b2));
    con_printf(s, "    RpcHandle:            %s\n", ptr(ps, t->rpc_handle, b));
    con_printf(s, "    Tls Storage:          %s\n", ptr(ps, t->tls_pointer, b));
    con_printf(s, "    PEB Address:          %s\n", ptr(ps, t->peb, b));
    con_printf(s, "    LastErrorValue:       %u\n", t->last_error);
    con_printf(s, "    LastStatusValue:      %x\n", t->last_status);
    con_printf(s, "    Count Owned Locks:    %u\n", t->owned_locks);
    con_printf(s, "    HardErrorMode:        %u\n", t->hard_error_mode);
}

int cmd_teb(con_session *s, const char *name, const char *args, cor_err *err)
{
    size_t i = s->t->cur_thread;
    if (*args) {
        /* !teb ADDR: the thread whose TEB is there. */
        uint64_t addr;
        const char *end;
        if (con_eval(s, args, &end, &addr, err) != COR_OK) return COR_FAIL;
        i = (size_t)-1;
        for (size_t k = 0; k < md_thread_count(s->t->dump); k++)
            if (md_thread_at(s->t->dump, k)->teb == addr) i = k;
        if (i == (size_t)-1) {
            char b[24];
            return cor_fail(err, "No thread of the dump has its TEB at %s", con_fmt_addr(s, addr, b));
        }
    }
    if (!md_thread_at(s->t->dump, i)) return cor_fail(err, "The dump has no thread list");
    proc_teb t;
    if (proc_is_wow64(s->t) && proc_read_teb(s->t, i, true, &t, err) == COR_OK) {
        print_teb(s, &t);
        con_puts(s, "\n");
    }
    if (proc_read_teb(s->t, i, false, &t, err) != COR_OK) return COR_FAIL;
    print_teb(s, &t);
    return COR_OK;
}

int con_teb_address(con_session *s, uint64_t *addr)
{
    if (!md_thread_at(s->t->dump, s->t->cur_thread)) return COR_FAIL;
    *addr = target_thread_teb(s->t, s->t->cur_thread);
    return COR_OK;
}

int con_peb_address(con_session *s, uint64_t *addr)
{
    proc_teb t;
    cor_err err;
    /* The x86 view of a WoW64 dump has the 32-bit PEB. */
    if (proc_read_teb(s->t, s->t->cur_thread, target_wow64_view(s->t), &t, &err) != COR_OK) return COR_FAIL;
    *addr = t.peb;
    return COR_OK;
}
