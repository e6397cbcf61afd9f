// The pure rules of a session's file calls and lifetime (sandbox/session/rules.ts): which paths,
// sizes, modes and timeouts are accepted, and that every refusal is a SandboxInputError whose
// message says what to write instead.
import { SandboxInputError } from '../../sandbox/errors';
import {
  checkFileMode, checkFileSize, checkMaxBytes, checkSessionPath, checkSessionTimeoutSeconds, DEFAULT_FILE_BYTES, MAX_FILE_BYTES,
} from '../../sandbox/session/rules';

/** The error `fn` throws; fails the test when it throws none, or not a SandboxInputError. */
function refusal(fn: () => unknown): SandboxInputError {
  try {
    fn();
  } catch (err) {
    expect(err).toBeInstanceOf(SandboxInputError);
    return err as SandboxInputError;
  }
  throw new Error('expected a SandboxInputError, got none');
}

describe('checkSessionPath', () => {
  test.each([
    ['a', ['a']],
    ['a/b/c.txt', ['a', 'b', 'c.txt']],
    ['/workspace/a', ['a']],
    ['/workspace/a/b', ['a', 'b']],
    ['.hidden', ['.hidden']],
    ['...', ['...']],
    ['a b/ü', ['a b', 'ü']],
  ])('%j is accepted as %j', (raw, names) => {
    expect(checkSessionPath(raw)).toEqual(names);
  });

  test.each([
    ['..', /contains '\.\.': name the file from the work dir down/],
    ['a/../b', /contains '\.\.'/],
    ['/workspace/../etc/passwd', /contains '\.\.'/],
    ['.', /not canonical.*write it as a\/b\/file/],
    ['a/./b', /not canonical/],
    ['a//b', /not canonical/],
    ['a/', /not canonical/],
    ['/workspace/', /not canonical/],
    ['a\0b', /contains a NUL byte/],
    ['/etc/passwd', /is outside the work dir: write it relative to the work dir, or beneath \/workspace\//],
    ['/workspace', /is outside the work dir/],
    ['/workspacefoo/a', /is outside the work dir/],
    ['/', /is outside the work dir/],
  ])('%j is refused (%s)', (raw, message) => {
    expect(refusal(() => checkSessionPath(raw)).message).toMatch(message);
  });

  test.each([[''], [42], [null], [undefined], [['a']], [{ path: 'a' }]])('%j (not a non-empty string) is refused', (raw) => {
    expect(refusal(() => checkSessionPath(raw)).message).toMatch(/must be a non-empty string, relative to the work dir or beneath \/workspace\//);
  });

  test('a name of 255 bytes is accepted; 256 bytes is refused, counted in UTF-8, not characters', () => {
    expect(checkSessionPath(`d/${'x'.repeat(255)}`)).toEqual(['d', 'x'.repeat(255)]);
    expect(refusal(() => checkSessionPath(`d/${'x'.repeat(256)}`)).message).toMatch(/has a name longer than 255 bytes/);
    // 128 characters, 256 bytes.
    expect(refusal(() => checkSessionPath('é'.repeat(128))).message).toMatch(/longer than 255 bytes/);
    expect(checkSessionPath('é'.repeat(127))).toHaveLength(1);
  });

  test('a path longer than 4096 characters is refused, and the message shows only its start', () => {
    const long = Array.from({ length: 1000 }, () => 'abcd').join('/'); // short names, 4999 characters
    const err = refusal(() => checkSessionPath(long));
    expect(err.message).toMatch(/longer than 4096 characters/);
    expect(err.message.length).toBeLessThan(400);
  });

  test('control characters are shown escaped in the message, not raw', () => {
    const err = refusal(() => checkSessionPath('bad\n/../x'));
    expect(err.message).toContain('bad\\n');
    expect(err.message).not.toContain('\n');
  });
});

describe('checkMaxBytes', () => {
  test('undefined is the default of 1 MiB; 0 and the maximum are accepted', () => {
    expect(DEFAULT_FILE_BYTES).toBe(1024 * 1024);
    expect(checkMaxBytes(undefined)).toBe(DEFAULT_FILE_BYTES);
    expect(checkMaxBytes(0)).toBe(0);
    expect(checkMaxBytes(MAX_FILE_BYTES)).toBe(MAX_FILE_BYTES);
    // Under the 2 MiB a Temporal payload holds by default.
    expect(MAX_FILE_BYTES).toBeLessThan(2 * 1024 * 1024);
  });

  test.each([[MAX_FILE_BYTES + 1], [-1], [1.5], [NaN], [Infinity], ['1024'], [null]])('%p is refused', (value) => {
    expect(refusal(() => checkMaxBytes(value)).message).toMatch(
      new RegExp(`maxBytes .* must be a whole number from 0 to ${MAX_FILE_BYTES} \\(what one Temporal payload holds\\); move larger data in parts, or through the network`),
    );
  });
});

describe('checkFileSize', () => {
  test('up to the maximum is accepted; one byte more is refused with what to do instead', () => {
    expect(() => checkFileSize(0, 'f')).not.toThrow();
    expect(() => checkFileSize(MAX_FILE_BYTES, 'f')).not.toThrow();
    expect(refusal(() => checkFileSize(MAX_FILE_BYTES + 1, 'big.bin')).message).toMatch(
      new RegExp(`putFile big\\.bin: ${MAX_FILE_BYTES + 1} bytes is more than ${MAX_FILE_BYTES} \\(what one Temporal payload holds\\); split it, or fetch it through the network`),
    );
  });
});

describe('checkFileMode', () => {
  test('undefined is 0o644; permission bits are accepted as given', () => {
    expect(checkFileMode(undefined)).toBe(0o644);
    for (const mode of [0, 0o600, 0o644, 0o755, 0o777]) expect(checkFileMode(mode)).toBe(mode);
  });

  test.each([
    ['0o4755 (set-uid)', 0o4755], ['0o2755 (set-gid)', 0o2755], ['0o1777 (sticky)', 0o1777], ['0o1000', 0o1000],
    ['-1', -1], ['0.5', 0.5], ["'755'", '755'], ['null', null],
  ])('%s is refused', (_, value) => {
    expect(refusal(() => checkFileMode(value)).message).toMatch(/must be permission bits from 0 to 0o777 \(no set-uid, set-gid or sticky bit\)/);
  });
});

describe('checkSessionTimeoutSeconds', () => {
  test('undefined is an hour; anything above 0 up to 24 hours is accepted', () => {
    expect(checkSessionTimeoutSeconds(undefined)).toBe(3600);
    expect(checkSessionTimeoutSeconds(0.5)).toBe(0.5);
    expect(checkSessionTimeoutSeconds(1)).toBe(1);
    expect(checkSessionTimeoutSeconds(86_400)).toBe(86_400);
  });

  test.each([[0], [-1], [86_401], [NaN], [Infinity], ['60'], [null]])('%p is refused', (value) => {
    expect(refusal(() => checkSessionTimeoutSeconds(value)).message).toMatch(/sessionTimeout .* s must be more than 0 and at most 86400 s \(24 hours\)/);
  });
});
