/* Capabilities: none at all for the command (docs/security-model.md, "No privilege"). */
#ifndef SANDBOX_CAPS_H
#define SANDBOX_CAPS_H

/* Empties every capability set of the calling process (bounding, ambient, inheritable,
 * permitted, effective) and locks the securebits that would give root new ones on exec.
 * Used by PID 1 before it starts the command. Dies if any set cannot be emptied. */
void caps_drop_all(void);
/* Dies unless every set is empty. The command's child checks this just before exec. */
void caps_verify_none(void);

#endif
