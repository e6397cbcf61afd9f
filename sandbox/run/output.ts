// Keeps a stream's output bounded: the first and the last half of the limit, with the cut marked,
// so that no result nears Temporal's payload limit however much a command prints.

export const DEFAULT_OUTPUT_LIMIT = 256 * 1024;

export class BoundedOutput {
  private readonly headLimit: number;
  private readonly tailLimit: number;
  private head: Buffer[] = [];
  private headBytes = 0;
  private tail: Buffer[] = [];
  private tailBytes = 0;
  /** Every byte the stream produced, kept or not. */
  total = 0;

  constructor(limit: number = DEFAULT_OUTPUT_LIMIT) {
    this.headLimit = Math.ceil(limit / 2);
    this.tailLimit = Math.floor(limit / 2);
  }

  push(chunk: Buffer): void {
    this.total += chunk.length;
    if (this.headBytes < this.headLimit) {
      const take = Math.min(chunk.length, this.headLimit - this.headBytes);
      this.head.push(chunk.subarray(0, take));
      this.headBytes += take;
      chunk = chunk.subarray(take);
    }
    if (chunk.length === 0 || this.tailLimit === 0) return;
    this.tail.push(chunk);
    this.tailBytes += chunk.length;
    // Drop whole chunks from the front of the tail, then trim the first one.
    while (this.tailBytes - this.tail[0].length >= this.tailLimit) this.tailBytes -= this.tail.shift()!.length;
    if (this.tailBytes > this.tailLimit) {
      const excess = this.tailBytes - this.tailLimit;
      this.tail[0] = this.tail[0].subarray(excess);
      this.tailBytes -= excess;
    }
  }

  get truncated(): boolean {
    return this.total > this.headBytes + this.tailBytes;
  }

  text(): string {
    const head = Buffer.concat(this.head).toString('utf8');
    const tail = Buffer.concat(this.tail).toString('utf8');
    if (!this.truncated) return head + tail;
    const omitted = this.total - this.headBytes - this.tailBytes;
    return `${head}\n[... temporal-sandbox: ${omitted} bytes omitted ...]\n${tail}`;
  }
}
