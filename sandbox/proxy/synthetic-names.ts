// The run's synthetic addresses (docs/mechanism.md, "The stub DNS"): a name the policy could
// allow gets an address of 198.18.0.0/15 (the benchmarking range, never a real destination),
// stable for the run, which maps back to the name when the command connects to it. The range
// bounds the map: 131,070 names, then no more (the stub answers SERVFAIL).

const BASE = ((198 << 24) | (18 << 16)) >>> 0; // 198.18.0.0
const SIZE = 1 << 17; // /15
/** 198.18.0.1 first: .0 reads as a network address; 198.19.255.255 last but one, not broadcast. */
const FIRST = 1;
const LAST = SIZE - 2;

export const SYNTHETIC_RANGE = '198.18.0.0/15';
/** How many names one run can be given an address: every address of the range but two. */
export const SYNTHETIC_NAMES = LAST - FIRST + 1;

export class SyntheticNames {
  /** Name → its offset in the range. */
  private readonly offsets = new Map<string, number>();
  /** Offset → name, given out in order: an array, no second map and no address strings kept. */
  private readonly names: string[] = new Array<string>(FIRST).fill('');

  /** The name's address, the same every time in this run; null once the range is used up. */
  addressFor(name: string): string | null {
    let offset = this.offsets.get(name);
    if (offset === undefined) {
      if (this.names.length > LAST) return null;
      offset = this.names.length;
      this.names.push(name);
      this.offsets.set(name, offset);
    }
    return dottedQuad((BASE + offset) >>> 0);
  }

  /** The name an address was given out for, or undefined (then the address is only itself). */
  nameOf(address: string): string | undefined {
    const offset = offsetOf(address);
    return offset === null ? undefined : this.names[offset];
  }

  get size(): number {
    return this.offsets.size;
  }
}

/** The offset in the range of an address spelled as addressFor spells it; null for any other. */
function offsetOf(address: string): number | null {
  const parts = address.split('.');
  if (parts.length !== 4) return null;
  const n = parts.reduce((acc, p) => acc * 256 + Number(p), 0);
  const offset = n - BASE;
  // The spelling checked too: no leading zero, sign or exponent reads as a synthetic address.
  if (!Number.isInteger(offset) || offset < FIRST || offset > LAST || dottedQuad(n) !== address) return null;
  return offset;
}

function dottedQuad(n: number): string {
  return `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
}
