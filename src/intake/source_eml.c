/* eml: one .eml file, or a directory of *.eml files (sorted by name). */
#include "intake_internal.h"

static int eml_open(const intake_source_args *args, void **state, minca_err *err)
{
    return intake_files_open(args, false, state, err);
}

const intake_source_ops intake_source_eml_ops = {
    .kind = "eml",
    .summary = "an .eml file or a directory of them (path)",
    .example = "{kind: eml, insurer: demo, path: /srv/minca/entrada}",
    .open = eml_open,
    .next = intake_files_next,
    .count = intake_files_count,
    .close = intake_files_close,
};
