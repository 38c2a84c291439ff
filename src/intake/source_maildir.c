/* maildir: the files of cur/ then new/, each sorted; a message is known by its unique name
 * (flags after ':' ignored), so moving it between new/ and cur/ does not make it new. */
#include "intake_internal.h"

static int maildir_open(const intake_source_args *args, void **state, minca_err *err)
{
    return intake_files_open(args, true, state, err);
}

const intake_source_ops intake_source_maildir_ops = {
    .kind = "maildir",
    .summary = "a Maildir: cur/ and new/ (path)",
    .example = "{kind: maildir, insurer: demo, path: /home/cotiza/Maildir}",
    .open = maildir_open,
    .next = intake_files_next,
    .count = intake_files_count,
    .close = intake_files_close,
};
