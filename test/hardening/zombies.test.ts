// A run ended at its timeout leaves no zombie, whatever the worker's PID 1 does: the worker here
// is PID 1 of its own PID namespace and reaps nothing but its own children (as an init-less
// container entrypoint), so a sandbox-init re-parented to it would stay a zombie for good.
import { spawn } from 'node:child_process';
import * as path from 'node:path';
import { which } from '../../sandbox/run/which';

const WORKER = path.join(__dirname, 'zombie-worker.js');

function runAsInit(backends: string[]): Promise<{ pid: number; ends: string[]; zombies: string[] }> {
  return new Promise((resolve, reject) => {
    const child = spawn(which('unshare')!, ['--pid', '--fork', '--mount-proc', process.execPath, WORKER, ...backends], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('close', (code) => (code === 0 ? resolve(JSON.parse(out)) : reject(new Error(`worker exited ${code}: ${err}`))));
  });
}

const asRoot = process.getuid?.() === 0;

(asRoot ? test : test.skip)('a worker that is PID 1 and reaps nothing else is left no zombie by runs ended at their timeout', async () => {
  const r = await runAsInit(['bubblewrap', 'userns']);
  expect(r.pid).toBe(1); // really the namespace's init
  expect(r.ends).toEqual(['bubblewrap/kill:timeout', 'bubblewrap/term:timeout', 'userns/kill:timeout', 'userns/term:timeout']);
  expect(r.zombies).toEqual([]);
}, 60_000);
