/* Themes: themes/<name>.yaml maps named elements to colours and attributes:
 *
 *     elements:
 *       selected: {fg: black, bg: cyan, attrs: [bold]}
 *
 * Colours: default, black, red, green, yellow, blue, magenta, cyan, white, bright-<name>
 * (8-15), or a number 0-255. Attributes: bold, dim, underline, reverse, standout, italic,
 * blink. On a terminal with fewer colours than the theme asks for, colours are folded to the
 * 8 basic ones; with no colours (or NO_COLOR set) only attributes are used, completed by a
 * monochrome set that keeps the selection and the tabs visible. */
#include "minca/core_config.h"
#include "minca/tui.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

typedef struct elem_style {
    short fg, bg;        /* -1: terminal default */
    attr_t attrs;
} elem_style;

static const char *elem_names[TUI_EL_COUNT] = {
    [TUI_EL_NORMAL] = "normal",     [TUI_EL_TITLE] = "title",       [TUI_EL_TAB] = "tab",
    [TUI_EL_TAB_ACTIVE] = "tab_active", [TUI_EL_HEADER] = "header", [TUI_EL_SELECTED] = "selected",
    [TUI_EL_STATUS] = "status",     [TUI_EL_ERROR] = "error",       [TUI_EL_WARN] = "warn",
    [TUI_EL_OK] = "ok",             [TUI_EL_DIM] = "dim",           [TUI_EL_FILTER] = "filter",
    [TUI_EL_HINT] = "hint",
};

/* Built-in theme, used when the theme file is missing or broken (same as default.yaml). */
static const elem_style builtin[TUI_EL_COUNT] = {
    [TUI_EL_NORMAL] = {-1, -1, 0},
    [TUI_EL_TITLE] = {COLOR_BLACK, COLOR_CYAN, A_BOLD},
    [TUI_EL_TAB] = {COLOR_WHITE, COLOR_BLUE, 0},
    [TUI_EL_TAB_ACTIVE] = {COLOR_BLACK, COLOR_YELLOW, A_BOLD},
    [TUI_EL_HEADER] = {COLOR_CYAN, -1, A_BOLD | A_UNDERLINE},
    [TUI_EL_SELECTED] = {COLOR_BLACK, COLOR_CYAN, 0},
    [TUI_EL_STATUS] = {COLOR_WHITE, COLOR_BLUE, 0},
    [TUI_EL_ERROR] = {COLOR_RED, -1, A_BOLD},
    [TUI_EL_WARN] = {COLOR_YELLOW, -1, 0},
    [TUI_EL_OK] = {COLOR_GREEN, -1, 0},
    [TUI_EL_DIM] = {-1, -1, A_DIM},
    [TUI_EL_FILTER] = {COLOR_BLACK, COLOR_YELLOW, 0},
    [TUI_EL_HINT] = {COLOR_YELLOW, -1, 0},
};

/* What an element needs to stay distinguishable without colour. */
static const attr_t mono_attrs[TUI_EL_COUNT] = {
    [TUI_EL_TITLE] = A_BOLD | A_REVERSE, [TUI_EL_TAB] = A_REVERSE,   [TUI_EL_TAB_ACTIVE] = A_BOLD,
    [TUI_EL_HEADER] = A_BOLD | A_UNDERLINE, [TUI_EL_SELECTED] = A_REVERSE, [TUI_EL_STATUS] = A_REVERSE,
    [TUI_EL_ERROR] = A_BOLD,             [TUI_EL_WARN] = A_BOLD,     [TUI_EL_DIM] = A_DIM,
    [TUI_EL_FILTER] = A_UNDERLINE,       [TUI_EL_HINT] = A_DIM,
};

static elem_style styles[TUI_EL_COUNT];
static attr_t resolved[TUI_EL_COUNT];
static char description[160] = "built-in";

static const char *colour_names[] = {"black", "red", "green", "yellow", "blue", "magenta", "cyan", "white"};

static int parse_colour(const char *s, short *out)
{
    if (strcmp(s, "default") == 0 || strcmp(s, "none") == 0 || !*s) {
        *out = -1;
        return 0;
    }
    int base = 0;
    const char *name = s;
    if (strncmp(s, "bright-", 7) == 0 || strncmp(s, "bright_", 7) == 0) {
        base = 8;
        name = s + 7;
    } else if (strncmp(s, "bright", 6) == 0) {
        base = 8;
        name = s + 6;
    }
    for (int i = 0; i < 8; i++)
        if (strcmp(name, colour_names[i]) == 0) {
            *out = (short)(base + i);
            return 0;
        }
    if (strcmp(name, "grey") == 0 || strcmp(name, "gray") == 0) {
        *out = (short)(base ? 7 : 8);
        return 0;
    }
    char *end;
    long n = strtol(s, &end, 10);
    if (*end == '\0' && n >= 0 && n <= 255) {
        *out = (short)n;
        return 0;
    }
    return -1;
}

static attr_t parse_attr(const char *s)
{
    static const struct {
        const char *name;
        attr_t attr;
    } names[] = {{"bold", A_BOLD},         {"dim", A_DIM},         {"underline", A_UNDERLINE},
                 {"reverse", A_REVERSE},   {"standout", A_STANDOUT}, {"italic", A_ITALIC},
                 {"blink", A_BLINK},       {"normal", 0}};
    for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
        if (strcmp(s, names[i].name) == 0)
            return names[i].attr;
    log_warn("tui: theme: unknown attribute '%s' ignored", s);
    return 0;
}

static const char *scalar(yaml_document_t *doc, yaml_node_t *n)
{
    return (n && n->type == YAML_SCALAR_NODE) ? (const char *)n->data.scalar.value : NULL;
}

static void parse_attrs(yaml_document_t *doc, yaml_node_t *n, attr_t *out)
{
    if (n->type == YAML_SCALAR_NODE) {
        /* "bold underline" or "bold,underline" */
        char *copy = g_strdup(scalar(doc, n));
        for (char *tok = strtok(copy, " ,"); tok; tok = strtok(NULL, " ,"))
            *out |= parse_attr(tok);
        g_free(copy);
    } else if (n->type == YAML_SEQUENCE_NODE) {
        for (yaml_node_item_t *it = n->data.sequence.items.start; it < n->data.sequence.items.top; it++) {
            const char *s = scalar(doc, yaml_document_get_node(doc, *it));
            if (s)
                *out |= parse_attr(s);
        }
    }
}

static void parse_element(yaml_document_t *doc, const char *elem_name, yaml_node_t *n, elem_style *st)
{
    if (n->type != YAML_MAPPING_NODE) {
        log_warn("tui: theme: element '%s' is not a mapping; ignored", elem_name);
        return;
    }
    elem_style s = {-1, -1, 0};
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
        const char *k = scalar(doc, yaml_document_get_node(doc, p->key));
        yaml_node_t *v = yaml_document_get_node(doc, p->value);
        if (!k || !v)
            continue;
        if (strcmp(k, "fg") == 0 || strcmp(k, "bg") == 0) {
            const char *cv = scalar(doc, v);
            short c;
            if (!cv || parse_colour(cv, &c) < 0)
                log_warn("tui: theme: element '%s': unknown colour '%s'", elem_name, cv ? cv : "?");
            else if (k[0] == 'f')
                s.fg = c;
            else
                s.bg = c;
        } else if (strcmp(k, "attrs") == 0) {
            parse_attrs(doc, v, &s.attrs);
        } else {
            log_warn("tui: theme: element '%s': unknown key '%s'", elem_name, k);
        }
    }
    *st = s;
}

static int elem_by_name(const char *name)
{
    for (int i = 0; i < TUI_EL_COUNT; i++)
        if (strcmp(elem_names[i], name) == 0)
            return i;
    return -1;
}

/* Reads the theme file into styles[]; elements it leaves out keep the built-in style. */
static int load_file(const char *path, minca_err *err)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return minca_err_set(err, "cannot open %s", path);
    yaml_parser_t parser;
    yaml_document_t doc;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int rc = 0;
    if (!yaml_parser_load(&parser, &doc)) {
        rc = minca_err_set(err, "%s:%zu:%zu: %s", path, parser.problem_mark.line + 1,
                           parser.problem_mark.column + 1, parser.problem ? parser.problem : "YAML error");
        yaml_parser_delete(&parser);
        fclose(f);
        return rc;
    }
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    yaml_node_t *elements = NULL;
    if (root && root->type == YAML_MAPPING_NODE)
        for (yaml_node_pair_t *p = root->data.mapping.pairs.start; p < root->data.mapping.pairs.top; p++) {
            const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
            if (k && strcmp(k, "elements") == 0)
                elements = yaml_document_get_node(&doc, p->value);
        }
    if (!elements || elements->type != YAML_MAPPING_NODE) {
        rc = minca_err_set(err, "%s: no `elements:` mapping", path);
    } else {
        for (yaml_node_pair_t *p = elements->data.mapping.pairs.start; p < elements->data.mapping.pairs.top; p++) {
            const char *k = scalar(&doc, yaml_document_get_node(&doc, p->key));
            yaml_node_t *v = yaml_document_get_node(&doc, p->value);
            int e = k ? elem_by_name(k) : -1;
            if (e < 0) {
                log_warn("tui: theme %s: unknown element '%s' ignored", path, k ? k : "?");
                continue;
            }
            parse_element(&doc, k, v, &styles[e]);
        }
    }
    yaml_document_delete(&doc);
    yaml_parser_delete(&parser);
    fclose(f);
    return rc;
}

/* Folds a colour the terminal cannot show into the 8 basic ones (bright ones set *bold). */
static short fold_colour(short c, bool *bold)
{
    if (c < 8)
        return c;
    if (c < 16) {
        if (bold)
            *bold = true;
        return (short)(c - 8);
    }
    if (c >= 232) /* grey ramp */
        return c >= 244 ? COLOR_WHITE : COLOR_BLACK;
    int i = c - 16, r = i / 36, g = (i / 6) % 6, b = i % 6;
    return (short)((r >= 3 ? COLOR_RED : 0) | (g >= 3 ? COLOR_GREEN : 0) | (b >= 3 ? COLOR_BLUE : 0));
}

static char *theme_path(const char *name)
{
    if (strchr(name, '/') || (strlen(name) > 5 && strcmp(name + strlen(name) - 5, ".yaml") == 0))
        return g_strdup(name);
    char *file = core_strdup_printf("themes/%s.yaml", name);
    char *path = core_path_join(config_share_dir(), file);
    g_free(file);
    return path;
}

int tui_theme_load(const char *name_or_path)
{
    const char *name = (name_or_path && *name_or_path) ? name_or_path : "default";
    memcpy(styles, builtin, sizeof styles);
    char *path = theme_path(name);
    minca_err err = {0};
    bool from_file = load_file(path, &err) == 0;
    if (!from_file) {
        log_warn("tui: theme '%s' not usable (%s); using the built-in colours", name, err.msg);
        memcpy(styles, builtin, sizeof styles);
    }
    g_free(path);

    const char *no_color = getenv("NO_COLOR");
    bool colour = has_colors() && !(no_color && *no_color);
    bool defaults = false;
    if (colour) {
        start_color();
        defaults = use_default_colors() == OK;
    }
    int ncolours = colour ? COLORS : 0;
    bool mono = !colour || ncolours < 8 || COLOR_PAIRS < TUI_EL_COUNT + 1;
    for (int e = 0; e < TUI_EL_COUNT; e++) {
        elem_style s = styles[e];
        if (mono) {
            resolved[e] = s.attrs | mono_attrs[e];
            continue;
        }
        bool bold = false;
        short fg = s.fg, bg = s.bg;
        if (fg >= ncolours)
            fg = fold_colour(fg, &bold);
        if (bg >= ncolours)
            bg = fold_colour(bg, NULL);
        if (!defaults) {
            if (fg < 0)
                fg = COLOR_WHITE;
            if (bg < 0)
                bg = COLOR_BLACK;
        }
        init_pair((short)(e + 1), fg, bg);
        resolved[e] = COLOR_PAIR(e + 1) | s.attrs | (bold ? A_BOLD : 0);
    }
    snprintf(description, sizeof description, "%s%s (%s)", from_file ? "" : "built-in, wanted ",
             name, mono ? "monochrome" : ncolours >= 256 ? "256 colours" : ncolours >= 16 ? "16 colours" : "8 colours");
    log_info("tui: theme %s", description);
    return from_file ? 0 : -1;
}

attr_t tui_theme_attr(tui_elem elem)
{
    return (elem >= 0 && elem < TUI_EL_COUNT) ? resolved[elem] : 0;
}

const char *tui_theme_elem_name(tui_elem elem)
{
    return (elem >= 0 && elem < TUI_EL_COUNT) ? elem_names[elem] : "?";
}

const char *tui_theme_describe(void) { return description; }
