/* `coroner analyze DUMP [--format text|json]`. */
#ifndef COR_ANALYSIS_ANALYZE_H
#define COR_ANALYSIS_ANALYZE_H

#include <stdio.h>

#include "analysis/summary.h"

/* Entry point for the analyze subcommand; argv[0] is "analyze". Returns the
 * process exit status: 0 ok, 2 bad usage or unreadable dump. */
int analyze_main(int argc, char **argv);

void an_render_text(const an_summary *s, FILE *out);
/* JSON as documented in docs/json.md (schema "coroner.analysis", version 1). */
void an_render_json(const an_summary *s, FILE *out);

#endif
