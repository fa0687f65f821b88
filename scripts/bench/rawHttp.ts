/**
 * A lean HTTP/1.1 keep-alive client for load generation: one socket per simulated client,
 * requests written as one buffer, responses parsed by Content-Length. It spends far less
 * CPU per request than node:http, so on a shared 2-core machine the server, not the load
 * generator, is what gets measured. (Chunked responses are not supported; ours never are.)
 */
import net from 'node:net';

export interface RawResponse {
  status: number;
  body: Buffer;
}

/** The bytes of one request to host:port, head and body. */
export function encodeRequest(
  host: string,
  port: number,
  method: string,
  path: string,
  headers: Record<string, string>,
  body: string,
): Buffer {
  const head = `${method} ${path} HTTP/1.1\r\nhost: ${host}:${port}\r\ncontent-length: ${Buffer.byteLength(body)}\r\n${Object.entries(
    headers,
  )
    .map(([k, v]) => `${k}: ${v}\r\n`)
    .join('')}\r\n`;
  return Buffer.from(head + body);
}

export class RawHttpConnection {
  private socket?: net.Socket;
  private buffer: Buffer = Buffer.alloc(0);
  private waiting?: { resolve: (r: RawResponse) => void; reject: (e: Error) => void };

  constructor(
    private readonly host: string,
    private readonly port: number,
  ) {}

  private connect(): Promise<net.Socket> {
    return new Promise((resolve, reject) => {
      const socket = net.connect(this.port, this.host, () => resolve(socket));
      socket.setNoDelay(true);
      socket.on('data', (chunk: Buffer) => this.onData(chunk));
      socket.on('error', (err) => {
        this.socket = undefined;
        this.waiting?.reject(err);
        this.waiting = undefined;
        reject(err);
      });
      socket.on('close', () => {
        this.socket = undefined;
        this.waiting?.reject(new Error('connection closed'));
        this.waiting = undefined;
      });
    });
  }

  private onData(chunk: Buffer) {
    this.buffer = this.buffer.length ? Buffer.concat([this.buffer, chunk]) : chunk;
    const headEnd = this.buffer.indexOf('\r\n\r\n');
    if (headEnd < 0 || !this.waiting) return;
    const head = this.buffer.subarray(0, headEnd).toString('latin1');
    const length = Number(/\r\ncontent-length:\s*(\d+)/i.exec(head)?.[1] ?? 0);
    if (this.buffer.length < headEnd + 4 + length) return;
    const body = this.buffer.subarray(headEnd + 4, headEnd + 4 + length);
    this.buffer = this.buffer.subarray(headEnd + 4 + length);
    const waiting = this.waiting;
    this.waiting = undefined;
    waiting.resolve({ status: Number(head.slice(9, 12)), body });
  }

  request(method: string, path: string, headers: Record<string, string>, body: string): Promise<RawResponse> {
    return this.send(encodeRequest(this.host, this.port, method, path, headers, body));
  }

  /** Sends a request encoded beforehand (so a benchmark's client spends no CPU building it). */
  async send(request: Buffer): Promise<RawResponse> {
    this.socket ??= await this.connect();
    return new Promise((resolve, reject) => {
      this.waiting = { resolve, reject };
      this.socket!.write(request);
    });
  }

  close(): void {
    this.socket?.destroy();
  }
}
