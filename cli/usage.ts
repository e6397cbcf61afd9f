export const USAGE = `usage: temporal-sandbox run [options] -- COMMAND [ARG...]
       temporal-sandbox learn [options] -- COMMAND [ARG...]
       temporal-sandbox audit WORKFLOW_ID | --history FILE [--json] [--address A] [--namespace N]
       temporal-sandbox --version | --help

run: runs COMMAND contained (a fresh root showing only its view, no privilege, seccomp and
     Landlock) in a fresh network namespace under a network policy (see README).
learn: runs COMMAND once allowing every public destination (the denylist and the internal-
     address backstop still apply), then prints the smallest allowlist as --allow flags.
audit: prints every sandboxed run of a workflow and every connection it refused (audit --help).

  --network blocked|allowlist|open   default blocked
  --allow ENTRY                      repeatable: IP, CIDR, name, *.name, any of them :PORT,
                                     or a preset (@pypi, @cloud-metadata)
  --deny ENTRY                       repeatable; deny always wins
  --proxy-url URL  --socks-url URL   bring your own proxy (http://..., socks5h://...)
  --backend bubblewrap|userns|none   default bubblewrap
  --resolve NAME=ADDRESS             repeatable; static answers for the proxies' resolver
  --workdir DIR                      the read-write work dir; default the current directory
  --read-only PATH  --read-write PATH   repeatable; add host paths to the view
  --limit NAME=VALUE                 repeatable: processes, memory, file-size, open-files,
                                     cpu-seconds, tmp (sizes take K, M, G suffixes)
  --timeout SECONDS                  SIGTERM to the whole run, SIGKILL 10 s later
  --env KEY=VALUE                    repeatable; the caller's environment is passed as well
  --cwd DIR                          inside the view; default the work dir
  --fail-on-denied                   exit 1 (when the command itself succeeded) if the proxies
                                     refused anything by policy
  --json                             print the RunResult as JSON on stdout

Exit status: the command's (128+N when killed by signal N, 124 on timeout);
125 for a policy or input error, with a one-line message, before anything runs.`;
