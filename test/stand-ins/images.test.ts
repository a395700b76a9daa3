import { describe, expect, test } from 'bun:test';
import { inflateSync } from 'node:zlib';
import { crc32, makePng, TINY_JPEG, TINY_WEBP } from '../../dev/stand-ins/runware/images';

const ascii = (b: Uint8Array) => new TextDecoder('latin1').decode(b);

describe('stand-in image bytes', () => {
  test('crc32 matches the reference value', () => {
    expect(crc32(new TextEncoder().encode('123456789'))).toBe(0xcbf43926);
  });

  test('PNG: signature, IHDR size, chunk CRCs, IDAT inflates to the right size', () => {
    const png = makePng(16, 9, [200, 100, 50]);
    expect([...png.subarray(0, 8)]).toEqual([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
    const view = new DataView(png.buffer, png.byteOffset, png.byteLength);
    let off = 8;
    const types: string[] = [];
    let idat: Uint8Array | undefined;
    while (off < png.length) {
      const len = view.getUint32(off);
      const type = ascii(png.subarray(off + 4, off + 8));
      const data = png.subarray(off + 8, off + 8 + len);
      expect(view.getUint32(off + 8 + len)).toBe(crc32(png.subarray(off + 4, off + 8 + len)));
      if (type === 'IHDR') {
        expect(new DataView(data.buffer, data.byteOffset).getUint32(0)).toBe(16);
        expect(new DataView(data.buffer, data.byteOffset).getUint32(4)).toBe(9);
      }
      if (type === 'IDAT') idat = data;
      types.push(type);
      off += 12 + len;
    }
    expect(types).toEqual(['IHDR', 'IDAT', 'IEND']);
    expect(inflateSync(idat!).length).toBe(9 * (1 + 16 * 3));
  });

  test('JPEG: SOI, JFIF APP0, SOF0 8×8, EOI', () => {
    expect([...TINY_JPEG.subarray(0, 3)]).toEqual([0xff, 0xd8, 0xff]);
    expect(ascii(TINY_JPEG.subarray(6, 10))).toBe('JFIF');
    expect([...TINY_JPEG.subarray(-2)]).toEqual([0xff, 0xd9]);
    const sof = TINY_JPEG.findIndex((b, i) => b === 0xff && TINY_JPEG[i + 1] === 0xc0);
    expect(sof).toBeGreaterThan(0);
    expect((TINY_JPEG[sof + 5]! << 8) | TINY_JPEG[sof + 6]!).toBe(8);
  });

  test('WEBP: RIFF size consistent, WEBP/VP8L chunk', () => {
    expect(ascii(TINY_WEBP.subarray(0, 4))).toBe('RIFF');
    expect(new DataView(TINY_WEBP.buffer, TINY_WEBP.byteOffset).getUint32(4, true)).toBe(TINY_WEBP.length - 8);
    expect(ascii(TINY_WEBP.subarray(8, 16))).toBe('WEBPVP8L');
  });
});
