// Progress of one run, as the activity heartbeats it: elapsed time, bytes so far and the last
// line of output, so a UI (or `temporal workflow describe`) shows what a long install is doing.
import { StringDecoder } from 'node:string_decoder';
import type { RunProgress } from '../common/request';

const LAST_LINE_CHARS = 200;
const TAIL_CHARS = 4096;

/** The last non-blank line of some output, cut to 200 characters: for heartbeats and messages. */
export function lastLineOf(text: string): string {
  const lines = text.split(/\r?\n|\r/).filter((l) => l.trim() !== '');
  return (lines[lines.length - 1] ?? '').slice(0, LAST_LINE_CHARS);
}

export class ProgressTracker {
  private readonly started = Date.now();
  private stdoutBytes = 0;
  private stderrBytes = 0;
  private tail = '';
  private readonly decoders = { stdout: new StringDecoder('utf8'), stderr: new StringDecoder('utf8') };

  /** Pass as RunOptions.onOutput. */
  readonly onOutput = (stream: 'stdout' | 'stderr', chunk: Buffer): void => {
    if (stream === 'stdout') this.stdoutBytes += chunk.length;
    else this.stderrBytes += chunk.length;
    this.tail = (this.tail + this.decoders[stream].write(chunk)).slice(-TAIL_CHARS);
  };

  snapshot(): RunProgress {
    return {
      elapsedMs: Date.now() - this.started,
      stdoutBytes: this.stdoutBytes,
      stderrBytes: this.stderrBytes,
      lastLine: lastLineOf(this.tail),
    };
  }
}
