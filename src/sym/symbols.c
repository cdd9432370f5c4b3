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
