/*
 * cpp_throw.c - an unhandled C++ exception, thrown the way MSVC-compiled
 * code throws one.
 *
 *   main -> lab_throw_widget -> msvcrt!_CxxThrowException -> RaiseException
 *
 * MSVC turns `throw lab::widget_error()` into _CxxThrowException(&object,
 * &ThrowInfo), and the runtime raises 0xE06D7363 with { 0x19930520,
 * object, ThrowInfo, image base }. mingw's C++ does not use that scheme, so
 * the ThrowInfo the compiler would emit is built here by hand, with the
 * layout of the public ehdata.h (x64: image-relative offsets):
 *   ThrowInfo          { attributes, pmfnUnwind, pForwardCompat, pCatchableTypeArray }
 *   CatchableTypeArray { nCatchableTypes, arrayOfCatchableTypes[] }
 *   CatchableType      { properties, pType, thisDisplacement{3}, sizeOrOffset, copyFunction }
 *   TypeDescriptor     { pVFTable, spare, name[] }  (name decorated: ".?AVwidget_error@lab@@")
 * The thrown type comes first, then its base class std::exception. Wine's
 * msvcrt raises the exception; nothing catches it; run under `capture -e`.
 */
#include "lab.h"

#include <stdint.h>

struct type_descriptor {
    const void *vftable;
    void *spare;
    char name[32];
};

struct catchable_type {
    uint32_t properties;
    int32_t type;
    int32_t mdisp, pdisp, vdisp;
    int32_t size_or_offset;
    int32_t copy_function;
};

struct catchable_type_array {
    int32_t count;
    int32_t types[2];
};

struct throw_info {
    uint32_t attributes;
    int32_t unwind, forward_compat, catchable_types;
};

static struct type_descriptor lab_widget_td = { NULL, NULL, ".?AVwidget_error@lab@@" };
static struct type_descriptor lab_std_exception_td = { NULL, NULL, ".?AVexception@std@@" };
static struct catchable_type lab_widget_ct, lab_std_exception_ct;
static struct catchable_type_array lab_cta;
static struct throw_info lab_throw_info;

/* The thrown object: what a widget_error would hold. */
static struct { const void *vftable; const char *what; int code; } lab_widget = { NULL, "widget broke", 42 };

static int32_t rva(const void *p)
{
    return (int32_t)((const char *)p - (const char *)GetModuleHandleW(NULL));
}

typedef void(__cdecl *cxx_throw_fn)(void *object, const void *throw_info);

LAB_NOINLINE void lab_throw_widget(void)
{
    lab_widget_ct = (struct catchable_type){ 0, rva(&lab_widget_td), 0, -1, 0, (int32_t)sizeof lab_widget, 0 };
    lab_std_exception_ct = (struct catchable_type){ 0, rva(&lab_std_exception_td), 0, -1, 0, 16, 0 };
    lab_cta.count = 2;
    lab_cta.types[0] = rva(&lab_widget_ct);
    lab_cta.types[1] = rva(&lab_std_exception_ct);
    lab_throw_info = (struct throw_info){ 0, 0, 0, rva(&lab_cta) };
    cxx_throw_fn cxx_throw = (cxx_throw_fn)(void *)GetProcAddress(LoadLibraryA("msvcrt.dll"), "_CxxThrowException");
    if (!cxx_throw)
        ExitProcess(3);
    cxx_throw(&lab_widget, &lab_throw_info);
}

int main(void)
{
    struct lab_facts facts;

    lab_facts_begin(&facts, "cpp_throw");
    lab_set_thread_name(GetCurrentThread(), L"lab thrower");
    lab_fact_u64(&facts, "threads.lab", 1);
    lab_fact_u64(&facts, "tid.main", GetCurrentThreadId());
    lab_fact_thread(&facts, "crash", GetCurrentThreadId(), "lab_throw_widget", "lab_throw_widget,main", NULL,
                    L"lab thrower");
    lab_fact_hex(&facts, "exception.code", 0xe06d7363);
    lab_fact_u64(&facts, "exception.tid", GetCurrentThreadId());
    lab_fact_str(&facts, "exception.func", "lab_throw_widget");
    lab_fact_str(&facts, "exception.cpp_type", "lab::widget_error");
    LAB_FACT_SYM(&facts, main);
    LAB_FACT_SYM(&facts, lab_throw_widget);
    lab_facts_finish(&facts);

    lab_throw_widget();
    return 0;
}
