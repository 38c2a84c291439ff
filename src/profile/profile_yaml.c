/* profile: the one writer of profile YAML (profile_to_yaml), for `minca profile suggest` and the
 * desk's profile wizard. */
#include "profile_internal.h"

#include <glib.h>
#include <string.h>

/* Characters YAML does not allow literally: C0 / C1 controls, DEL, BOM, non-characters. */
static bool yaml_unprintable(gunichar c)
{
    return c < 0x20 || c == 0x7F || (c >= 0x80 && c <= 0x9F) || c == 0xFEFF || c >= 0xFFFE ||
           (c >= 0xD800 && c <= 0xDFFF);
}

static void yaml_quote(GString *out, const char *s)
{
    char *valid = g_utf8_make_valid(s ? s : "", -1);
    g_string_append_c(out, '"');
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (c == '"' || c == '\\')
            g_string_append_printf(out, "\\%c", (char)c);
        else if (c < 0x100 && yaml_unprintable(c))
            g_string_append_printf(out, "\\x%02x", (unsigned)c);
        else if (yaml_unprintable(c))
            g_string_append_printf(out, "\\u%04x", (unsigned)(c & 0xFFFF));
        else
            g_string_append_unichar(out, c);
    }
    g_string_append_c(out, '"');
    g_free(valid);
}

/* " # text" safe inside a YAML comment: one line, no unprintable characters; nothing for NULL. */
static void append_comment(GString *out, const char *s)
{
    if (!s)
        return;
    char *valid = g_utf8_make_valid(s, -1);
    g_string_append(out, " # ");
    for (const char *p = valid; *p; p = g_utf8_next_char(p)) {
        gunichar c = g_utf8_get_char(p);
        if (yaml_unprintable(c) || c == 0x85 || c == 0x2028 || c == 0x2029)
            g_string_append_c(out, c == '\t' ? ' ' : '?');
        else
            g_string_append_unichar(out, c);
    }
    g_free(valid);
}

/* A name matched whole, as an anchored, escaped regular expression. */
static void append_anchored(GString *out, const char *name)
{
    char *esc = g_regex_escape_string(name, -1);
    char *re = g_strdup_printf("^%s$", esc);
    yaml_quote(out, re);
    g_free(re);
    g_free(esc);
}

static void append_head(GString *y, const profile_spec *spec)
{
    if (spec->comment) {
        char **lines = g_strsplit(spec->comment, "\n", -1);
        for (int i = 0; lines[i]; i++) {
            GString *line = g_string_new(NULL);
            append_comment(line, lines[i]);
            g_string_append_printf(y, "#%s\n", line->str + 2);   /* "# text" */
            g_string_free(line, TRUE);
        }
        g_strfreev(lines);
    }
    const char *name = spec->name && *spec->name ? spec->name : "broker";
    g_string_append(y, "name: ");
    bool plain = g_ascii_isalnum(name[0]);
    for (const char *q = name; *q && plain; q++)
        plain = g_ascii_isalnum(*q) || *q == '-' || *q == '_';
    if (plain)
        g_string_append(y, name);
    else
        yaml_quote(y, name);
    g_string_append(y, "\nversion: 1\ndescription: ");
    yaml_quote(y, spec->description && *spec->description ? spec->description : name);
    if (spec->description_note) {
        g_string_append(y, "  ");
        append_comment(y, spec->description_note);
    }
    g_string_append(y, "\n");
}

static void append_detect(GString *y, const profile_spec *spec)
{
    g_string_append(y, "\ndetect:\n");
    if (spec->sender_domain && *spec->sender_domain) {
        g_string_append(y, "  sender_domains: [");
        yaml_quote(y, spec->sender_domain);
        g_string_append(y, "]\n");
    }
    g_string_append(y, "  required_headers: [");
    for (int i = 0; i < spec->n_required; i++) {
        if (i)
            g_string_append(y, ", ");
        yaml_quote(y, spec->required_headers[i]);
    }
    g_string_append(y, "]\n");
    if (spec->sheet_name) {
        g_string_append(y, "  sheet_name: ");
        append_anchored(y, spec->sheet_name);
        if (spec->sheet_note) {
            g_string_append(y, "  ");
            append_comment(y, spec->sheet_note);
        }
        g_string_append_c(y, '\n');
    }
    if ((spec->table_sheet && *spec->table_sheet) || spec->header_row > 0) {
        g_string_append(y, "\ntable:\n");
        if (spec->table_sheet && *spec->table_sheet) {
            g_string_append(y, "  sheet: ");
            append_anchored(y, spec->table_sheet);
            g_string_append_c(y, '\n');
        }
        if (spec->header_row > 0)
            g_string_append_printf(y, "  header_row: %ld\n", spec->header_row);
    }
}

static const char *field_word(profile_field f)
{
    return f == PF_NONE || f == PF_IGNORE ? "ignore" : profile_field_name(f);
}

/* The mapping of each written column with its note; mapped[field] set for each. */
static void append_mapping(GString *y, const profile_spec *spec, bool mapped[PF_COUNT])
{
    g_string_append(y, "\nmapping:\n");
    size_t width = 0;
    for (int c = 0; c < spec->n_cols; c++)
        if (spec->cols[c].header)
            width = MAX(width, strlen(spec->cols[c].header) + 2);
    for (int c = 0; c < spec->n_cols; c++) {
        const profile_spec_column *col = &spec->cols[c];
        if (!col->header || !*col->header)
            continue;
        if (col->field >= 0 && col->field < PF_COUNT)
            mapped[col->field] = true;
        GString *line = g_string_new("  ");
        GString *key = g_string_new(NULL);
        yaml_quote(key, col->header);
        if (key->len > 1000)   /* YAML limits implicit keys to 1024 characters */
            g_string_append_printf(line, "? %s\n  : %s", key->str, field_word(col->field));
        else
            g_string_append_printf(line, "%s: %s", key->str, field_word(col->field));
        g_string_free(key, TRUE);
        if (col->note) {
            while (line->len < MIN(width, 200) + 22)
                g_string_append_c(line, ' ');
            append_comment(line, col->note);
        }
        g_string_append_printf(y, "%s\n", line->str);
        g_string_free(line, TRUE);
    }
}

static void append_normalize_parse(GString *y, const profile_spec *spec, const bool mapped[PF_COUNT])
{
    static const char *const steps[] = {"", "[upper]", "[upper, remove_accents]",
                                        "[upper, {replace: {pattern: \"[^A-Z0-9]\", with: \"\"}}]"};
    g_string_append(y, "\nnormalize:\n  all: [strip, collapse_spaces]\n");
    for (int f = 0; f < PF_IGNORE; f++)
        if (spec->norm[f] > PROFILE_NORM_NONE && spec->norm[f] <= PROFILE_NORM_ALNUM)
            g_string_append_printf(y, "  %s: %s\n", profile_field_name((profile_field)f), steps[spec->norm[f]]);
    GString *parse = g_string_new(NULL);
    if (mapped[PF_YEAR])
        g_string_append(parse, "  year: year\n");
    if (mapped[PF_INSURED_AMOUNT])
        g_string_append(parse, "  insured_amount: money     # \"$ 450,000.00\", 450000, VALOR COMERCIAL\n");
    if (mapped[PF_VIN])
        g_string_append(parse, "  vin: vin\n");
    if (mapped[PF_INCISO])
        g_string_append(parse, "  inciso: int\n");
    if (parse->len)
        g_string_append_printf(y, "\nparse:\n%s", parse->str);
    g_string_free(parse, TRUE);
    if (!spec->compose_description)
        return;
    GString *tmpl = g_string_new(NULL);
    const profile_field parts[] = {PF_MARCA, PF_SUBMARCA, PF_VERSION, PF_DESCRIPTION};
    for (size_t i = 0; i < G_N_ELEMENTS(parts); i++)
        if (mapped[parts[i]])
            g_string_append_printf(tmpl, "%s{%s}", tmpl->len ? " " : "", profile_field_name(parts[i]));
    if (tmpl->len)
        g_string_append_printf(y, "\ncompute:\n  description: \"%s\"\n", tmpl->str);
    g_string_free(tmpl, TRUE);
}

/* One field's validate rule, or NULL. */
static char *check_rule(profile_field f, profile_check check, int max_year)
{
    switch (check) {
    case PROFILE_CHECK_NONE:
        return NULL;
    case PROFILE_CHECK_REQUIRED:
        return f == PF_YEAR ? g_strdup_printf("{required: true, min: 1950, max: %d}", max_year)
                            : g_strdup("{required: true}");
    case PROFILE_CHECK_REQUIRED_SKIP:
        return g_strdup("{required: true, on_error: skip_row}");
    case PROFILE_CHECK_WARN:
        return f == PF_YEAR  ? g_strdup_printf("{min: 1950, max: %d, on_error: warn}", max_year)
               : f == PF_VIN ? g_strdup("{check_digit: true, on_error: warn}")
                             : g_strdup("{required: true, on_error: warn}");
    case PROFILE_CHECK_FORMAT:
        return f == PF_VIN        ? g_strdup("{check_digit: true, pattern: \"^[A-HJ-NPR-Z0-9]{17}$\"}")
               : f == PF_COVERAGE ? g_strdup("{enum: [AMPLIA, LIMITADA, RC, BASICA]}")
                                  : check_rule(f, PROFILE_CHECK_REQUIRED, max_year);
    }
    return NULL;
}

static void append_validate(GString *y, const profile_spec *spec)
{
    GDateTime *now = g_date_time_new_now_local();
    int max_year = g_date_time_get_year(now) + 2;
    g_date_time_unref(now);
    GString *valid = g_string_new(NULL);
    for (int f = 0; f < PF_IGNORE; f++) {
        char *rule = check_rule((profile_field)f, spec->check[f], max_year);
        if (rule)
            g_string_append_printf(valid, "  %s: %s\n", profile_field_name((profile_field)f), rule);
        g_free(rule);
    }
    if (valid->len)
        g_string_append_printf(y, "\nvalidate:\n%s", valid->str);
    g_string_free(valid, TRUE);
}

char *profile_to_yaml(const profile_spec *spec)
{
    GString *y = g_string_new(NULL);
    bool mapped[PF_COUNT] = {0};
    append_head(y, spec);
    append_detect(y, spec);
    append_mapping(y, spec, mapped);
    append_normalize_parse(y, spec, mapped);
    append_validate(y, spec);
    g_string_append(y, "\non_error: warn   # warn | skip_row | fail\n");
    return g_string_free(y, FALSE);
}
