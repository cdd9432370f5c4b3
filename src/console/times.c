/* Times as WinDbg words them: the debug session time (the dump header's
 * timestamp), process uptime and CPU times from MiscInfo.
 *
 * WinDbg shows times in the debugger machine's time zone. A dump analyzed
 * on another machine (here, Linux) would then depend on where it is read,
 * so coroner uses the dump's own time zone when MiscInfo records it, and
 * UTC otherwise; the zone is always printed next to the session time. */
#include "console/con_internal.h"

#include <inttypes.h>
#include <stdlib.h>

/* Minutes east of UTC at dump time; MiscInfo's bias is UTC minus local. */
static int zone_offset(const con_session *s)
{
    const md_misc_info *mi = md_get_misc_info(s->t->dump);
    if (!mi || !(mi->flags & MD_MISC_TIMEZONE)) return 0;
    int32_t bias = mi->tz_bias;
    if (mi->time_zone_id == 1) bias += mi->tz_standard_bias; /* TIME_ZONE_ID_STANDARD */
    else if (mi->time_zone_id == 2) bias += mi->tz_daylight_bias; /* TIME_ZONE_ID_DAYLIGHT */
    /* A bias beyond a day is garbage; fall back to UTC rather than print it. */
    if (bias < -24 * 60 || bias > 24 * 60) return 0;
    return -bias;
}

void con_fmt_time(const con_session *s, time_t when, bool session_style, char *buf, size_t size)
{
    int off = zone_offset(s);
    time_t local = when + (time_t)off * 60;
    struct tm tm;
    if (!gmtime_r(&local, &tm)) {
        snprintf(buf, size, "(invalid time %lld)", (long long)when);
        return;
    }
    char date[64], year[16];
    strftime(date, sizeof date, "%a %b %e %H:%M:%S", &tm);
    strftime(year, sizeof year, "%Y", &tm);
    if (!session_style) {
        snprintf(buf, size, "%s %s", date, year);
        return;
    }
    int a = abs(off);
    snprintf(buf, size, "%s.000 %s (UTC %c %d:%02d)", date, year, off < 0 ? '-' : '+', a / 60, a % 60);
}

void con_fmt_duration(uint64_t seconds, char *buf, size_t size)
{
    snprintf(buf, size, "%" PRIu64 " days %" PRIu64 ":%02" PRIu64 ":%02" PRIu64 ".000", seconds / 86400,
             seconds / 3600 % 24, seconds / 60 % 60, seconds % 60);
}

void con_print_times(con_session *s)
{
    char buf[96];
    uint32_t now = md_header_timestamp(s->t->dump);
    con_fmt_time(s, (time_t)now, true, buf, sizeof buf);
    con_printf(s, "Debug session time: %s\n", buf);
    /* A user-mode dump does not record when the system booted. */
    con_puts(s, "System Uptime: not available\n");
    const md_misc_info *mi = md_get_misc_info(s->t->dump);
    if (mi && (mi->flags & MD_MISC_PROCESS_TIMES) && mi->create_time && mi->create_time <= now) {
        con_fmt_duration(now - mi->create_time, buf, sizeof buf);
        con_printf(s, "Process Uptime: %s\n", buf);
        con_fmt_duration(mi->kernel_time, buf, sizeof buf);
        con_printf(s, "  Kernel time: %s\n", buf);
        con_fmt_duration(mi->user_time, buf, sizeof buf);
        con_printf(s, "  User time: %s\n", buf);
    } else {
        con_puts(s, "Process Uptime: not available\n");
    }
}

int cmd_time(con_session *s, const char *name, const char *args, cor_err *err)
{
    con_print_times(s);
    return COR_OK;
}
