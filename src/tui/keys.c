/* The key table: every action the desk knows, with its default keys and help text, comes
 * from the one list in tui_actions.h (like tig's REQ_INFO or NeoMutt's opcode tables). The config file's `keys:`
 * mapping (action: key spec, several separated by spaces) replaces an action's default keys;
 * the arrow and page keys listed as "fixed" stay bound whatever the remap. */
#include "minca/core_config.h"
#include "minca/tui.h"
#include "minca/core_text.h"

#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

typedef struct action_def {
    tui_action act;
    const char *name;
    const char *keys;      /* default keys, replaced by a remap */
    const char *fixed;     /* keys kept even when remapped */
    const char *help;
} action_def;

/* The rows of TUI_ACTIONS (tui_actions.h), tabs included, in help-screen order. */
#define ACTION_DEF_(id, name, keys, fixed, needs, help) {TUI_ACT_##id, name, keys, fixed, help},
#define TAB_ACTION_DEF_(id, name, key, pane, help) {TUI_ACT_TAB_##id, name, key, "", help},
static const action_def actions[] = {TUI_ACTIONS(ACTION_DEF_, TAB_ACTION_DEF_)};
#define N_ACTIONS (sizeof actions / sizeof actions[0])

typedef struct binding {
    tui_key key;
    tui_action act;
    bool fixed;
} binding;

static GArray *bindings;   /* of binding; made by tui_keys_init */

static size_t n_bindings(void)
{
    return bindings ? bindings->len : 0;
}

static binding *binding_at(size_t i)
{
    return &g_array_index(bindings, binding, i);
}

static const struct {
    const char *name;
    tui_key key;
} named_keys[] = {
    {"Enter", '\n'},
    {"Esc", 27},
    {"Tab", '\t'},
    {"S-Tab", TUI_FN(KEY_BTAB)},
    {"Space", ' '},
    {"Up", TUI_FN(KEY_UP)},
    {"Down", TUI_FN(KEY_DOWN)},
    {"Left", TUI_FN(KEY_LEFT)},
    {"Right", TUI_FN(KEY_RIGHT)},
    {"PgUp", TUI_FN(KEY_PPAGE)},
    {"PgDn", TUI_FN(KEY_NPAGE)},
    {"Home", TUI_FN(KEY_HOME)},
    {"End", TUI_FN(KEY_END)},
    {"Backspace", TUI_FN(KEY_BACKSPACE)},
    {"Del", TUI_FN(KEY_DC)},
    {"Ins", TUI_FN(KEY_IC)},
};

int tui_key_parse(const char *spec, tui_key *out)
{
    if (!spec || !*spec)
        return -1;
    for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
        if (g_ascii_strcasecmp(spec, named_keys[i].name) == 0) {
            *out = named_keys[i].key;
            return 0;
        }
    if (g_ascii_strcasecmp(spec, "Return") == 0 || g_ascii_strcasecmp(spec, "CR") == 0) {
        *out = '\n';
        return 0;
    }
    if (g_ascii_strcasecmp(spec, "Escape") == 0) {
        *out = 27;
        return 0;
    }
    if (g_ascii_strcasecmp(spec, "BTab") == 0) {
        *out = TUI_FN(KEY_BTAB);
        return 0;
    }
    if (g_ascii_strcasecmp(spec, "PageUp") == 0) {
        *out = TUI_FN(KEY_PPAGE);
        return 0;
    }
    if (g_ascii_strcasecmp(spec, "PageDown") == 0) {
        *out = TUI_FN(KEY_NPAGE);
        return 0;
    }
    if ((spec[0] == 'F' || spec[0] == 'f') && spec[1] >= '1' && spec[1] <= '9') {
        char *end;
        long n = strtol(spec + 1, &end, 10);
        if (*end == '\0' && n >= 1 && n <= 24) {
            *out = TUI_FN(KEY_F((int)n));
            return 0;
        }
    }
    if ((spec[0] == 'C' || spec[0] == 'c') && spec[1] == '-' && spec[2] && !spec[3]) {
        char c = spec[2];
        if (c >= 'a' && c <= 'z')
            c = (char)(c - 'a' + 'A');
        if (c >= '@' && c <= '_') {
            *out = c - '@';
            return 0;
        }
        return -1;
    }
    /* One UTF-8 character. */
    if (!g_utf8_validate(spec, -1, NULL) || g_utf8_strlen(spec, -1) != 1)
        return -1;
    gunichar c = g_utf8_get_char(spec);
    if (c < 0x20 || c == 0x7f)
        return -1;
    *out = (tui_key)c;
    return 0;
}

void tui_key_name(tui_key key, char *buf, size_t len)
{
    for (size_t i = 0; i < sizeof named_keys / sizeof named_keys[0]; i++)
        if (named_keys[i].key == key) {
            snprintf(buf, len, "%s", named_keys[i].name);
            return;
        }
    if (key == '\r') {
        snprintf(buf, len, "Enter");
    } else if (key >= TUI_FN(KEY_F(1)) && key <= TUI_FN(KEY_F(24))) {
        snprintf(buf, len, "F%d", key - TUI_FN(KEY_F0));
    } else if (key >= TUI_FN(0)) {
        snprintf(buf, len, "key-%d", key - TUI_FN(0));
    } else if (key < 0x20) {
        snprintf(buf, len, "C-%c", (char)(key + 'a' - 1));
    } else {
        char enc[8] = {0};
        g_unichar_to_utf8((gunichar)key, enc);
        snprintf(buf, len, "%s", enc);
    }
}

static const action_def *find_def(tui_action act)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (actions[i].act == act)
            return &actions[i];
    return NULL;
}

tui_action tui_action_by_name(const char *name)
{
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcmp(actions[i].name, name) == 0)
            return actions[i].act;
    /* Accept underscores too: `page_down` as well as `page-down`. */
    char *dashed = g_strdup(name);
    g_strdelimit(dashed, "_", '-');
    tui_action act = TUI_ACT_NONE;
    for (size_t i = 0; i < N_ACTIONS; i++)
        if (strcmp(actions[i].name, dashed) == 0)
            act = actions[i].act;
    g_free(dashed);
    return act;
}

const char *tui_action_name(tui_action act)
{
    const action_def *d = find_def(act);
    return d ? d->name : "none";
}

static void unbind_key(tui_key key)
{
    for (size_t i = 0; i < n_bindings();)
        if (binding_at(i)->key == key)
            g_array_remove_index_fast(bindings, i);
        else
            i++;
}

/* A key remapped in the config belongs to that action alone (exclusive); the default table
 * may give one key to actions of different panes (`m`: compose in the Inbox, normalisation
 * in the wizard), and the view that knows one of them takes it (tui_keys_lookup_all). */
static void bind_key(tui_key key, tui_action act, bool fixed, bool exclusive)
{
    if (exclusive)
        unbind_key(key);
    for (size_t i = 0; i < n_bindings(); i++)
        if (binding_at(i)->key == key && binding_at(i)->act == act)
            return;
    binding b = {key, act, fixed};
    g_array_append_val(bindings, b);
}

/* Binds every key of a space-separated spec list; returns how many were bound. */
static int bind_specs(const char *specs, tui_action act, bool fixed, bool from_config)
{
    int bound = 0;
    gchar **parts = g_strsplit(specs, " ", -1);
    for (gchar **p = parts; *p; p++) {
        if (!**p)
            continue;
        tui_key key;
        if (tui_key_parse(*p, &key) < 0) {
            log_warn("tui: keys: unknown key '%s' for action '%s' ignored", *p, tui_action_name(act));
            continue;
        }
        if (from_config) {
            tui_action old = tui_keys_lookup(key);
            if (old != TUI_ACT_NONE && old != act)
                log_info("tui: keys: '%s' now runs '%s' instead of '%s'", *p, tui_action_name(act),
                         tui_action_name(old));
        }
        bind_key(key, act, fixed, from_config);
        bound++;
    }
    g_strfreev(parts);
    return bound;
}

void tui_keys_init(void)
{
    if (bindings)
        g_array_free(bindings, TRUE);
    bindings = g_array_new(FALSE, FALSE, sizeof(binding));
    for (size_t i = 0; i < N_ACTIONS; i++) {
        bind_specs(actions[i].keys, actions[i].act, false, false);
        bind_specs(actions[i].fixed, actions[i].act, true, false);
    }
    bind_key('\r', TUI_ACT_ENTER, true, true);
    bind_key(TUI_FN(KEY_ENTER), TUI_ACT_ENTER, true, true);

    const minca_config *cfg = config_get();
    for (int i = 0; i < cfg->n_keys; i++) {
        const char *name = cfg->keys[i].action, *spec = cfg->keys[i].key;
        tui_action act = tui_action_by_name(name);
        if (act == TUI_ACT_NONE) {
            log_warn("tui: keys: unknown action '%s' ignored", name);
            continue;
        }
        gchar *trimmed = g_strstrip(g_strdup(spec ? spec : ""));
        tui_key probe;
        bool any_valid = false;
        gchar **parts = g_strsplit(trimmed, " ", -1);
        for (gchar **p = parts; *p; p++)
            if (**p && tui_key_parse(*p, &probe) == 0)
                any_valid = true;
        g_strfreev(parts);
        if (!any_valid) {
            log_warn("tui: keys: no usable key in '%s' for action '%s'; keeping its defaults", trimmed, name);
            g_free(trimmed);
            continue;
        }
        /* Drop the action's remappable defaults, keep its fixed keys. */
        for (size_t j = 0; j < n_bindings();)
            if (binding_at(j)->act == act && !binding_at(j)->fixed)
                g_array_remove_index_fast(bindings, j);
            else
                j++;
        bind_specs(trimmed, act, false, true);
        log_info("tui: keys: '%s' bound to '%s'", name, trimmed);
        g_free(trimmed);
    }
}

tui_action tui_keys_lookup(tui_key key)
{
    for (size_t i = 0; i < n_bindings(); i++)
        if (binding_at(i)->key == key)
            return binding_at(i)->act;
    return TUI_ACT_NONE;
}

int tui_keys_lookup_all(tui_key key, tui_action *out, int max)
{
    int n = 0;
    for (size_t i = 0; i < n_bindings() && n < max; i++) {
        if (binding_at(i)->key != key)
            continue;
        bool dup = false;
        for (int j = 0; j < n; j++)
            dup |= out[j] == binding_at(i)->act;
        if (!dup)
            out[n++] = binding_at(i)->act;
    }
    return n;
}

void tui_keys_primary(tui_action act, char *buf, size_t len)
{
    if (len)
        buf[0] = '\0';
    /* Prefer a remappable key (what the user chose) over the fixed ones. */
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n_bindings(); i++)
            if (binding_at(i)->act == act && binding_at(i)->fixed == (pass == 1)) {
                tui_key_name(binding_at(i)->key, buf, len);
                return;
            }
}

char *tui_keys_expand(const char *text)
{
    GString *out = g_string_new(NULL);
    for (const char *p = text ? text : ""; *p;) {
        const char *close = *p == '{' ? strchr(p, '}') : NULL;
        if (close && close - p < 32) {
            char name[32];
            snprintf(name, sizeof name, "%.*s", (int)(close - p - 1), p + 1);
            tui_action act = tui_action_by_name(name);
            char key[32];
            if (act != TUI_ACT_NONE) {
                tui_keys_primary(act, key, sizeof key);
                g_string_append(out, *key ? key : name);
                p = close + 1;
                continue;
            }
        }
        g_string_append_c(out, *p++);
    }
    char *expanded = g_strdup(out->str);
    g_string_free(out, TRUE);
    return expanded;
}

int tui_keys_of(tui_action act, tui_key *out, int max)
{
    int n = 0;
    for (int pass = 0; pass < 2; pass++)
        for (size_t i = 0; i < n_bindings() && n < max; i++) {
            if (binding_at(i)->act != act || binding_at(i)->fixed != (pass == 1))
                continue;
            if (binding_at(i)->key == '\r' || binding_at(i)->key == TUI_FN(KEY_ENTER))
                continue;
            out[n++] = binding_at(i)->key;
        }
    return n;
}

const char *tui_action_help(tui_action act)
{
    const action_def *d = find_def(act);
    return d ? d->help : "";
}

/* "j, Down" for an action, in table order: remappable keys first, then fixed ones. */
static void describe_keys(tui_action act, GString *out)
{
    tui_key keys[16];
    int n = tui_keys_of(act, keys, 16);
    for (int i = 0; i < n; i++) {
        char name[32];
        tui_key_name(keys[i], name, sizeof name);
        g_string_append_printf(out, "%s%s", i ? ", " : "", name);
    }
    if (!n)
        g_string_append(out, "(unbound)");
}

static void help_line(GString *out, const action_def *d)
{
    GString *keys = g_string_new(NULL);
    describe_keys(d->act, keys);
    char kcol[64], ncol[64];
    text_fit_width(keys->str, 17, false, kcol, sizeof kcol);
    text_fit_width(d->name, 13, false, ncol, sizeof ncol);
    g_string_append_printf(out, "  %s %s %s\n", kcol, ncol, d->help);
    g_string_free(keys, TRUE);
}

/* Under heading, the help lines of the actions with a row in rows (none when rows is NULL)
 * not listed yet; marks what it lists in shown. */
static void help_section(GString *out, const char *heading, const tui_action_row *rows, bool *shown)
{
    bool any = false;
    for (size_t i = 0; i < N_ACTIONS; i++) {
        if (shown[i] || !tui_action_row_of(rows, actions[i].act))
            continue;
        if (!any)
            g_string_append_printf(out, "%s\n", heading);
        any = true;
        shown[i] = true;
        help_line(out, &actions[i]);
    }
    if (any)
        g_string_append_c(out, '\n');
}

char *tui_keys_help_text(const char *title, const tui_action_row *pane, const tui_action_row *global)
{
    GString *out = g_string_new("Keys (remap them in the config file, e.g. `keys: {quit: Q}`)\n\n");
    bool shown[N_ACTIONS];
    memset(shown, 0, sizeof shown);
    char *heading = g_strdup_printf("In %s:", title && *title ? title : "this view");
    help_section(out, "Everywhere:", global, shown);
    help_section(out, heading, pane, shown);
    g_free(heading);
    g_string_append(out, "In the filter prompt: type to filter, Backspace deletes, C-w deletes a word,\n"
                         "C-u clears, Enter keeps the filter (and n, N go to the lines with its text once\n"
                         "Esc has cleared it), Esc clears it.\n"
                         "At the : prompt, type an action name from the middle column (and its argument:\n"
                         ":sort due desc, :insurer SLUG) and Enter; :q closes the view or quits, :NUMBER\n"
                         "goes to an inciso.\n"
                         "At a question on the status line only the keys it names answer it: y (or Enter where\n"
                         "it says so) all, o only this row, c also the other cases; any other key decides\n"
                         "nothing. At A's question, l lists the rows it would accept.\n"
                         "In the catalog search, every key types into the query; arrows move, Enter picks.\n"
                         "In the compose form: Enter edits a field, a attaches a file, d clears the field,\n"
                         "S sends.\n"
                         "With MINCA_TUI_MOUSE=1: a click selects a line or a pane, a double click opens,\n"
                         "the wheel scrolls.\n");
    char *text = g_strdup(out->str);
    g_string_free(out, TRUE);
    return text;
}
