/* The view: the fresh root the command sees (docs/security-model.md, "The view"). The worker
 * computes one list of operations; bubblewrap performs it for backend bubblewrap, and this file
 * performs the same list for backend userns, in the helper's own mount namespace. */
#ifndef SANDBOX_VIEW_H
#define SANDBOX_VIEW_H
#include <stddef.h>

enum view_kind { V_RO_BIND, V_BIND, V_SYMLINK, V_PROC, V_DEV, V_TMPFS, V_REMOUNT_RO };

struct view_op {
  enum view_kind kind;
  const char *src;   /* host path (binds), link target (symlink) */
  const char *dest;  /* path inside the view */
  long long bytes;   /* tmpfs size */
  unsigned mode;     /* tmpfs mode */
  long long inodes;  /* tmpfs file cap; 0: none */
};

/* Parses one view option at argv[*i] (--ro-bind SRC DEST, --bind SRC DEST, --symlink TARGET DEST,
 * --proc DEST, --dev DEST, --tmpfs DEST BYTES MODE FILES, --remount-ro DEST). Returns 0 when argv[*i]
 * is not a view option; advances *i past its arguments otherwise. Dies on a malformed one. */
int view_parse(int argc, char **argv, int *i, struct view_op *op);

/* Builds the view from the ops and makes it the root (pivot_root), leaving nothing of the host
 * root attached. Needs CAP_SYS_ADMIN in the user namespace that owns the mount namespace. */
void view_build(const struct view_op *ops, int count);

/* Masks what only root may read or write, for a command whose host uid is 0 (it has no
 * capabilities, but file permissions still treat it as the owner of root's files): every entry
 * under /etc that root may read and others may not, and the writable parts of /proc (sysctls,
 * sysrq). Appends each masked path to `report` (a JSON array body). Needs CAP_SYS_ADMIN. */
void view_mask_root_only(char *report, size_t cap, int *count);

#endif
