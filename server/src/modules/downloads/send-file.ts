import type { ServerResponse } from 'node:http';
import type { OpenedFile } from '../../adapters/storage/index.js';

/** Bytes read and written per step: few syscalls, and 20 downloads at once hold under 20 MB of buffers. */
export const CHUNK_BYTES = 256 * 1024;
/** Writes in flight per download: the socket always has the next chunk while one more is read. */
const IN_FLIGHT = 3;

/**
 * Buffers are reused rather than allocated per chunk: a download allocates nothing as it goes, so memory stays
 * flat however many run at once and however long they are, instead of rising with garbage until the next GC.
 * A buffer goes back only once the socket has taken its bytes (the write's callback without an error).
 */
const pool: Buffer[] = [];
const POOL_MAX = 64;
const take = () => pool.pop() ?? Buffer.allocUnsafeSlow(CHUNK_BYTES);
const give = (buffer: Buffer) => {
  if (pool.length < POOL_MAX) pool.push(buffer);
};

export interface SendOutcome {
  /** Every byte of the range was handed to the socket and the response ended. */
  completed: boolean;
  /** Bytes the socket took. */
  bytesSent: number;
}

/**
 * Writes bytes `start`…`end` (inclusive) of an open file to a response whose head is already written, with
 * backpressure (the next chunk waits for the socket to take an earlier one). Stops when the client goes away.
 * The file handle is the caller's to close (always, whatever happened).
 */
export async function sendFileRange(file: OpenedFile, res: ServerResponse, start: number, end: number): Promise<SendOutcome> {
  // Whatever waits on the socket is released when the response closes (one listener, nothing left behind).
  let closed = res.destroyed;
  const waiting = new Set<() => void>();
  const onClose = () => {
    closed = true;
    for (const release of waiting) release();
    waiting.clear();
  };
  res.once('close', onClose);
  const untilDone = (begin: (done: () => void) => void) => new Promise<void>((resolve) => {
    if (closed) return resolve();
    const done = () => {
      waiting.delete(done);
      resolve();
    };
    waiting.add(done);
    begin(done);
  });

  let bytesSent = 0;
  let position = start;
  const inFlight: Promise<void>[] = [];
  const write = (buffer: Buffer, length: number) => untilDone((done) => {
    res.write(length === buffer.length ? buffer : buffer.subarray(0, length), (error) => {
      if (!error) {
        bytesSent += length;
        give(buffer);
      }
      done();
    });
  });

  try {
    while (position <= end && !closed) {
      const buffer = take();
      let read: number;
      try {
        read = await file.read(buffer, Math.min(CHUNK_BYTES, end - position + 1), position);
      } catch (error) {
        give(buffer);
        throw error;
      }
      if (read === 0) {
        give(buffer); // the file became shorter than its headers said: stop short
        break;
      }
      position += read;
      if (closed) break;
      inFlight.push(write(buffer, read));
      if (inFlight.length >= IN_FLIGHT) await inFlight.shift();
    }
    await Promise.all(inFlight);
    const whole = position > end && !closed;
    if (whole) await untilDone((done) => res.end(done));
    else if (!closed) res.destroy(); // a short body must not look complete
    return { completed: whole && res.writableFinished, bytesSent };
  } catch (error) {
    res.destroy();
    throw error;
  } finally {
    res.off('close', onClose);
  }
}
