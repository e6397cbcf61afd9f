// A worker of the tests' own that holds a session as whichever user started it (under a root
// test process: nobody), so the session keeps that user's ids ('caller'). It round-trips a file,
// plants links and a FIFO with a run, tries the file calls on them, closes, and prints what it
// saw as JSON (caller.test.ts judges it). argv[2]: a dir of that user's, outside the work dir,
// for a secret of its own.
import { existsSync, lstatSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { createSandboxRunner } from '../../sandbox';
import { lifeDir } from '../../sandbox/contain/work-root';
import { SessionStore } from '../../sandbox/session/store';

export type CallerReport = {
  uid: number;
  insideUid: string;
  fileUid: number;
  dirUid: number;
  mode: number;
  roundTrip: string;
  secret: string;
  followed: string;
  refusals: Record<string, { message: string; ms: number }>;
  secretAfter: string;
  goneAfterClose: boolean;
};

function refusal(fn: () => unknown): { message: string; ms: number } {
  const started = Date.now();
  try {
    fn();
    return { message: 'NOT REFUSED', ms: Date.now() - started };
  } catch (err) {
    return { message: `${(err as Error).name}: ${(err as Error).message}`, ms: Date.now() - started };
  }
}

async function main(): Promise<void> {
  const runner = createSandboxRunner({ warm: 0 });
  const store = new SessionStore(runner);
  const { sessionId } = store.open({});
  const dir = path.join(lifeDir(), `session-${sessionId}`);
  const secret = path.join(process.argv[2], 'secret');
  writeFileSync(secret, `secret ${process.pid}\n`, { mode: 0o600 });

  store.putFile(sessionId, 'in/data', Buffer.from('from the caller\n'), { mode: 0o640 });
  const run = await store.run(sessionId, {
    command: ['sh', '-c', `id -u; tr a-z A-Z < in/data > out; ln -s ${secret} leak; ln -s ${path.dirname(secret)} linkdir; mkfifo fifo`],
  });
  if (run.exitCode !== 0) throw new Error(`the set-up run failed: ${run.stderr}`);
  const report: CallerReport = {
    uid: process.getuid!(),
    insideUid: run.stdout.trim(),
    fileUid: lstatSync(path.join(dir, 'in/data')).uid,
    dirUid: lstatSync(path.join(dir, 'in')).uid,
    mode: lstatSync(path.join(dir, 'in/data')).mode & 0o7777,
    roundTrip: store.getFile(sessionId, 'out').toString(),
    secret: readFileSync(secret, 'utf8'),
    followed: readFileSync(path.join(dir, 'leak'), 'utf8'),
    refusals: {
      getLeak: refusal(() => store.getFile(sessionId, 'leak')),
      getThroughLinkdir: refusal(() => store.getFile(sessionId, 'linkdir/secret')),
      getFifo: refusal(() => store.getFile(sessionId, 'fifo')),
      putLeak: refusal(() => store.putFile(sessionId, 'leak', Buffer.from('overwritten\n'))),
      putThroughLinkdir: refusal(() => store.putFile(sessionId, 'linkdir/secret', Buffer.from('overwritten\n'))),
    },
    secretAfter: readFileSync(secret, 'utf8'),
    goneAfterClose: false,
  };
  await store.close(sessionId);
  report.goneAfterClose = !existsSync(dir);
  runner.close();
  process.stdout.write(JSON.stringify(report));
}

main().catch((err) => {
  process.stderr.write(`${(err as Error).stack}\n`);
  process.exitCode = 1;
});
