#include "sym/symbols.h"

#include <stdlib.h>

void sym_source_free(sym_source *s)
{
    if (!s) return;
    if (s->ops && s->ops->free) s->ops->free(s->self);
    free(s->origin);
    s->ops = NULL;
    s->self = NULL;
    s->origin = NULL;
}

const char *sym_kind_status(sym_kind k)
{
    switch (k) {
    case SYM_KIND_PDB: return "pdb symbols";
    case SYM_KIND_BREAKPAD: return "breakpad symbols";
    case SYM_KIND_EXPORT: return "export symbols";
    case SYM_KIND_NONE: break;
    }
    return "no symbols";
}
