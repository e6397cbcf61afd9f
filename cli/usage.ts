export const USAGE = `usage: temporal-sandbox run [options] -- COMMAND [ARG...]
       temporal-sandbox audit WORKFLOW_ID [--history FILE] [--json] [--address A] [--namespace N]

run: runs COMMAND in a fresh network namespace under a network policy (see README).
audit: prints every sandboxed run of a workflow and every connection it refused (audit --help).

  --network blocked|allowlist|open   default blocked
  --allow ENTRY                      repeatable: IP, CIDR, name, *.name, any of them :PORT,
                                     or a preset (@pypi, @cloud-metadata)
  --deny ENTRY                       repeatable; deny always wins
  --proxy-url URL  --socks-url URL   bring your own proxy (http://..., socks5h://...)
  --backend bubblewrap|userns|none   default bubblewrap
  --resolve NAME=ADDRESS             repeatable; static answers for the proxies' resolver
  --timeout SECONDS                  SIGTERM to the whole run, SIGKILL 10 s later
  --env KEY=VALUE                    repeatable
  --cwd DIR
  --json                             print the RunResult as JSON on stdout

Exit status: the command's (128+N when killed by signal N, 124 on timeout);
125 for a policy or input error, with a one-line message, before anything runs.`;
