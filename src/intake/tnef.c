/* winmail.dat: the TNEF stream Outlook sends when a message is written in rich text. Read with
 * Debian's libytnef; its attachments come out with their names and bytes, its plain body too.
 * Kept in its own file: the library's headers define WORD, DWORD, BYTE as macros. */
#include "intake_internal.h"

#include <glib.h>
#include <string.h>
#include <ytnef.h>

#define TNEF_MAX_ATTACHMENTS 500

static char *long_filename(Attachment *p)
{
    variableLength *v = MAPIFindProperty(&p->MAPI, PROP_TAG(PT_UNICODE, PR_ATTACH_LONG_FILENAME));
    if (v != MAPI_UNDEFINED && v && v->size > 1) {
        char *u = g_utf16_to_utf8((const gunichar2 *)v->data, v->size / 2, NULL, NULL, NULL);
        if (u && *u)
            return u;
        g_free(u);
    }
    v = MAPIFindProperty(&p->MAPI, PROP_TAG(PT_STRING8, PR_ATTACH_LONG_FILENAME));
    if (v != MAPI_UNDEFINED && v && v->size > 1)
        return intake_to_utf8((const char *)v->data, strnlen((const char *)v->data, (size_t)v->size), "WINDOWS-1252", NULL);
    if (p->Title.size > 1)
        return intake_to_utf8((const char *)p->Title.data, strnlen((const char *)p->Title.data, (size_t)p->Title.size),
                              "WINDOWS-1252", NULL);
    return NULL;
}

/* The bytes of an attachment: the attAttachData stream, else PR_ATTACH_DATA_OBJ. */
static variableLength *attachment_bytes(Attachment *p)
{
    if (p->FileData.size > 0)
        return &p->FileData;
    variableLength *v = MAPIFindProperty(&p->MAPI, PROP_TAG(PT_OBJECT, PR_ATTACH_DATA_OBJ));
    if (v != MAPI_UNDEFINED && v && v->size > 16)
        return v;   /* the first 16 bytes are the object's interface id */
    return NULL;
}

int intake_tnef_unpack(const void *data, size_t len, intake_tnef_fn fn, void *user, char **body, minca_err *err)
{
    if (body)
        *body = NULL;
    if (len < 6 || len > (size_t)0x7fffffff)
        return minca_err_set(err, "not a TNEF stream (size)");
    TNEFStruct t;
    TNEFInitialize(&t);
    t.Debug = 0;
    /* libytnef reads from the buffer it is given and never writes to it. */
    if (TNEFParseMemory((BYTE *)data, (long)len, &t) < 0) {
        TNEFFree(&t);
        return minca_err_set(err, "the TNEF stream could not be read");
    }
    int n = 0;
    for (Attachment *p = t.starting_attach.next; p && n < TNEF_MAX_ATTACHMENTS; p = p->next) {
        variableLength *v = attachment_bytes(p);
        if (!v)
            continue;
        bool embedded = v != &p->FileData;
        char *name = long_filename(p);
        fn(user, name ? name : "attachment.bin", embedded ? v->data + 16 : v->data,
           (size_t)(embedded ? v->size - 16 : v->size));
        g_free(name);
        n++;
    }
    if (body && t.body.size > 1)
        *body = intake_to_utf8((const char *)t.body.data, strnlen((const char *)t.body.data, (size_t)t.body.size),
                               "WINDOWS-1252", NULL);
    TNEFFree(&t);
    return n;
}
