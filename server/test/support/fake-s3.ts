import { createHash, randomBytes } from 'node:crypto';
import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';

/** One request as the fake S3 saw it. */
export interface S3Request {
  method: string;
  /** Path-style: `/bucket/key`. */
  path: string;
  query: Record<string, string>;
  headers: IncomingHttpHeaders;
  bodyBytes: number;
}

export interface FakeS3 {
  url: string;
  requests: S3Request[];
  /** `bucket/key` → bytes. */
  objects: Map<string, Buffer>;
  /** Multipart uploads not yet completed or aborted. */
  uploads: Map<string, { key: string; parts: Map<number, Buffer> }>;
  close(): Promise<void>;
}

const xml = (body: string) => `<?xml version="1.0" encoding="UTF-8"?>\n${body}`;
const ns = 'xmlns="http://s3.amazonaws.com/doc/2006-03-01/"';
const etagOf = (data: Buffer) => `"${createHash('md5').update(data).digest('hex')}"`;
const errorXml = (code: string, message: string) => xml(`<Error><Code>${code}</Code><Message>${message}</Message></Error>`);

/**
 * An HTTP server that answers the S3 REST calls the AWS SDK makes for our storage adapter
 * (path-style PutObject, multipart create/upload part/complete/abort, HeadObject, GetObject with
 * Range, DeleteObject) and records every request. It does not check signatures: tests assert that
 * the SDK sent them. Test-only: it keeps objects in memory.
 */
export async function startFakeS3(): Promise<FakeS3> {
  const requests: S3Request[] = [];
  const objects = new Map<string, Buffer>();
  const uploads = new Map<string, { key: string; parts: Map<number, Buffer> }>();

  const server: Server = createServer(async (req, res) => {
    const url = new URL(req.url ?? '/', 'http://fake-s3');
    const query = Object.fromEntries(url.searchParams);
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const body = Buffer.concat(chunks);
    const path = decodeURIComponent(url.pathname);
    const objectKey = path.slice(1); // bucket/key
    requests.push({ method: req.method ?? '', path, query, headers: req.headers, bodyBytes: body.length });

    const send = (status: number, payload: string | Buffer = '', headers: Record<string, string | number> = {}) => {
      res.writeHead(status, { 'x-amz-request-id': randomBytes(8).toString('hex'), ...headers });
      res.end(payload);
    };

    if (req.method === 'POST' && 'uploads' in query) {
      const uploadId = randomBytes(12).toString('hex');
      uploads.set(uploadId, { key: objectKey, parts: new Map() });
      const [bucket, ...key] = objectKey.split('/');
      return send(200, xml(`<InitiateMultipartUploadResult ${ns}><Bucket>${bucket}</Bucket><Key>${key.join('/')}</Key><UploadId>${uploadId}</UploadId></InitiateMultipartUploadResult>`), { 'content-type': 'application/xml' });
    }
    if (req.method === 'PUT' && query.uploadId) {
      const upload = uploads.get(query.uploadId);
      if (!upload) return send(404, errorXml('NoSuchUpload', 'no such upload'), { 'content-type': 'application/xml' });
      upload.parts.set(Number(query.partNumber), body);
      return send(200, '', { etag: etagOf(body) });
    }
    if (req.method === 'POST' && query.uploadId) {
      const upload = uploads.get(query.uploadId);
      if (!upload) return send(404, errorXml('NoSuchUpload', 'no such upload'), { 'content-type': 'application/xml' });
      const data = Buffer.concat([...upload.parts.entries()].sort(([a], [b]) => a - b).map(([, part]) => part));
      objects.set(upload.key, data);
      uploads.delete(query.uploadId);
      const [bucket, ...key] = upload.key.split('/');
      return send(200, xml(`<CompleteMultipartUploadResult ${ns}><Location>http://fake/${upload.key}</Location><Bucket>${bucket}</Bucket><Key>${key.join('/')}</Key><ETag>${etagOf(data)}</ETag></CompleteMultipartUploadResult>`), { 'content-type': 'application/xml' });
    }
    if (req.method === 'DELETE' && query.uploadId) {
      uploads.delete(query.uploadId);
      return send(204);
    }
    if (req.method === 'PUT') {
      objects.set(objectKey, body);
      return send(200, '', { etag: etagOf(body) });
    }
    const object = objects.get(objectKey);
    if (req.method === 'HEAD') {
      if (!object) return send(404);
      return send(200, '', { 'content-length': object.length, 'content-type': 'application/octet-stream', etag: etagOf(object), 'last-modified': new Date().toUTCString() });
    }
    if (req.method === 'GET') {
      if (!object) return send(404, errorXml('NoSuchKey', 'The specified key does not exist.'), { 'content-type': 'application/xml' });
      const range = /^bytes=(\d+)-(\d+)$/.exec(req.headers.range ?? '');
      if (range) {
        const start = Number(range[1]);
        const end = Math.min(Number(range[2]), object.length - 1);
        return send(206, object.subarray(start, end + 1), { 'content-range': `bytes ${start}-${end}/${object.length}`, 'content-length': end - start + 1 });
      }
      return send(200, object, { 'content-length': object.length, 'content-type': 'application/octet-stream' });
    }
    if (req.method === 'DELETE') {
      objects.delete(objectKey);
      return send(204);
    }
    return send(405, errorXml('MethodNotAllowed', 'not here'), { 'content-type': 'application/xml' });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return {
    url: `http://127.0.0.1:${port}`,
    requests,
    objects,
    uploads,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
