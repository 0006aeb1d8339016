import type { ServerResponse } from 'node:http';
import type { OpenedFile } from '../../adapters/storage/index.js';

/** Bytes read and written per step: few syscalls, and 20 downloads at once hold under 20 MB of buffers. */
export const CHUNK_BYTES = 256 * 1024;
/** Writes in flight per download: one being flushed while the next is read, and one more for slack. */
const IN_FLIGHT = 2;

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
  let closed = res.destroyed;
  let wake: () => void = () => {};
  const whenClosed = new Promise<void>((resolve) => {
    wake = resolve;
  });
  const onClose = () => {
    closed = true;
    wake();
  };
  res.once('close', onClose);
  if (closed) wake();

  let bytesSent = 0;
  let position = start;
  const inFlight: Promise<void>[] = [];
  const write = (buffer: Buffer, length: number) => new Promise<void>((resolve) => {
    res.write(length === buffer.length ? buffer : buffer.subarray(0, length), (error) => {
      if (!error) {
        bytesSent += length;
        give(buffer);
      }
      resolve();
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
      if (inFlight.length >= IN_FLIGHT) await Promise.race([inFlight.shift()!, whenClosed]);
    }
    if (!closed) await Promise.race([Promise.all(inFlight), whenClosed]);
    const whole = position > end && !closed;
    if (whole) {
      await Promise.race([new Promise<void>((resolve) => res.end(resolve)), whenClosed]);
    } else if (!closed) {
      res.destroy(); // a short body must not look complete
    }
    return { completed: whole && res.writableFinished, bytesSent };
  } catch (error) {
    res.destroy();
    throw error;
  } finally {
    res.off('close', onClose);
  }
}
