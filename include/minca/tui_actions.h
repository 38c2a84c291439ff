/* tui_actions: the desk's tabs and actions, each one row of one list (tig's VIEW_INFO /
 * REQ_INFO way). From these lists come the tui_action enum (tui.h), the action names the
 * config file's `keys:` remaps and `:` runs, the default key table and the help screen
 * (keys.c), the role each action needs (permissions.c) and the tab bar with its panes
 * (app.c). Adding a pane is one TUI_TABS row plus the pane's own file.
 *
 * TUI_TABS(T): T(ID, action name, default key, pane, help), in tab order. The pane `x` is
 * the tui_view_ops `tui_pane_x_ops`; the tab's action is TUI_ACT_TAB_ID.
 *
 * TUI_ACTIONS(A, T): A(ID, name, default keys, fixed keys, role needed, help), in the order
 * of the help screen (also the order keys are bound: a key given to two actions of
 * different panes is found for the first one first). The default keys are replaced by a
 * `keys:` remap; the fixed ones stay bound whatever the remap. The role needed is the
 * access_action suffix checked before the action runs (READ: anyone who can see the
 * insurer). The tab rows come in where TUI_TABS(T) stands. The name is also the action's
 * `:` command (`:sort due`, `:insurer SLUG` with their argument).
 *
 * Where an action applies and what runs it is a row {action, handler} in the desk's table
 * (app.c, every view) or in the view's own (tui_view_ops.actions): adding an action is a row
 * here, its handler and that handler's row in the table of the view it belongs to.
 *
 * Included only through tui.h. */
#ifndef MINCA_TUI_ACTIONS_H
#define MINCA_TUI_ACTIONS_H

#define TUI_TABS(T)                                                                                        \
    T(INBOX, "inbox", "1", inbox, "show the Inbox pane")                                                   \
    T(CASES, "cases", "2", cases, "show the Cases pane")                                                   \
    T(MATCHES, "matches", "3", matches, "show the Matches of the selected case")                           \
    T(PROFILES, "profiles", "4", profiles, "show the broker Profiles")                                     \
    T(DASHBOARD, "dashboard", "5", dashboard, "show the Dashboard: decisions, confidence, queue, slow brokers") \
    T(QUEUE, "queue", "6", queue,                                                                          \
      "show the review Queue: every doubtful row of the insurer by description; Enter decides a line")

#define TUI_ACTIONS(A, T)                                                                                  \
    A(DOWN, "down", "j", "Down", READ, "move down one line")                                               \
    A(UP, "up", "k", "Up", READ, "move up one line")                                                       \
    A(PAGE_DOWN, "page-down", "C-f Space", "PgDn", READ, "move down one page")                             \
    A(PAGE_UP, "page-up", "C-b", "PgUp", READ, "move up one page")                                         \
    A(FIRST, "first", "g", "Home", READ, "go to the first line")                                           \
    A(LAST, "last", "G", "End", READ, "go to the last line")                                               \
    A(ENTER, "enter", "Enter", "", READ, "open the detail of the selected line")                           \
    A(BACK, "back", "Esc", "", READ, "clear the filter, or close the detail view")                         \
    A(FILTER, "filter", "/", "", READ, "filter as you type (ignores case, accents)")                       \
    A(SORT, "sort", "o", "", READ, "sort by the next column, then unsorted")                               \
    A(SORT_REVERSE, "sort-reverse", "O", "", READ, "reverse the sort order")                               \
    A(STATUS_FILTER, "status-filter", "f", "", READ, "Cases: show one status at a time (cycles)")          \
    A(NEXT_REVIEW, "next-review", "n", "", READ, "Matches: next row that needs review")                    \
    A(PREV_REVIEW, "prev-review", "p", "", READ, "Matches: previous row that needs review")                \
    A(ACCEPT, "accept", "a", "", DECIDE, "Matches: accept the proposed key")                               \
    A(CANDIDATES, "candidates", "c", "", READ, "Matches: ranked candidates, Enter picks one")               \
    A(SEARCH, "search", "s", "", READ, "Matches, Queue: search the catalog, Enter picks (for the whole line in the Queue)")                         \
    A(NO_MATCH, "no-match", "x", "", DECIDE, "Matches: no catalog key fits the row")                       \
    A(UNDO, "undo", "u", "", DECIDE, "Matches: undo your last decision on the case")                       \
    A(NOTE, "note", "N", "", DECIDE, "Matches: write a note on the row")                                   \
    A(SEARCH_NEXT, "search-next", "n", "", READ,                                                          \
      "lists other than Matches: the next line with the text last typed at / (wraps)")                    \
    A(SEARCH_PREV, "search-prev", "N", "", READ,                                                          \
      "lists other than Matches: the previous line with the text last typed at / (wraps)")                \
    A(READY, "ready", "R", "", MARK_READY, "Matches: mark the case ready (all decided)")                   \
    A(EXPORT, "export", "e", "", EXPORT, "Matches: export the quote workbook")                             \
    A(CASE_INFO, "case-info", "i", "", READ, "Matches: client data, attachments, problems")                \
    A(CONFIRM, "confirm", "C", "", DECIDE, "Matches: confirm the client fields the language model suggested") \
    A(RERUN, "rerun", "!", "", RERUN,                                                                      \
      "Matches, wizard: read the case's sheet again (decisions on rows that read the same are kept)")      \
    A(TAG, "tag", "t", "", READ, "Matches: tag or untag the row (then ; and a decision key)")              \
    A(TAG_PREFIX, "tag-prefix", ";", "", DECIDE, "Matches: apply the next decision (a, x) to every tagged row") \
    A(ACCEPT_ABOVE, "accept-above", "A", "", DECIDE,                                                       \
      "Matches: accept the shown rows with confidence at least X (proposes the level right 99% of the time, shows the count; l lists)") \
    A(DISCARD_HELD, "discard-held", "D", "", DECIDE, "Matches: discard the decisions a re-run could place on no row") \
    A(AUDIT, "audit", "H", "", READ_AUDIT, "the audit trail of the current case as a table: time, who, action, inciso, before → after")     \
    A(WIZARD, "wizard", "W", "", READ, "profile wizard for the case's broker")                             \
    A(FIELD_NEXT, "field-next", "l", "Right", READ, "wizard: next canonical field for the column")         \
    A(FIELD_PREV, "field-prev", "h", "Left", READ, "wizard: previous canonical field")                     \
    A(NORMALIZE, "normalize", "m", "", READ, "wizard: cycle the column's normalisation")                   \
    A(COMPOSE, "compose", "m", "", DECIDE, "Inbox: type an email in (from, subject, body, attachments)")   \
    A(VALIDATE, "validate", "v", "", READ, "wizard: cycle the column's validation rule")                   \
    A(HEADER_DOWN, "header-down", "+", "", READ, "wizard: the header is one row lower")                    \
    A(HEADER_UP, "header-up", "-", "", READ, "wizard: the header is one row higher")                       \
    A(SHEET_NEXT, "sheet-next", "]", "", READ, "wizard: look for the table in the next sheet")             \
    A(STEP_NEXT, "step-next", ">", "", READ, "wizard: next step")                                          \
    A(STEP_PREV, "step-prev", "<", "", READ, "wizard: previous step")                                      \
    A(SAVE, "save", "S", "", EDIT_PROFILE, "wizard: save the profile as a new version")                    \
    A(SEND, "send", "S", "", DECIDE, "compose: send the message (through the outbox)")                      \
    A(COMMAND, "command", ":", "", READ,                                                                   \
      "run an action by name (:reload), go to an inciso (:334), sort (:sort conf desc) or switch insurer (:insurer SLUG); Tab completes, Up/Down recall") \
    A(GOTO, "goto", "", "", READ, "go to an inciso of the list: :goto 334, or just :334")                  \
    A(INSURER, "switch-insurer", "I", "", READ, "switch to another insurer (the desk opens on the last one used)") \
    TUI_TABS(T)                                                                                            \
    A(TAB_NEXT, "next-tab", "Tab", "", READ, "next pane")                                                  \
    A(TAB_PREV, "prev-tab", "S-Tab", "", READ, "previous pane")                                            \
    A(RELOAD, "reload", "r", "F5", READ, "reload the pane from the database")                              \
    A(REPLY, "reply", "r", "", DECIDE,                                                                     \
      "Cases: answer the broker (the quote when exported, else the missing data), edited before it is queued") \
    A(TAKE, "take", "T", "", DECIDE, "Cases: take the case (you become its owner); on your own case, give it back") \
    A(REDRAW, "redraw", "C-l", "", READ, "redraw the whole screen")                                        \
    A(HELP, "help", "?", "F1", READ, "show this help")                                                     \
    A(MESSAGES, "messages", "M", "", READ, "the messages of this session, newest first")                   \
    A(QUIT, "quit", "q", "", READ, "close the detail view, or quit minca")

#endif
