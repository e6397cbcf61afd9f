// Just enough of an ELF header to tell which machine a program is for and whether it is static.
import { readFileSync } from 'node:fs';

export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;
const PT_INTERP = 3;

export type ElfFacts = { machine: number; interpreter: boolean };

/** A 64-bit little-endian ELF file's e_machine, and whether it names a dynamic loader (PT_INTERP). */
export function readElf(file: string): ElfFacts {
  const b = readFileSync(file);
  if (b.length < 64 || b.readUInt32BE(0) !== 0x7f454c46) throw new Error(`${file} is not an ELF file`);
  if (b[4] !== 2 || b[5] !== 1) throw new Error(`${file} is not 64-bit little-endian ELF`);
  const machine = b.readUInt16LE(18);
  const phoff = Number(b.readBigUInt64LE(32));
  const phentsize = b.readUInt16LE(54);
  const phnum = b.readUInt16LE(56);
  let interpreter = false;
  for (let i = 0; i < phnum; i++) {
    if (b.readUInt32LE(phoff + i * phentsize) === PT_INTERP) interpreter = true;
  }
  return { machine, interpreter };
}
