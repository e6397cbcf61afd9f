// Example workflows to copy. Each sandboxed step is one `sandbox.run` activity: its result (or
// its failure) lands in workflow history, where `temporal-sandbox audit WORKFLOW_ID` reads it.
//
// In your own project, import from 'temporal-sandbox/workflow' instead of '../workflows'.
import {
  sandboxFailureOf, sandboxSession, withSandboxSession, type RunCallOptions, type RunResult, type SandboxFailure, type SandboxSessionOptions,
} from '../workflows';

// ---------------------------------------------------------------------------------------------
// (a) An install that Temporal retries until it succeeds.
//
// The session may reach the package index and nothing else. A failed download (the index answers
// 503, the mirror is flaky) exits non-zero, which is a retryable SandboxCommandFailed: Temporal
// runs it again, in a fresh sandbox, after `initialInterval`. A download the proxies refused is
// a SandboxNetworkDenied instead and is not retried: no retry can change a policy.

export type InstallInput = {
  /** The package to fetch, e.g. 'https://files.pythonhosted.org/packages/.../pkg.tar.gz'. */
  url: string;
  /** What the session may reach, e.g. ['@pypi'] or ['pkgs.example.test:8080', '127.0.0.1:8080']. */
  allow: string[];
  /** First retry delay; later ones back off by 2x. Default '1 second'. */
  retryInitialInterval?: string;
  /** Default 10. */
  maximumAttempts?: number;
};

export async function installPackage(input: InstallInput): Promise<RunResult> {
  const session = sandboxSession({
    networkMode: 'allowlist',
    networkAllowlist: input.allow,
    startToCloseTimeout: '5 minutes',
    retry: {
      initialInterval: input.retryInitialInterval ?? '1 second',
      backoffCoefficient: 2,
      maximumAttempts: input.maximumAttempts ?? 10,
    },
  });
  // Download into a private temp dir, unpack, and show what was installed. $1 is the URL: passing
  // it as an argument keeps it out of the shell's parsing.
  const script = [
    'set -e',
    'dir=$(mktemp -d)',
    'trap \'rm -rf "$dir"\' EXIT',
    'curl -fsS --max-time 60 -o "$dir/pkg.tar" "$1"',
    'tar -xf "$dir/pkg.tar" -C "$dir"',
    'echo "installed $(cat "$dir"/*/VERSION)"',
  ].join('\n');
  return session.run(['/bin/sh', '-c', script, 'install', input.url]);
}

// ---------------------------------------------------------------------------------------------
// (b) One probe under each posture, to see what each one lets through and what it refuses.
//
// The session is the ceiling: `open`, with a denylist that always applies (cloud metadata plus
// whatever you add) and an allowlist for the narrower runs. Each run() narrows it per call:
// `blocked` (no network at all), `allowlist` (only the listed destinations, through the run's
// proxies), `open` (host network; the proxies apply the denylist to clients that use the proxy
// variables: a guardrail for honest clients, not a wall). allowFailure keeps the RunResult of
// a probe that failed, so the workflow can return what each posture refused.

export type PosturesInput = {
  /** URLs to probe from inside the sandbox, e.g. ['http://pkgs.example.test:8080/', 'http://169.254.169.254/']. */
  urls: string[];
  /** The session allowlist, used by the `allowlist` step. */
  allow: string[];
  /** Added to '@cloud-metadata' in the session denylist. */
  deny?: string[];
};

export type PostureStep = { posture: 'blocked' | 'allowlist' | 'open'; result: RunResult };

export async function networkPostures(input: PosturesInput): Promise<PostureStep[]> {
  const session = sandboxSession({
    networkMode: 'open',
    networkAllowlist: input.allow,
    networkDenylist: ['@cloud-metadata', ...(input.deny ?? [])],
    startToCloseTimeout: '2 minutes',
  });
  // Prints one line per URL: the HTTP status (403 = refused by the proxy), or curl's error.
  const probe = [
    'for url in "$@"; do',
    '  code=$(curl -sS --max-time 5 -o /dev/null -w "%{http_code}" "$url" 2>/dev/null) || code="failed (curl exit $?)"',
    '  echo "$url -> $code"',
    'done',
  ].join('\n');
  const command = ['/bin/sh', '-c', probe, 'probe', ...input.urls];
  const steps: PostureStep[] = [];
  for (const posture of ['blocked', 'allowlist', 'open'] as const) {
    steps.push({ posture, result: await session.run(command, { networkMode: posture, allowFailure: true }) });
  }
  return steps;
}

// ---------------------------------------------------------------------------------------------
// (c) Any one command under any ceiling: handy from the command line, e.g.
//   temporal workflow start --task-queue sandbox --type sandboxedCommand \
//     --input '{"session":{"networkMode":"allowlist","networkAllowlist":["@pypi"]},"command":"pip download six"}'

export type CommandInput = {
  session?: SandboxSessionOptions;
  command: string | string[];
  call?: RunCallOptions;
};

export async function sandboxedCommand(input: CommandInput): Promise<RunResult> {
  return sandboxSession(input.session ?? {}).run(input.command, input.call ?? {});
}

// ---------------------------------------------------------------------------------------------
// (d) A failed run, caught: sandboxFailureOf() unwraps the ActivityFailure Temporal throws (or a
// policy error the workflow raised itself) into the sandbox failure's type and typed details.

export type Outcome = { ok: true; result: RunResult } | { ok: false; failure: SandboxFailure };

export async function tryCommand(input: CommandInput): Promise<Outcome> {
  try {
    return { ok: true, result: await sandboxSession(input.session ?? {}).run(input.command, input.call ?? {}) };
  } catch (err) {
    const failure = sandboxFailureOf(err);
    if (!failure) throw err;
    // failure.type says which: 'SandboxCommandFailed' details carry exitCode, stderrTail, denied...
    return { ok: false, failure };
  }
}

// ---------------------------------------------------------------------------------------------
// (e) A session that keeps its work dir on one worker: make a venv, install into it with only the
// package index reachable, then run a tool with no network at all that imports what was
// installed, with its input put in and its output taken out. Every step is an activity on the
// worker that opened the session; withSandboxSession closes it (the work dir is removed) however
// the workflow ends, and reopens it from the start if that worker is lost.

export type PythonToolInput = {
  /** What the install may reach, e.g. ['@pypi'] or ['pkgs.example.test:8080', '127.0.0.1:8080']. */
  allow: string[];
  /** pip's arguments, e.g. ['requests'] or ['--index-url', 'http://pkgs.example.test:8080/simple/', 'demo-greeting']. */
  install: string[];
  /** The tool, run offline from the work dir: it reads input.txt and writes output.txt. */
  script: string;
  input: string;
};

export type PythonToolResult = { installed: string; toolStdout: string; output: string; runs: Array<{ posture: string; exitCode: number | null }> };

export async function pythonTool(input: PythonToolInput): Promise<PythonToolResult> {
  return withSandboxSession(
    { networkMode: 'allowlist', networkAllowlist: input.allow, startToCloseTimeout: '5 minutes', reopenOnLost: 1 },
    async (sbx) => {
      const runs: PythonToolResult['runs'] = [];
      const step = async (command: string[], posture: 'blocked' | 'allowlist') => {
        const result = await sbx.run(command, { networkMode: posture });
        runs.push({ posture, exitCode: result.exitCode });
        return result;
      };
      // The system's python: the one the view holds.
      await step(['/usr/bin/python3', '-m', 'venv', '.venv'], 'blocked');
      const pip = await step(['.venv/bin/pip', 'install', '--no-cache-dir', '--disable-pip-version-check', ...input.install], 'allowlist');
      await sbx.putFile('tool.py', input.script);
      await sbx.putFile('input.txt', input.input);
      const tool = await step(['.venv/bin/python', 'tool.py'], 'blocked');
      const output = new TextDecoder().decode(await sbx.getFile('output.txt'));
      const installed = pip.stdout.split('\n').find((line) => line.startsWith('Successfully installed')) ?? '';
      return { installed, toolStdout: tool.stdout, output, runs };
    },
  );
}
