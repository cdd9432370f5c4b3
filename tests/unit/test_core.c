#include "core/cursor.h"
#include "core/error.h"
#include "core/text.h"
#include "test.h"

int main(void)
{
    /* Cursor reads fail cleanly at the end instead of running past it. */
    const uint8_t b[] = { 1, 0, 0, 0, 2, 0, 3 };
    rd_cur c = rd_make(b, sizeof b);
    uint32_t v32;
    uint16_t v16;
    CHECK(rd_u32(&c, &v32) && v32 == 1);
    CHECK(rd_u16(&c, &v16) && v16 == 2);
    CHECK(!rd_u16(&c, &v16));
    CHECK(c.off == 6);
    CHECK(span_ok(10, 2, 8) && !span_ok(10, 2, 9) && !span_ok(10, UINT64_MAX, 2));

    /* UTF-16: a surrogate pair decodes, a lone surrogate becomes U+FFFD, NUL stops. */
    const uint8_t w[] = { 'h', 0, 0x3D, 0xD8, 0x00, 0xDE, 0x00, 0xD8, 'x', 0, 0, 0, 'y', 0 };
    char *s = utf16le_to_utf8(w, sizeof w);
    CHECK_STR(s, "h\xF0\x9F\x98\x80\xEF\xBF\xBDx");
    free(s);
    /* Control characters but tab become '?' (ESC, newline, DEL, C1 CSI):
     * dump strings are printed as they are. */
    const uint8_t ctl[] = { 0x1B, 0, '[', 0, '\n', 0, '\t', 0, 0x7F, 0, 0x9B, 0, 0xE9, 0 };
    s = utf16le_to_utf8(ctl, sizeof ctl);
    CHECK_STR(s, "?[?\t??\xC3\xA9");
    free(s);

    CHECK(glob_match_ci("kernel*", "KERNEL32"));
    CHECK(glob_match_ci("*32", "kernel32"));
    CHECK(!glob_match_ci("ntdll", "ntdll2"));

    cor_err e;
    CHECK(cor_fail(&e, "x=%d", 5) == COR_FAIL);
    cor_wrap(&e, "ctx");
    CHECK_STR(e.msg, "ctx: x=5");

    strbuf sb;
    sb_init(&sb);
    sb_json_str(&sb, "a\"b\\\n\x01");
    CHECK_STR(sb.s, "\"a\\\"b\\\\\\n\\u0001\"");
    sb_free(&sb);
    /* JSON strings stay UTF-8: well-formed sequences pass, a character cut
     * in two by a fixed-size buffer, a stray continuation byte, overlong
     * forms, surrogates and Latin-1 bytes become U+FFFD, one per byte. */
    sb_json_str(&sb, "\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80");
    CHECK_STR(sb.s, "\"\xc3\xa9\xe2\x82\xac\xf0\x9f\x98\x80\"");
    sb_free(&sb);
    sb_json_str(&sb, "x\xc3");
    CHECK_STR(sb.s, "\"x\\ufffd\"");
    sb_free(&sb);
    sb_json_str(&sb, "\xe2\x82" "a\x80\xc0\xaf\xed\xa0\x80\xe9t\xf5\x80\x80\x80");
    CHECK_STR(sb.s, "\"\\ufffd\\ufffda\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffd\\ufffdt"
                    "\\ufffd\\ufffd\\ufffd\\ufffd\"");
    sb_free(&sb);
    TEST_DONE();
}
