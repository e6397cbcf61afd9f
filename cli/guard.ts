// The CLI never exits without its result or an error (docs/mechanism.md, "A run always ends").
// Node exits quietly, with status 0, when its event loop empties while a promise is still
// pending: a run whose last wait lost its event source would vanish as a success.
import { pendingWaits } from '../sandbox/waits';
import { EXIT_INTERNAL } from './exit';

/** Sets the process's exit status when `main` settles; exits 70, saying why, if it never can. */
export function exitWhenSettled(main: Promise<number>): void {
  let settled = false;
  const onEmptyLoop = (): void => {
    if (settled) return;
    const waits = pendingWaits();
    const what = waits.length > 0 ? `it was waiting for ${waits.join('; ')}` : 'no named wait was pending';
    internalError(`nothing is left to wait on, but the command has no result (${what})`);
  };
  process.on('beforeExit', onEmptyLoop);
  main.then(
    (code) => {
      settled = true;
      process.exitCode = code;
    },
    (err: unknown) => {
      settled = true;
      internalError(err instanceof Error ? err.stack ?? err.message : String(err));
    },
  );
}

function internalError(what: string): void {
  process.stderr.write(`temporal-sandbox: internal error: ${what}; please report this\n`);
  process.exit(EXIT_INTERNAL);
}
