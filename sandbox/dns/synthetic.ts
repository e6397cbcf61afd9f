// The run's synthetic addresses (docs/mechanism.md, "The stub DNS"): a name the policy could
// allow gets an address of 198.18.0.0/15 (the benchmarking range, never a real destination),
// stable for the run, which maps back to the name when the command connects to it.

const BASE = (198 << 24) | (18 << 16); // 198.18.0.0
const SIZE = 1 << 17; // /15

export const SYNTHETIC_RANGE = '198.18.0.0/15';

export class SyntheticNames {
  private readonly byName = new Map<string, string>();
  private readonly byAddress = new Map<string, string>();
  private next = 1; // 198.18.0.1 first: .0 reads as a network address

  /** The name's address, the same every time in this run; null once the range is used up. */
  addressFor(name: string): string | null {
    const known = this.byName.get(name);
    if (known) return known;
    if (this.next >= SIZE - 1) return null;
    const n = (BASE + this.next++) >>> 0;
    const address = `${n >>> 24}.${(n >>> 16) & 255}.${(n >>> 8) & 255}.${n & 255}`;
    this.byName.set(name, address);
    this.byAddress.set(address, name);
    return address;
  }

  /** The name an address was given out for, or undefined (then the address is only itself). */
  nameOf(address: string): string | undefined {
    return this.byAddress.get(address);
  }

  get size(): number {
    return this.byName.size;
  }
}

/** 4 bytes of an IPv4 dotted quad, for an A record. */
export function ipv4Bytes(address: string): Buffer {
  return Buffer.from(address.split('.').map(Number));
}
