import { randomBytes } from 'node:crypto';
import { mkdir, open, rename, rmdir, stat, unlink, type FileHandle } from 'node:fs/promises';
import { basename, dirname, join, resolve, sep } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { assertValidKey, meter, ObjectNotFoundError, type ByteRange, type Storage } from './types.js';

const isMissing = (error: unknown) => (error as NodeJS.ErrnoException).code === 'ENOENT';

/** Creates the file and its directory; again if a delete pruned the directory in between. */
async function openCreating(path: string) {
  for (let attempt = 1; ; attempt++) {
    await mkdir(dirname(path), { recursive: true });
    try {
      return await open(path, 'wx', 0o640);
    } catch (error) {
      if (!isMissing(error) || attempt === 3) throw error;
    }
  }
}

/**
 * Files on local disk under `root`. A put streams to a hidden temp file beside the target and
 * renames it into place once every byte is on disk, so readers never see half a file and an
 * interrupted upload leaves nothing (temp names start with a dot, which no valid key does).
 */
export function localStorage(rootDir: string): Storage {
  const root = resolve(rootDir);

  const pathOf = (key: string) => {
    assertValidKey(key);
    const path = resolve(root, key);
    // Belt and braces: the key rules already make escaping the root impossible.
    if (!path.startsWith(root + sep)) throw new Error('Storage key escapes the storage directory');
    return path;
  };

  /** Removes directories emptied by a delete, up to (not including) the root. */
  async function pruneEmptyParents(path: string) {
    for (let dir = dirname(path); dir.startsWith(root + sep); dir = dirname(dir)) {
      try {
        await rmdir(dir);
      } catch {
        return; // not empty (or already gone): stop here
      }
    }
  }

  return {
    driver: 'local',

    async put(key, body, options = {}) {
      const target = pathOf(key);
      const temp = join(dirname(target), `.${basename(target)}.${randomBytes(6).toString('hex')}.tmp`);
      // Opened before any byte flows, so a failure at any point finds the temp file there to remove.
      const handle = await openCreating(temp);
      const counted = meter(options.maxBytes);
      try {
        // `flush`: the bytes reach the disk (fsync) before the file is closed and renamed into place.
        await pipeline(body, counted.stream, handle.createWriteStream({ flush: true }));
        await rename(temp, target);
        return counted.result();
      } catch (error) {
        body.destroy();
        await handle.close().catch(() => {});
        await unlink(temp).catch(() => {});
        await pruneEmptyParents(temp);
        throw error;
      }
    },

    async stat(key) {
      try {
        const info = await stat(pathOf(key));
        return info.isFile() ? { size: info.size, lastModified: info.mtime, contentType: null } : null;
      } catch (error) {
        if (isMissing(error)) return null;
        throw error;
      }
    },

    async createReadStream(key, range?: ByteRange) {
      const path = pathOf(key);
      let handle;
      try {
        handle = await open(path, 'r');
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
      if (range && (range.start < 0 || range.end < range.start)) {
        await handle.close();
        throw new RangeError(`Invalid byte range ${range.start}-${range.end}`);
      }
      // The open handle keeps the bytes readable even if the file is replaced or deleted meanwhile.
      return handle.createReadStream({ start: range?.start, end: range?.end });
    },

    async openFile(key) {
      let handle: FileHandle;
      try {
        handle = await open(pathOf(key), 'r');
      } catch (error) {
        if (isMissing(error)) throw new ObjectNotFoundError(key);
        throw error;
      }
      const info = await handle.stat().catch(async (error: unknown) => {
        await handle.close();
        throw error;
      });
      if (!info.isFile()) {
        await handle.close();
        throw new ObjectNotFoundError(key);
      }
      let closed = false;
      return {
        size: info.size,
        lastModified: info.mtime,
        version: `${info.size.toString(16)}-${Math.floor(info.mtimeMs).toString(16)}-${info.ino.toString(16)}`,
        async read(buffer, length, position) {
          const { bytesRead } = await handle.read(buffer, 0, length, position);
          return bytesRead;
        },
        async close() {
          if (closed) return;
          closed = true;
          await handle.close().catch(() => {});
        },
      };
    },

    async delete(key) {
      const path = pathOf(key);
      try {
        await unlink(path);
      } catch (error) {
        if (!isMissing(error)) throw error;
      }
      await pruneEmptyParents(path);
    },

    async close() {},
  };
}
