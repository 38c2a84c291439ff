/* minca profile: list, show, test, suggest and save broker profiles (the versions saved in
 * the database for the insurer, then the shipped profiles/ directory). */
#include "minca/access.h"
#include "minca/cli.h"
#include "minca/core_config.h"
#include "minca/docs.h"
#include "minca/profile.h"
#include "minca/desk_profile_store.h"

#include <getopt.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>


static const char *source_dir(void) { return profile_dir(config_get()->profiles_dir); }

/* The database of the configured insurer, for the saved versions; NULL (with a note on
 * stderr) when it cannot be reached, so file-based work still goes on. */
static PGconn *open_db(store_insurer *ins, bool quiet)
{
    minca_err err = { 0 };
    PGconn *c = store_open(&err);
    int found = c ? store_insurer_find(c, config_get()->insurer, ins, &err) : -1;
    if (found <= 0) {
        if (!quiet && found < 0)
            fprintf(stderr, "minca profile: saved profiles unavailable (%s)\n", err.msg);
        PQfinish(c);
        return NULL;
    }
    if (access_require(c, ins->id, ACCESS_READ, &err) < 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        PQfinish(c);
        return NULL;
    }
    return c;
}

/* A saved version (database) wins over a shipped file of the same name; a name with '/'
 * or ending in .yaml is a path. */
static int load_named(const char *name, profile **out, minca_err *err)
{
    bool is_path = strchr(name, '/') || g_str_has_suffix(name, ".yaml");
    if (!is_path) {
        store_insurer ins;
        PGconn *c = open_db(&ins, true);
        if (c) {
            int version = 0;
            minca_err e = { 0 };
            char *yaml = profile_store_get(c, ins.id, name, &version, &e);
            PQfinish(c);
            if (yaml) {
                char origin[256];
                snprintf(origin, sizeof origin, "db:%s v%d", name, version);
                int rc = profile_load_string(yaml, strlen(yaml), origin, out, err);
                g_free(yaml);
                return rc;
            }
        }
    }
    return profile_dir_load(source_dir(), name, out, err);
}

static int load_all(profile ***list, int *n, minca_err *err)
{
    char **names;
    int count;
    *list = NULL;
    *n = 0;
    if (profile_dir_list(source_dir(), &names, &count, err) != 0)
        return -1;
    *list = g_malloc0_n((size_t)count + 1, sizeof **list);
    for (int i = 0; i < count; i++) {
        minca_err e = { 0 };
        if (load_named(names[i], &(*list)[*n], &e) != 0) {
            fprintf(stderr, "minca profile: skipping %s: %s\n", names[i], e.msg);
            continue;
        }
        (*n)++;
    }
    profile_names_free(names);
    return 0;
}

static void free_all(profile **list, int n)
{
    for (int i = 0; i < n; i++)
        profile_free(list[i]);
    g_free(list);
}

static int read_input(const char *path, char **data, size_t *len, minca_err *err)
{
    return core_read_file(path, 256u << 20, data, len, err);
}

static const char *base_name(const char *path)
{
    const char *s = strrchr(path, '/');
    return s ? s + 1 : path;
}

static int cmd_list(void)
{
    minca_err err = { 0 };
    char **names;
    int n;
    if (profile_dir_list(source_dir(), &names, &n, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        return 1;
    }
    for (int i = 0; i < n; i++) {
        profile *p = NULL;
        minca_err e = { 0 };
        if (load_named(names[i], &p, &e) != 0) {
            printf("%-16s  (invalid: %s)\n", names[i], e.msg);
            continue;
        }
        const char *const *domains;
        int nd = profile_domains(p, &domains);
        printf("%-16s v%-3d %-34s %s\n", names[i], profile_version(p), nd ? domains[0] : "-",
               profile_description(p));
        profile_free(p);
    }
    profile_names_free(names);
    store_insurer ins;
    PGconn *c = open_db(&ins, false);
    store_profile_version_list saved = {0};
    if (c && profile_store_list(c, ins.id, &saved, &err) == 0 && saved.n) {
        printf("\nsaved in the database for %s:\n", ins.slug);
        for (size_t i = 0; i < saved.n; i++) {
            const store_profile_version *it = &saved.items[i];
            printf("%-16s v%-3d %-34s %s by %s %s\n", it->name, it->version, it->domains ? it->domains : "-",
                   it->active ? "active  " : "inactive", it->author ? it->author : "(null)", it->created_at);
        }
    }
    store_profile_version_list_clear(&saved);
    PQfinish(c);
    return 0;
}

static int cmd_save(const char *file, const char *domain)
{
    minca_err err = { 0 };
    char *yaml = NULL;
    size_t len = 0;
    if (core_read_file(file, 1u << 20, &yaml, &len, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        return 1;
    }
    PGconn *c = store_open(&err);
    store_insurer ins;
    int status = 1;
    profile_saved saved;
    if (!c || access_require_slug(c, config_get()->insurer, ACCESS_EDIT_PROFILE, &err) < 0 ||
        store_insurer_ensure(c, config_get()->insurer, &ins, &err) < 0)
        fprintf(stderr, "minca profile: %s\n", err.msg);
    else if (profile_store_save(c, ins.id, yaml, domain, config_get()->user, &saved, &err) < 0)
        fprintf(stderr, "minca profile: %s: %s\n", file, err.msg);
    else {
        printf("saved as version %d for %s%s%s\n", saved.version, ins.slug, domain ? ", bound to " : "",
               domain ? domain : "");
        status = 0;
    }
    PQfinish(c);
    g_free(yaml);
    return status;
}

static int cmd_show(const char *name)
{
    minca_err err = { 0 };
    profile *p;
    if (load_named(name, &p, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        return 1;
    }
    fputs(profile_text(p), stdout);
    profile_free(p);
    return 0;
}

static void print_report(const profile_result *r, const char *file)
{
    printf("file:      %s (%s", file, r->format);
    if (r->encoding)
        printf(", %s, delimiter '%s'", r->encoding, r->delimiter == '\t' ? "\\t" : (char[]){ r->delimiter, 0 });
    printf(")\n");
    if (r->sheet && *r->sheet)
        printf("sheet:     %s\n", r->sheet);
    printf("header:    row %ld%s", r->header_row, r->stop_row ? "" : "\n");
    if (r->stop_row)
        printf(", totals on row %ld\n", r->stop_row);
    if (r->resembles)
        printf("profile:   %s (the layout resembles it, but it is another broker's: used only where the "
               "values agree; save a profile for this broker)\n", r->resembles);
    else if (r->profile_name)
        printf("profile:   %s (%s)\n", r->profile_name, r->recognized_by ? r->recognized_by : "given");
    else
        printf("profile:   (automatic mapping — save a profile for this broker)\n");
    printf("columns:\n");
    for (int i = 0; i < r->n_columns; i++) {
        const profile_column *c = &r->columns[i];
        char col[8];
        docs_col_name(c->col, col);
        long pad = 28 - g_utf8_strlen(c->header, -1);
        printf("  %-3s %s%*s -> %-15s %.2f %5d  %s%s\n", col, c->header, pad > 0 ? (int)pad : 0, "",
               profile_field_name(c->field), c->confidence, c->n_filled, c->beyond_profile ? "+ " : "",
               c->reason);
    }
    printf("  (confidence, rows with a value, reason; + mapped beyond the profile)\n");
    for (int i = 0; i < r->n_columns; i++) {
        const profile_column *c = &r->columns[i];
        if ((c->field == PF_IGNORE || c->field == PF_NONE) && c->n_filled > 0)
            printf("warning:   column '%s' held data on %d rows but was ignored: %s\n", c->header,
                   c->n_filled, c->reason);
    }
    printf("rows:\n");
    for (int i = 0; i < r->n_rows; i++) {
        const vehicle_row *v = &r->rows[i];
        printf("  %4d  %s%s%-4d  %4d  %-17s  %s", i + 1, v->source_sheet ? v->source_sheet : "",
               v->source_sheet ? ":" : "line ", v->source_row, v->year, v->vin ? v->vin : "-",
               v->description ? v->description : "-");
        if (v->plates)
            printf(" | placas %s", v->plates);
        if (v->insured_amount >= 0)
            printf(" | $%.2f", v->insured_amount);
        if (v->sum_basis)
            printf(" (%s)", vehicle_sum_basis_name(v->sum_basis));
        if (v->coverage)
            printf(" | %s", v->coverage);
        if (v->use)
            printf(" | %s", v->use);
        printf("\n");
        for (int k = 0; k < v->n_issues; k++)
            printf("          %s %s: %s\n", v->issues[k].severity,
                   v->issues[k].field ? v->issues[k].field : "row", v->issues[k].message);
    }
    printf("validation: %d rows, %d skipped, %d warnings, %d errors", r->n_rows, r->n_skipped,
           r->n_warnings, r->n_errors);
    if (r->n_not_vehicle)
        printf(", %d rows without vehicle data left out", r->n_not_vehicle);
    printf("\n");
    for (int i = 0; i < r->n_notes; i++)
        printf("note: %s\n", r->notes[i]);
}

static int cmd_test(const char *name, const char *file, const char *domain, bool json)
{
    minca_err err = { 0 };
    profile *p = NULL;
    profile **all = NULL;
    int n_all = 0;
    bool auto_mode = strcmp(name, "auto") == 0 || strcmp(name, "-") == 0;
    if (!auto_mode && load_named(name, &p, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        return 1;
    }
    if (auto_mode && domain && load_all(&all, &n_all, &err) != 0)
        fprintf(stderr, "minca profile: %s (continuing with automatic mapping)\n", err.msg);
    char *data = NULL;
    size_t len = 0;
    int status = 1;
    if (read_input(file, &data, &len, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        goto done;
    }
    profile_options opt = { .sender_domain = domain, .candidates = all, .n_candidates = n_all };
    profile_result res;
    if (profile_extract(data, len, base_name(file), p, &opt, &res, &err) != 0) {
        if (json) {
            char *esc = g_strescape(err.msg, "");
            printf("{\"error\": \"%s\"}\n", esc);
            g_free(esc);
        }
        fprintf(stderr, "minca profile: %s\n", err.msg);
        goto done;
    }
    if (json) {
        char *s = profile_result_json(&res, true);
        puts(s);
        g_free(s);
    } else {
        print_report(&res, base_name(file));
    }
    status = res.n_errors > 0 ? 3 : 0;
    profile_result_clear(&res);
done:
    g_free(data);
    profile_free(p);
    free_all(all, n_all);
    return status;
}

static int cmd_suggest(const char *file, const char *domain, const char *name, const char *out)
{
    minca_err err = { 0 };
    char *data = NULL, *yaml = NULL;
    size_t len = 0;
    if (read_input(file, &data, &len, &err) != 0 ||
        profile_suggest(data, len, base_name(file), name, domain, NULL, &yaml, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        g_free(data);
        return 1;
    }
    g_free(data);
    /* The draft must load back. */
    profile *check;
    if (profile_load_string(yaml, strlen(yaml), "suggestion", &check, &err) != 0) {
        fprintf(stderr, "minca profile: internal error, the draft does not load: %s\n", err.msg);
        g_free(yaml);
        return 1;
    }
    profile_free(check);
    int status = 0;
    if (out) {
        if (core_write_file(out, yaml, strlen(yaml), &err) != 0) {
            fprintf(stderr, "minca profile: %s\n", err.msg);
            status = 1;
        } else {
            fprintf(stderr, "minca profile: draft written to %s\n", out);
        }
    } else {
        fputs(yaml, stdout);
    }
    g_free(yaml);
    return status;
}

static int cmd_read(const char *file)
{
    minca_err err = { 0 };
    char *data = NULL;
    size_t len = 0;
    docs_book *book = NULL;
    if (read_input(file, &data, &len, &err) != 0 ||
        docs_open(data, len, base_name(file), NULL, &book, &err) != 0) {
        fprintf(stderr, "minca profile: %s\n", err.msg);
        g_free(data);
        return 1;
    }
    printf("format: %s", docs_format_name(docs_book_format(book)));
    if (docs_book_format(book) == DOCS_FMT_CSV)
        printf(" (%s, delimiter '%c')", docs_book_encoding(book), docs_book_delimiter(book));
    printf("\n");
    int status = 0;
    for (int s = 0; s < docs_sheet_count(book) && status == 0; s++) {
        printf("== sheet %d '%s'%s\n", s, docs_sheet_name(book, s), docs_sheet_hidden(book, s) ? " (hidden)" : "");
        if (docs_sheet_open(book, s, &err) != 0) {
            status = 1;
            break;
        }
        const docs_row *row;
        int rc;
        static const char types[] = { ' ', 's', 'n', 'd', 'b' };
        while ((rc = docs_sheet_next(book, &row, &err)) == 1) {
            printf("%5ld%s", row->row, row->hidden ? "h" : " ");
            for (int c = 0; c < row->n_cells; c++)
                printf(" |%c%s%s %s", types[row->cells[c].type],
                       row->cells[c].flags & DOCS_CELL_HIDDEN_COL ? "*" : "",
                       row->cells[c].flags & DOCS_CELL_MERGED ? "+" : "", row->cells[c].text);
            printf("\n");
        }
        if (rc < 0)
            status = 1;
        const docs_range *m;
        int nm;
        docs_sheet_merges(book, &m, &nm);
        for (int i = 0; i < nm; i++)
            printf("merged: rows %ld-%ld, columns %d-%d\n", m[i].first_row, m[i].last_row,
                   m[i].first_col, m[i].last_col);
    }
    if (status)
        fprintf(stderr, "minca profile: %s\n", err.msg);
    docs_close(book);
    g_free(data);
    return status;
}

static int run(int argc, char **argv)
{
    if (argc < 2) {
        fputs(profile_cmd.usage, stderr);
        return 2;
    }
    const char *sub = argv[1];
    const char *domain = NULL, *out = NULL, *name = NULL;
    bool json = false;
    static const struct option opts[] = {
        { "domain", required_argument, NULL, 'd' }, { "out", required_argument, NULL, 'o' },
        { "name", required_argument, NULL, 'n' }, { "json", no_argument, NULL, 'j' },
        { NULL, 0, NULL, 0 },
    };
    optind = 2;
    opterr = 0;
    int c;
    while ((c = getopt_long(argc, argv, "d:o:n:j", opts, NULL)) != -1) {
        switch (c) {
        case 'd': domain = optarg; break;
        case 'o': out = optarg; break;
        case 'n': name = optarg; break;
        case 'j': json = true; break;
        default: return cli_usage_error(&profile_cmd, "unknown option '%s'", argv[optind - 1]);
        }
    }
    int npos = argc - optind;
    char **pos = argv + optind;
    if (!strcmp(sub, "list") && npos == 0)
        return cmd_list();
    if (!strcmp(sub, "show") && npos == 1)
        return cmd_show(pos[0]);
    if (!strcmp(sub, "test") && npos == 2)
        return cmd_test(pos[0], pos[1], domain, json);
    if (!strcmp(sub, "suggest") && npos == 1)
        return cmd_suggest(pos[0], domain, name, out);
    if (!strcmp(sub, "read") && npos == 1)
        return cmd_read(pos[0]);
    if (!strcmp(sub, "save") && npos == 1)
        return cmd_save(pos[0], domain);
    return cli_usage_error(&profile_cmd, "bad arguments for '%s' (see 'minca profile --help')", sub);
}

CLI_COMMAND(profile_cmd, {
    .name = "profile",
    .summary = "broker profiles: list, show, test on a file, suggest a draft",
    .usage =
        "usage: minca profile list\n"
        "       minca profile show NAME\n"
        "       minca profile test NAME|auto FILE [--domain D] [--json]\n"
        "       minca profile suggest FILE [--domain D] [--name N] [--out FILE]\n"
        "       minca profile read FILE\n"
        "       minca profile save FILE.yaml [--domain D]\n"
        "\n"
        "Profiles are the versions saved in the database for the insurer (MINCA_INSURER), then\n"
        "the shipped profiles/ directory ($MINCA_PROFILES overrides it); a saved version wins\n"
        "over a file of the same name.\n"
        "  list     the profiles with version, first sender domain and description\n"
        "  show     print a profile's YAML\n"
        "  test     extract FILE (xlsx, xls or csv; the format is sniffed from the bytes) with\n"
        "           profile NAME (or a path to a .yaml), print the canonical vehicle rows and the\n"
        "           validation report; 'auto' maps the columns automatically, or recognises the\n"
        "           broker among the profiles when --domain is given. Exit 3 when a row has errors.\n"
        "  suggest  write a draft profile for FILE with the confidence and reason of each mapping\n"
        "           as comments (stdout, or --out FILE)\n"
        "  read     dump every sheet, row and typed cell of FILE (s text, n number, d date,\n"
        "           b boolean; * hidden column, + merged range, h hidden row)\n"
        "  save     store FILE as the next version of its profile (validated first) and bind its\n"
        "           sender domains, and --domain D, to the broker\n",
    .run = run,
})
