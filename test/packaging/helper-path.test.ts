// Which helper a package runs, on real directory layouts: one built on the machine wins, else the
// prebuilt one for the machine; without either, a message that says what the consumer does.
import { chmodSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { findHelper, helperLocations, helperPath } from '../../sandbox/helper-path';

let root: string;
beforeEach(() => {
  root = mkdtempSync(path.join(tmpdir(), 'sbx-helper-'));
});
afterEach(() => rmSync(root, { recursive: true, force: true }));

function place(file: string, mode = 0o755): void {
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, '');
  chmodSync(file, mode);
}

test('the prebuilt helper for the machine, in a package as installed', () => {
  for (const arch of ['x64', 'arm64']) {
    const { prebuilt } = helperLocations(root, 'linux', arch);
    place(prebuilt!);
    expect(findHelper(root, 'linux', arch)).toEqual({ file: path.join(root, 'dist', 'native', `linux-${arch}`, 'sandbox-init') });
  }
});

test('a helper built on the machine wins over the prebuilt one', () => {
  const { built, prebuilt } = helperLocations(root, 'linux', 'x64');
  place(prebuilt!);
  place(built);
  expect(findHelper(root, 'linux', 'x64')).toEqual({ file: built });
});

test('another machine is told the command that builds its helper where it will be found', () => {
  place(helperLocations(root, 'linux', 'x64').prebuilt!);
  const found = findHelper(root, 'linux', 'riscv64');
  const built = path.join(root, 'dist', 'native', 'sandbox-init');
  expect(found).toEqual({
    error: `temporal-sandbox ships sandbox-init for linux x64 and arm64; for linux riscv64, build it with: cc -O2 -static -o ${built} ${root}/native/*.c`,
  });
  place(built);
  expect(findHelper(root, 'linux', 'riscv64')).toEqual({ file: built });
});

test('a prebuilt helper that lost its execute bit is named, with both ways out', () => {
  const { prebuilt } = helperLocations(root, 'linux', 'arm64');
  place(prebuilt!, 0o644);
  const found = findHelper(root, 'linux', 'arm64');
  expect('error' in found && found.error).toBe(
    `the sandbox helper ${prebuilt} is missing or not executable: reinstall temporal-sandbox, or build it with: cc -O2 -static -o ${root}/dist/native/sandbox-init ${root}/native/*.c`,
  );
});

test('this checkout resolves its own build', () => {
  expect(helperPath('bubblewrap')).toBe(path.resolve(__dirname, '..', '..', 'native', 'sandbox-init'));
});
