#define _GNU_SOURCE
#include "supervise.h"
#include "util.h"
#include <dirent.h>
#include <errno.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

static pid_t child = -1;
static int as_init = 0;
/* The worker saw the run's pids cgroup pinned at its limit (SIGUSR1): end the run as a fork bomb. */
static volatile sig_atomic_t pinned_outside = 0;

static void on_pinned(int sig) {
  (void)sig;
  pinned_outside = 1;
}

/* Runs in a signal handler: kill() is async-signal-safe. As PID 1 of the run's PID namespace,
 * kill(-1) reaches every other process in it; without one (backend none) the command's process
 * group is what we have. */
static void forward(int sig) {
  if (child <= 0) return;
  if (as_init) kill(-1, sig);
  else kill(-child, sig);
}

/* Backend none only: the worker died (PR_SET_PDEATHSIG delivers SIGHUP); take the run with us. */
static void parent_died(int sig) {
  (void)sig;
  if (child > 0) kill(-child, SIGKILL);
  _exit(137);
}

static const int forwarded[] = {SIGTERM, SIGINT, SIGQUIT};

void supervise_prepare(int is_init) {
  as_init = is_init;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_handler = forward;
  sigemptyset(&sa.sa_mask);
  for (unsigned k = 0; k < sizeof forwarded / sizeof *forwarded; k++) sigaction(forwarded[k], &sa, NULL);
  sa.sa_handler = on_pinned;
  sigaction(SIGUSR1, &sa, NULL);
  if (!is_init) {
    sa.sa_handler = parent_died;
    sigaction(SIGHUP, &sa, NULL);
    pid_t parent = getppid();
    prctl(PR_SET_PDEATHSIG, SIGHUP);
    if (getppid() != parent) _exit(137);
    /* Orphans of the run come back to us instead of the host's init, to be found at the end. */
    prctl(PR_SET_CHILD_SUBREAPER, 1);
  }
  /* SIGCHLD is taken synchronously by the wait loop. */
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  sigprocmask(SIG_BLOCK, &chld, NULL);
}

void supervise_set_child(pid_t pid) { child = pid; }

/* Tasks of the PID namespace, threads included. PID 1 sees only its own namespace's /proc. */
static long long count_tasks(void) {
  DIR *d = opendir("/proc");
  if (!d) return 0;
  long long total = 0;
  struct dirent *e;
  char path[300], buf[512];
  while ((e = readdir(d))) {
    if (e->d_name[0] < '1' || e->d_name[0] > '9') continue;
    snprintf(path, sizeof path, "/proc/%s/stat", e->d_name);
    FILE *f = fopen(path, "re");
    if (!f) continue;
    size_t n = fread(buf, 1, sizeof buf - 1, f);
    fclose(f);
    buf[n] = 0;
    /* Field 20 (num_threads), counted after the ")" that ends the command name. */
    char *p = strrchr(buf, ')');
    long threads = 1;
    for (int field = 2; p && field < 20; field++) p = strchr(p + 1, ' ');
    if (p) threads = strtol(p + 1, NULL, 10);
    total += threads > 0 ? threads : 1;
  }
  closedir(d);
  return total;
}

struct outcome supervise(long long max_tasks, int counted_outside) {
  struct outcome out = {.status = 0, .limit = NULL};
  sigset_t chld;
  sigemptyset(&chld);
  sigaddset(&chld, SIGCHLD);
  struct timespec tick = {.tv_sec = 0, .tv_nsec = 200 * 1000 * 1000};
  int pinned = 0;
  for (;;) {
    int st;
    pid_t p;
    while ((p = waitpid(-1, &st, WNOHANG)) > 0) {
      if (p == child) {
        out.status = st;
        return out;
      }
    }
    if (p < 0 && errno == ECHILD) return out; /* cannot happen while the command lives */
    if (pinned_outside && !out.limit) {
      out.limit = "processes";
      if (as_init) kill(-1, SIGKILL);
      else kill(-child, SIGKILL);
    }
    if (max_tasks > 0) {
      if (sigtimedwait(&chld, NULL, &tick) < 0 && errno == EAGAIN) {
        /* Two ticks in a row at the limit: the run cannot make progress, end it. */
        pinned = count_tasks() + counted_outside >= max_tasks ? pinned + 1 : 0;
        if (pinned >= 2 && !out.limit) {
          out.limit = "processes";
          if (as_init) kill(-1, SIGKILL);
          else kill(-child, SIGKILL);
        }
      }
    } else {
      sigwaitinfo(&chld, NULL);
    }
  }
}

/* Backend none: SIGKILL the command's process group, then every child we have (orphans of the
 * run that left the group are reparented to us, a subreaper) and reap, until none is left. A
 * grandchild reparented while we wait is killed in the next round. */
static void kill_descendants(void) {
  kill(-child, SIGKILL);
  char path[64], buf[4096];
  snprintf(path, sizeof path, "/proc/self/task/%d/children", (int)getpid());
  for (;;) {
    FILE *f = fopen(path, "re");
    size_t n = f ? fread(buf, 1, sizeof buf - 1, f) : 0;
    if (f) fclose(f);
    buf[n] = 0;
    for (char *tok = strtok(buf, " \n"); tok; tok = strtok(NULL, " \n")) kill((pid_t)atoi(tok), SIGKILL);
    if (waitpid(-1, NULL, 0) < 0 && errno == ECHILD) return;
  }
}

void supervise_end_all(void) {
  if (as_init) {
    kill(-1, SIGKILL);
    while (waitpid(-1, NULL, 0) > 0 || errno == EINTR) {}
  } else {
    kill_descendants();
  }
}
