import { createHash } from 'node:crypto';
import { crc32, deflateSync } from 'node:zlib';

/**
 * A cover image drawn from a seed string: a two-colour diagonal gradient with soft circles,
 * encoded as an RGB PNG. Generated locally so the demo catalogue needs no network and no fonts.
 */
export function coverImage(seed: string, width = 1200, height = 630): Buffer {
  const h = createHash('sha256').update(seed).digest();
  const from = hsl(h[0]! / 255, 0.65, 0.45);
  const to = hsl(((h[0]! + 60 + (h[1]! % 80)) % 255) / 255, 0.7, 0.6);
  const circles = Array.from({ length: 4 }, (_, i) => ({
    x: (h[2 + i * 3]! / 255) * width,
    y: (h[3 + i * 3]! / 255) * height,
    r: 80 + (h[4 + i * 3]! / 255) * 220,
  }));
  const rows = Buffer.alloc((width * 3 + 1) * height);
  for (let y = 0; y < height; y++) {
    const row = y * (width * 3 + 1);
    rows[row] = 0; // filter: none
    for (let x = 0; x < width; x++) {
      const t = (x / width + y / height) / 2;
      let light = 0;
      for (const c of circles) {
        const d = Math.hypot(x - c.x, y - c.y);
        if (d < c.r) light += 0.12 * (1 - d / c.r);
      }
      for (let k = 0; k < 3; k++) {
        const v = from[k]! * (1 - t) + to[k]! * t;
        rows[row + 1 + x * 3 + k] = Math.min(255, Math.round(v + (255 - v) * light));
      }
    }
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header.writeUInt8(8, 8); // bit depth
  header.writeUInt8(2, 9); // truecolour
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk('IHDR', header),
    chunk('IDAT', deflateSync(rows, { level: 9 })),
    chunk('IEND', Buffer.alloc(0)),
  ]);
}

function chunk(type: string, data: Buffer): Buffer {
  const length = Buffer.alloc(4);
  length.writeUInt32BE(data.length);
  const body = Buffer.concat([Buffer.from(type, 'ascii'), data]);
  const crc = Buffer.alloc(4);
  crc.writeUInt32BE(crc32(body));
  return Buffer.concat([length, body, crc]);
}

function hsl(h: number, s: number, l: number): [number, number, number] {
  const f = (n: number) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return Math.round(255 * (l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1))));
  };
  return [f(0), f(8), f(4)];
}
