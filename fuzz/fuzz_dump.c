/* libFuzzer target: the minidump parser and the address space over it.
 * Everything a caller can reach after md_open_mem succeeds is exercised:
 * the index streams, the lazy streams, contexts, and reads at addresses
 * taken from the input itself. */
#include <stdint.h>
#include <stdlib.h>

#include "dump/context.h"
#include "dump/minidump.h"
#include "mem/address_space.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
    md_dump *d;
    cor_err err;
    if (md_open_mem(data, size, &d, &err) != COR_OK) return 0;
    uint16_t arch = md_dump_arch(d);
    for (size_t i = 0; i < md_thread_count(d); i++) {
        md_context c;
        md_context_read(d, md_thread_at(d, i)->context, arch, &c, &err);
    }
    const md_exception *x = md_get_exception(d);
    if (x) {
        md_context c;
        md_context_read(d, x->context, arch, &c, &err);
    }
    for (size_t i = 0; i < md_module_count(d); i++) {
        char id[48];
        md_codeview_id(&md_module_at(d, i)->cv, id);
        md_module_by_addr(d, md_module_at(d, i)->base + 1);
    }
    const md_handle *h; const md_thread_info *ti; const md_memory_info *mi;
    const md_token *tk; const md_function_table *ft;
    size_t n;
    if (md_handles(d, &h, &n, &err) == COR_OK)
        for (size_t i = 0; i < n; i++) {
            md_handle_object_info oi[8];
            md_handle_object_infos(d, &h[i], oi, 8);
        }
    md_thread_infos(d, &ti, &n, &err);
    md_memory_infos(d, &mi, &n, &err);
    md_tokens(d, &tk, &n, &err);
    md_function_tables(d, &ft, &n, &err);
    md_comment_a(d);
    md_comment_w(d);

    as_space *as;
    if (as_open(d, &as, &err) == COR_OK) {
        uint8_t buf[64];
        for (size_t i = 0; i < md_range_count(d) && i < 64; i++) {
            const md_range *r = md_range_at(d, i);
            as_read_partial(as, r->start + r->size - 8, buf, sizeof buf);
        }
        for (size_t i = 0; i < md_thread_count(d); i++) {
            free(as_read_cstr(as, md_thread_at(d, i)->teb, 64, 1));
            as_read_partial(as, md_thread_at(d, i)->stack_start, buf, sizeof buf);
        }
        as_close(as);
    }
    md_close(d);
    return 0;
}
