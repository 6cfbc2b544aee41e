/**
 * A minimal HTTP/1.1 request framer for the "hello" responder: finds where
 * each request ends (headers, then a Content-Length body), with the limits
 * that keep a malicious peer from growing memory without bound.
 */
export interface RequestHead {
  method: string;
  target: string;
  version: '1.0' | '1.1';
  keepAlive: boolean;
  /** Bytes of head + body. */
  length: number;
}

export const MAX_HEAD_BYTES = 8 * 1024;
export const MAX_BODY_BYTES = 1024 * 1024;

export class HttpError extends Error {
  constructor(readonly status: number, message: string) {
    super(message);
  }
}

const CRLFCRLF = Buffer.from('\r\n\r\n');
// The target is visible ASCII only (RFC 9112 §3.2): \S let a NUL or other control byte through.
const REQUEST_LINE = /^([A-Z]{1,16}) ([\x21-\x7e]{1,4096}) HTTP\/1\.([01])$/;
/** A header name is a token (RFC 9110 §5.1); whitespace before the colon is a 400 (RFC 9112 §5.1). */
const HEADER_NAME = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Control bytes other than HTAB may not appear in a header value (RFC 9110 §5.5). */
const BAD_VALUE_BYTE = /[\x00-\x08\x0a-\x1f\x7f]/;

/** Parse the request at the start of `buf`; null when more bytes are needed. */
export function parseRequest(buf: Buffer): RequestHead | null {
  const end = buf.indexOf(CRLFCRLF);
  if (end < 0) {
    // A head of MAX_HEAD_BYTES may still be followed by the first 3 bytes of
    // its CRLFCRLF: refusing those would make the verdict depend on how the
    // bytes were split into reads.
    if (buf.length > MAX_HEAD_BYTES + 3) throw new HttpError(431, 'request head too large');
    return null;
  }
  if (end > MAX_HEAD_BYTES) throw new HttpError(431, 'request head too large');
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const m = REQUEST_LINE.exec(lines[0]!);
  if (m === null) throw new HttpError(400, 'bad request line');
  const version = m[3] === '1' ? '1.1' : '1.0';
  let keepAlive = version === '1.1';
  let contentLength = 0;
  let sawContentLength = false;
  for (let i = 1; i < lines.length; i++) {
    const line = lines[i]!;
    const colon = line.indexOf(':');
    if (colon <= 0) throw new HttpError(400, 'bad header line');
    const rawName = line.slice(0, colon);
    if (!HEADER_NAME.test(rawName)) throw new HttpError(400, 'bad header name');
    const name = rawName.toLowerCase();
    const value = line.slice(colon + 1).trim();
    if (BAD_VALUE_BYTE.test(value)) throw new HttpError(400, 'bad header value');
    if (name === 'content-length') {
      if (!/^\d{1,10}$/.test(value)) throw new HttpError(400, 'bad content-length');
      // Two lengths that differ: which one frames the body is ambiguous (request smuggling); RFC 9112 §6.3 says 400.
      if (sawContentLength && Number(value) !== contentLength) throw new HttpError(400, 'conflicting content-length');
      sawContentLength = true;
      contentLength = Number(value);
      if (contentLength > MAX_BODY_BYTES) throw new HttpError(413, 'body too large');
    } else if (name === 'transfer-encoding') {
      throw new HttpError(501, 'transfer-encoding not supported');
    } else if (name === 'connection') {
      const v = value.toLowerCase();
      if (v.includes('close')) keepAlive = false;
      else if (v.includes('keep-alive')) keepAlive = true;
    }
  }
  const length = end + 4 + contentLength;
  if (buf.length < length) return null;
  return { method: m[1]!, target: m[2]!, version, keepAlive, length };
}
