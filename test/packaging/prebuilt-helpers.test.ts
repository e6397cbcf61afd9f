// The static helpers the package ships (scripts/build-helpers.sh): each is for its machine, needs
// no dynamic loader, and runs: natively on this machine's, under qemu-user for the other.
import { spawnSync } from 'node:child_process';
import * as path from 'node:path';
import { EM_AARCH64, EM_X86_64, readElf } from './elf';

const REPO = path.resolve(__dirname, '..', '..', '..');
const TARGETS = [
  { arch: 'x64', machine: EM_X86_64, qemu: 'qemu-x86_64-static' },
  { arch: 'arm64', machine: EM_AARCH64, qemu: 'qemu-aarch64-static' },
];

function onPath(program: string): boolean {
  return spawnSync('sh', ['-c', 'command -v "$1"', 'sh', program]).status === 0;
}

// The parser checked on a program of known machine and linking first: this machine's node.
test('the ELF reader sees that node is dynamically linked for this machine', () => {
  const elf = readElf(process.execPath);
  expect(elf.interpreter).toBe(true);
  const mine = TARGETS.find((t) => t.arch === process.arch);
  if (mine) expect(elf.machine).toBe(mine.machine);
});

describe.each(TARGETS)('dist/native/linux-$arch/sandbox-init', ({ arch, machine, qemu }) => {
  const file = path.join(REPO, 'dist', 'native', `linux-${arch}`, 'sandbox-init');

  test('is built for its machine and static (no PT_INTERP)', () => {
    expect(readElf(file)).toEqual({ machine, interpreter: false });
  });

  const native = process.arch === arch;
  const runnable = native || onPath(qemu);
  const how = native ? 'natively' : `under ${qemu}`;
  (runnable ? test : test.skip)(`runs ${how}: its usage on no arguments, exit 125${runnable ? '' : ` (skipped: ${qemu} is not installed)`}`, () => {
    const r = native ? spawnSync(file, [], { encoding: 'utf8' }) : spawnSync(qemu, [file], { encoding: 'utf8' });
    expect(r.error).toBeUndefined();
    expect(r.stderr).toMatch(/^usage: sandbox-init launch /);
    expect(r.status).toBe(125);
  });
});
