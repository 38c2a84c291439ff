/* Profiles pane: broker profiles stored for the insurer (every version) and the profiles
 * shipped under <share>/profiles/ (*.yaml files). Enter shows the YAML; W opens the profile
 * wizard on the newest case of the profile's broker. */
#include "minca/core_config.h"
#include "minca/store_tui.h"
#include "minca/tui.h"

#include <dirent.h>
#include <glib.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

static const tui_column profiles_cols[] = {
    {"Name", 16, 2, false},  {"Source", 6, 0, false},  {"Version", 7, 0, true}, {"Broker", 12, 1, false},
    {"Author", 10, 0, false}, {"Active", 6, 0, false}, {"Created", 16, 0, false},
};
#define N_COLS (int)(sizeof profiles_cols / sizeof profiles_cols[0])

static const char *empty_hint = "No broker profiles yet. Profiles are stored when a broker's sheet layout is\n"
                                "learnt; shipped examples live in profiles/*.yaml.";

static int profiles_open(tui_view *v)
{
    v->table = tui_table_new(profiles_cols, N_COLS);
    if (!v->table)
        return -1;
    tui_table_set_empty(v->table, empty_hint);
    return 0;
}

static void profiles_close(tui_view *v) { tui_table_free(v->table); }

/* Top-level scalar keys of a YAML file (name, version, broker) into obj. */
static void read_header(const char *path, json_t *obj)
{
    FILE *f = fopen(path, "rb");
    if (!f)
        return;
    yaml_parser_t parser;
    yaml_event_t ev;
    yaml_parser_initialize(&parser);
    yaml_parser_set_input_file(&parser, f);
    int depth = 0;
    char *key = NULL;
    for (bool done = false; !done;) {
        if (!yaml_parser_parse(&parser, &ev)) {
            json_object_set_new(obj, "error", json_string(parser.problem ? parser.problem : "YAML error"));
            break;
        }
        switch (ev.type) {
        case YAML_MAPPING_START_EVENT:
        case YAML_SEQUENCE_START_EVENT:
            if (depth == 1 && key) { /* a nested value: not a header key */
                g_free(key);
                key = NULL;
            }
            depth++;
            break;
        case YAML_MAPPING_END_EVENT:
        case YAML_SEQUENCE_END_EVENT:
            depth--;
            break;
        case YAML_SCALAR_EVENT:
            if (depth == 1) {
                const char *text = (const char *)ev.data.scalar.value;
                if (!key) {
                    key = g_strdup(text);
                } else {
                    if (strcmp(key, "name") == 0 || strcmp(key, "version") == 0 || strcmp(key, "broker") == 0 ||
                        strcmp(key, "author") == 0)
                        json_object_set_new(obj, key, json_string(text));
                    g_free(key);
                    key = NULL;
                }
            }
            break;
        case YAML_STREAM_END_EVENT:
            done = true;
            break;
        default:
            break;
        }
        yaml_event_delete(&ev);
    }
    g_free(key);
    yaml_parser_delete(&parser);
    fclose(f);
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static void add_shipped(tui_table *t)
{
    char *dir = core_path_join(config_share_dir(), "profiles");
    DIR *d = opendir(dir);
    if (!d) {
        g_free(dir);
        return;
    }
    GPtrArray *files = g_ptr_array_new_with_free_func(g_free);
    struct dirent *e;
    while ((e = readdir(d))) {
        size_t len = strlen(e->d_name);
        if (len > 5 && strcmp(e->d_name + len - 5, ".yaml") == 0 && e->d_name[0] != '.')
            g_ptr_array_add(files, g_strdup(e->d_name));
    }
    closedir(d);
    g_ptr_array_sort(files, by_name);
    char **names = (char **)files->pdata;
    for (guint i = 0; i < files->len; i++) {
        char *path = core_path_join(dir, names[i]);
        json_t *obj = json_pack("{s:s, s:s}", "path", path, "file", names[i]);
        read_header(path, obj);
        char fallback[256];
        snprintf(fallback, sizeof fallback, "%.*s", (int)(strlen(names[i]) - 5), names[i]);
        const char *name = *tui_json_str(obj, "name") ? tui_json_str(obj, "name") : fallback;
        const char *cells[N_COLS] = {name, "file", tui_json_str(obj, "version"), tui_json_str(obj, "broker"),
                                     tui_json_str(obj, "author"), "", ""};
        char key[300];
        snprintf(key, sizeof key, "file:%s", names[i]);
        tui_table_add(t, key, cells, json_object_get(obj, "error") ? TUI_EL_ERROR : TUI_EL_DIM, obj);
        json_decref(obj);
        g_free(path);
    }
    g_ptr_array_unref(files);
    g_free(dir);
}

static void profiles_refresh(tui_view *v)
{
    long long insurer_id;
    PGconn *db = tui_app_store(v->app, v->table, &insurer_id);
    json_t *list = NULL;
    if (db) {
        minca_err err = {0};
        list = store_tui_profile_list(db, insurer_id, &err);
        if (!list)
            tui_app_message(v->app, TUI_EL_ERROR, "cannot read profiles: %s", err.msg);
    }
    tui_table_clear(v->table);
    size_t i;
    json_t *p;
    json_array_foreach(list, i, p) {
        char key[32], version[16];
        snprintf(key, sizeof key, "db:%lld", tui_json_int(p, "id"));
        snprintf(version, sizeof version, "%lld", tui_json_int(p, "version"));
        bool active = json_is_true(json_object_get(p, "active"));
        const char *cells[N_COLS] = {tui_json_str(p, "name"), "db", version, tui_json_str(p, "broker"),
                                     tui_json_str(p, "author"), active ? "yes" : "no", tui_json_str(p, "created")};
        tui_table_add(v->table, key, cells, active ? TUI_EL_NORMAL : TUI_EL_DIM, p);
    }
    json_decref(list);
    add_shipped(v->table); /* shown even when the database is down */
    tui_table_done(v->table);
    if (db)
        tui_table_set_empty(v->table, empty_hint);
}

static tui_view *profiles_enter(tui_view *v)
{
    json_t *p = tui_table_selected(v->table);
    if (!p)
        return NULL;
    char *text = NULL;
    if (*tui_json_str(p, "path")) {
        size_t len;
        minca_err err = {0};
        if (core_read_file(tui_json_str(p, "path"), 4 << 20, &text, &len, &err) < 0) {
            tui_app_message(v->app, TUI_EL_ERROR, "%s", err.msg);
            return NULL;
        }
    } else {
        text = g_strdup(tui_json_str(p, "yaml"));
    }
    char *title = *tui_json_str(p, "path")
                      ? core_strdup_printf("Profile %s (file %s)", tui_json_str(p, "file"), tui_json_str(p, "path"))
                      : core_strdup_printf("Profile %s v%lld by %s", tui_json_str(p, "name"),
                                           tui_json_int(p, "version"), tui_json_str(p, "author"));
    tui_view *pv = tui_pager_new(v->app, title, text);
    g_free(title);
    g_free(text);
    return pv;
}

/* The wizard opens on the broker's newest case: its sheet is what the profile is learnt from. */
static bool act_wizard(tui_view *v, tui_action act, const char *args)
{
    (void)act, (void)args;
    json_t *p = tui_table_selected(v->table);
    if (!p)
        return true;
    const char *cot = tui_json_str(p, "latest_cot");
    if (!*cot) {
        tui_app_message(v->app, TUI_EL_WARN, "no case of this profile's broker to learn from; open the wizard from a case");
        return true;
    }
    tui_app_push(v->app, tui_wizard_new(v->app, cot));
    return true;
}

static const tui_action_row profiles_rows[] = {
    {TUI_ACT_WIZARD, act_wizard},
    TUI_ROWS_END,
};

const tui_view_ops tui_pane_profiles_ops = {
    .name = "profiles",
    .title = "Profiles",
    .open = profiles_open,
    .close = profiles_close,
    .refresh = profiles_refresh,
    .enter = profiles_enter,
    .actions = profiles_rows,
};
