// A session held by an unprivileged worker (nobody under a root test process, else the test user
// itself): its runs and files keep the worker's own ids, and the file calls refuse what its
// command planted just as under root, with the worker's own secret never read or overwritten.
import * as path from 'node:path';
import { callerEnv, makeScratch, spawnNode, UNPRIVILEGED, UNPRIVILEGED_GID, type Scratch } from '../containment/harness';
import type { CallerReport } from './caller-session';

const SCRIPT = path.join(__dirname, 'caller-session.js');

let report: CallerReport;
let scratch: Scratch;
beforeAll(async () => {
  scratch = makeScratch('session-caller-');
  const secrets = scratch.sub('secrets', UNPRIVILEGED, 0o700);
  const ids = process.getuid!() === UNPRIVILEGED ? {} : { uid: UNPRIVILEGED, gid: UNPRIVILEGED_GID };
  const r = await spawnNode([SCRIPT, secrets], { env: callerEnv(true), ...ids, timeoutMs: 20_000 });
  if (r.code !== 0) throw new Error(`the unprivileged worker failed (exit ${r.code}, ${r.signal}):\n${r.stderr}`);
  report = JSON.parse(r.stdout);
});
afterAll(() => scratch.remove());

test('the worker is unprivileged, and its session keeps its ids: inside, and on the put file and dir', () => {
  expect(report.uid).toBe(UNPRIVILEGED);
  expect(report.uid).not.toBe(0);
  expect(report.insideUid).toBe(String(UNPRIVILEGED));
  expect([report.fileUid, report.dirUid]).toEqual([UNPRIVILEGED, UNPRIVILEGED]);
  expect(report.mode).toBe(0o640);
});

test('a file put in is read by a run, and what the run wrote is read back', () => {
  expect(report.roundTrip).toBe('FROM THE CALLER\n');
});

test('the planted link would leak the worker\'s secret if followed; every file call on it is refused', () => {
  expect(report.followed).toBe(report.secret); // the control: the link does lead to the secret
  const { getLeak, getThroughLinkdir, getFifo, putLeak, putThroughLinkdir } = report.refusals;
  expect(getLeak.message).toBe("SandboxInputError: getFile leak: 'leak' is a symbolic link: links in the work dir are never followed");
  expect(getThroughLinkdir.message).toMatch(/^SandboxInputError: getFile linkdir\/secret: 'linkdir' is a symbolic link/);
  expect(getFifo.message).toBe('SandboxInputError: getFile fifo: not a regular file (FIFO): only regular files are read');
  expect(getFifo.ms).toBeLessThan(1000);
  expect(putLeak.message).toMatch(/^SandboxInputError: putFile leak: there is a symbolic link there/);
  expect(putThroughLinkdir.message).toMatch(/^SandboxInputError: putFile linkdir\/secret: 'linkdir' is a symbolic link/);
  expect(report.secretAfter).toBe(report.secret);
});

test('close removes the session\'s dir', () => {
  expect(report.goneAfterClose).toBe(true);
});
