/* PEB and TEB readers. Offsets per bitness in tables, not code (STYLE.md):
 * the x86 column is also WoW64's 32-bit view. */
#include "process/environment.h"

#include <stdlib.h>
#include <string.h>

#include "core/cursor.h"
#include "core/text.h"
#include "target/wow64.h"

typedef struct teb_layout {
    uint32_t exception_list, stack_base, stack_limit, sub_system_tib, fiber_data, arbitrary_user_pointer, self,
        environment_pointer, client_id, rpc_handle, tls_pointer, peb, last_error, owned_locks, last_status,
        deallocation_stack, hard_error_mode;
} teb_layout;

static const teb_layout teb32 = { 0x00, 0x04, 0x08, 0x0C, 0x10, 0x14, 0x18, 0x1C, 0x20, 0x28, 0x2C,
                                  0x30, 0x34, 0x38, 0xBF4, 0xE0C, 0xF28 };
static const teb_layout teb64 = { 0x00, 0x08, 0x10, 0x18, 0x20, 0x28, 0x30, 0x38, 0x40, 0x50, 0x58,
                                  0x60, 0x68, 0x6C, 0x1250, 0x1478, 0x16B0 };

typedef struct peb_layout {
    uint32_t being_debugged, image_base, ldr, process_parameters, process_heap, number_of_processors,
        nt_global_flag, number_of_heaps, process_heaps, os_major, os_minor, os_build, os_platform, session_id;
} peb_layout;

static const peb_layout peb32 = { 0x02, 0x08, 0x0C, 0x10, 0x18, 0x64, 0x68, 0x88, 0x90, 0xA4, 0xA8, 0xAC, 0xB0, 0x1D4 };
static const peb_layout peb64 = { 0x02, 0x10, 0x18, 0x20, 0x30, 0xB8, 0xBC, 0xE8, 0xF0, 0x118, 0x11C, 0x120, 0x124, 0x2C0 };

/* RTL_USER_PROCESS_PARAMETERS: UNICODE_STRING fields and the environment. */
typedef struct params_layout {
    uint32_t flags, current_directory, dll_path, image_path, command_line, environment, window_title,
        desktop_info, environment_size;
} params_layout;

static const params_layout params32 = { 0x08, 0x24, 0x30, 0x38, 0x40, 0x48, 0x70, 0x78, 0x290 };
static const params_layout params64 = { 0x08, 0x38, 0x50, 0x60, 0x70, 0x80, 0xB0, 0xC0, 0x3F0 };

/* RTL_USER_PROC_PARAMS_NORMALIZED: string buffers are absolute pointers. */
#define PARAMS_NORMALIZED 0x1
/* Environment blocks are rarely over a few KB; the cap bounds a bad size. */
#define MAX_ENVIRONMENT (1u << 20)

bool proc_is_wow64(cor_target *t) { return target_is_wow64(t); }

static int rd_ptr(cor_target *t, uint64_t addr, unsigned ps, uint64_t *v)
{
    return as_read_ptr(t->as, addr, ps, v);
}

int proc_read_teb(cor_target *t, size_t i, bool prefer32, proc_teb *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    const md_thread *th = md_thread_at(t->dump, i);
    if (!th) return cor_fail(err, "no thread %zu", i);
    uint64_t addr = th->teb;
    unsigned ps = t->ptr_size;
    if (prefer32 && proc_is_wow64(t)) {
        uint32_t self;
        addr += WOW64_TEB32_OFFSET;
        /* Confirm by the 32-bit TEB's Self field pointing at itself. */
        if (as_read_u32(t->as, addr + teb32.self, &self) != COR_OK || self != addr)
            return cor_fail(err, "no 32-bit TEB at 0x%llx for this WoW64 thread", (unsigned long long)addr);
        ps = 4;
        out->wow64 = true;
    }
    const teb_layout *L = ps == 4 ? &teb32 : &teb64;
    out->addr = addr;
    out->ptr_size = ps;
    if (!addr) return cor_fail(err, "thread %zu has no TEB address", i);
    uint64_t tid = 0;
    if (rd_ptr(t, addr + L->stack_base, ps, &out->stack_base) != COR_OK ||
        rd_ptr(t, addr + L->stack_limit, ps, &out->stack_limit) != COR_OK ||
        rd_ptr(t, addr + L->peb, ps, &out->peb) != COR_OK)
        return cor_fail(err, "TEB at 0x%llx is not in the dump", (unsigned long long)addr);
    rd_ptr(t, addr + L->exception_list, ps, &out->exception_list);
    rd_ptr(t, addr + L->sub_system_tib, ps, &out->sub_system_tib);
    rd_ptr(t, addr + L->fiber_data, ps, &out->fiber_data);
    rd_ptr(t, addr + L->arbitrary_user_pointer, ps, &out->arbitrary_user_pointer);
    as_read_u32(t->as, addr + L->owned_locks, &out->owned_locks);
    as_read_u32(t->as, addr + L->hard_error_mode, &out->hard_error_mode);
    rd_ptr(t, addr + L->self, ps, &out->self);
    rd_ptr(t, addr + L->environment_pointer, ps, &out->environment_pointer);
    rd_ptr(t, addr + L->client_id, ps, &out->client_pid);
    rd_ptr(t, addr + L->client_id + ps, ps, &tid);
    out->client_tid = tid;
    rd_ptr(t, addr + L->rpc_handle, ps, &out->rpc_handle);
    rd_ptr(t, addr + L->tls_pointer, ps, &out->tls_pointer);
    as_read_u32(t->as, addr + L->last_error, &out->last_error);
    as_read_u32(t->as, addr + L->last_status, &out->last_status);
    rd_ptr(t, addr + L->deallocation_stack, ps, &out->deallocation_stack);
    return COR_OK;
}

/* Reads a UNICODE_STRING at addr. Unnormalized parameter blocks hold
 * buffer offsets relative to the block itself. */
static char *read_ustring(cor_target *t, uint64_t addr, unsigned ps, uint64_t rel_base)
{
    uint16_t len;
    uint64_t buf;
    if (as_read_u16(t->as, addr, &len) != COR_OK || rd_ptr(t, addr + ps, ps, &buf) != COR_OK) return NULL;
    if (len == 0) return strdup("");
    if (rel_base && buf < 0x10000) buf += rel_base;
    uint8_t *b = malloc(len);
    if (!b) return NULL;
    size_t got = as_read_partial(t->as, buf, b, len & ~1u);
    char *s = got ? utf16le_to_utf8(b, got) : NULL;
    free(b);
    return s;
}

static void read_environment(cor_target *t, uint64_t env, uint64_t size, proc_peb *p)
{
    if (!env) return;
    if (size == 0 || size > MAX_ENVIRONMENT) size = MAX_ENVIRONMENT;
    /* Read what is contiguous in the dump: the block is one allocation. */
    uint8_t *b = malloc(size);
    if (!b) return;
    size_t got = as_read_partial(t->as, env, b, size) & ~(size_t)1;
    size_t cap = 0;
    for (size_t off = 0; off + 2 <= got;) {
        size_t end = off;
        while (end + 2 <= got && (b[end] | b[end + 1])) end += 2;
        if (end == off) break; /* the empty string ends the block */
        char *s = utf16le_to_utf8(b + off, end - off);
        if (!s) break;
        if (p->nenvironment == cap) {
            cap = cap ? cap * 2 : 32;
            char **n = realloc(p->environment, cap * sizeof *n);
            if (!n) { free(s); break; }
            p->environment = n;
        }
        p->environment[p->nenvironment++] = s;
        off = end + 2;
    }
    free(b);
}

int proc_read_peb(cor_target *t, bool prefer32, proc_peb *out, cor_err *err)
{
    memset(out, 0, sizeof *out);
    proc_teb teb;
    int found = COR_FAIL;
    cor_err terr = { "no threads" };
    /* Any thread's TEB leads to the PEB; take the first that is readable. */
    for (size_t i = 0; i < md_thread_count(t->dump) && found != COR_OK; i++)
        found = proc_read_teb(t, i, prefer32, &teb, &terr);
    if (found != COR_OK) return cor_fail(err, "cannot find the PEB: %s", terr.msg);
    unsigned ps = teb.ptr_size;
    const peb_layout *L = ps == 4 ? &peb32 : &peb64;
    const params_layout *P = ps == 4 ? &params32 : &params64;
    uint64_t a = teb.peb;
    out->addr = a;
    out->ptr_size = ps;
    out->wow64 = teb.wow64;
    if (as_read_u8(t->as, a + L->being_debugged, &out->being_debugged) != COR_OK ||
        rd_ptr(t, a + L->image_base, ps, &out->image_base) != COR_OK)
        return cor_fail(err, "PEB at 0x%llx is not in the dump", (unsigned long long)a);
    /* InheritedAddressSpace and ReadImageFileExecOptions open the PEB. */
    as_read_u8(t->as, a, &out->inherited_address_space);
    as_read_u8(t->as, a + 1, &out->read_image_file_exec_options);
    rd_ptr(t, a + L->ldr, ps, &out->ldr);
    rd_ptr(t, a + L->process_parameters, ps, &out->process_parameters);
    rd_ptr(t, a + L->process_heap, ps, &out->process_heap);
    rd_ptr(t, a + L->process_heaps, ps, &out->process_heaps);
    as_read_u32(t->as, a + L->number_of_heaps, &out->number_of_heaps);
    as_read_u32(t->as, a + L->number_of_processors, &out->number_of_processors);
    as_read_u32(t->as, a + L->nt_global_flag, &out->nt_global_flag);
    as_read_u32(t->as, a + L->os_major, &out->os_major);
    as_read_u32(t->as, a + L->os_minor, &out->os_minor);
    uint16_t build = 0;
    as_read_u16(t->as, a + L->os_build, &build);
    out->os_build = build;
    as_read_u32(t->as, a + L->os_platform, &out->os_platform);
    as_read_u32(t->as, a + L->session_id, &out->session_id);

    uint64_t pp = out->process_parameters;
    if (pp) {
        uint32_t flags = 0;
        as_read_u32(t->as, pp + P->flags, &flags);
        uint64_t rel = (flags & PARAMS_NORMALIZED) ? 0 : pp;
        out->current_directory = read_ustring(t, pp + P->current_directory, ps, rel);
        out->dll_path = read_ustring(t, pp + P->dll_path, ps, rel);
        out->image_path = read_ustring(t, pp + P->image_path, ps, rel);
        out->command_line = read_ustring(t, pp + P->command_line, ps, rel);
        out->window_title = read_ustring(t, pp + P->window_title, ps, rel);
        out->desktop_info = read_ustring(t, pp + P->desktop_info, ps, rel);
        uint64_t env_size = 0;
        rd_ptr(t, pp + P->environment, ps, &out->environment_addr);
        rd_ptr(t, pp + P->environment_size, ps, &env_size);
        read_environment(t, out->environment_addr, env_size, out);
    }
    return COR_OK;
}

void proc_peb_free(proc_peb *p)
{
    free(p->current_directory);
    free(p->dll_path);
    free(p->image_path);
    free(p->command_line);
    free(p->window_title);
    free(p->desktop_info);
    for (size_t i = 0; i < p->nenvironment; i++) free(p->environment[i]);
    free(p->environment);
    memset(p, 0, sizeof *p);
}
