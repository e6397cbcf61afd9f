// The command line's own exit statuses (the rest are the command's).
/** A policy or input error, before anything ran. */
export const EXIT_USAGE = 125;
/** --timeout ended the run. */
export const EXIT_TIMEOUT = 124;
/** The CLI itself failed: a bug, reported with what it was doing (sysexits' EX_SOFTWARE). */
export const EXIT_INTERNAL = 70;
