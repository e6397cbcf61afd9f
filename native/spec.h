/* The command spec: what the worker hands over once the namespaces are up (--spec-fd), so that
 * a sandbox can be prepared before its command is known (docs/mechanism.md, "Warm sandboxes"). */
#ifndef SANDBOX_SPEC_H
#define SANDBOX_SPEC_H

struct spec {
  char **argv;
  char **env;
  const char *cwd;          /* "" = stay in / */
  /* Resource limits; -1 = leave as inherited. */
  long long nproc, fsize, nofile, cpu, data;
};

/* Reads NUL-terminated strings to EOF: argc, argv..., envc, env..., cwd, nproc, fsize, nofile,
 * cpu, data. Returns 0 when FD was closed without a spec (a warm sandbox nobody took). */
int spec_read(int fd, struct spec *out);

#endif
