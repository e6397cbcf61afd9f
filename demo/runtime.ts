// The Temporal Runtime for the demo, the tests and the benchmark: ERROR-level logs from both the
// TypeScript side and the Rust core (expected failures would otherwise flood the output), and
// optionally no signal handling of its own (the caller cleans up on Ctrl-C).
import { DefaultLogger, Runtime } from '@temporalio/worker';

export function installQuietRuntime(options: { handleSignals?: boolean } = {}): void {
  try {
    Runtime.install({
      logger: new DefaultLogger('ERROR'),
      telemetryOptions: { logging: { filter: { core: 'ERROR', other: 'ERROR' } } },
      ...(options.handleSignals === false ? { shutdownSignals: [] } : {}),
    });
  } catch {
    // Already installed in this process (Jest runs several test files in one process).
  }
}
