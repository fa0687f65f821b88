/**
 * A front end that drops idle kept-alive connections the way a load balancer does: a request
 * arriving on a connection that sat idle longer than `idleMs` is cut off (the connection reset,
 * nothing forwarded). Everything else is passed to the server behind it.
 */
import net from 'node:net';

export interface IdleDroppingProxy {
  port: number;
  /** Requests cut off because their connection had been idle too long. */
  dropped: number;
  close(): Promise<void>;
}

export async function startIdleDroppingProxy(targetPort: number, idleMs: number): Promise<IdleDroppingProxy> {
  const sockets = new Set<net.Socket>();
  const proxy: IdleDroppingProxy = { port: 0, dropped: 0, close: async () => undefined };
  const server = net.createServer((client) => {
    sockets.add(client);
    const upstream = net.connect(targetPort, '127.0.0.1');
    sockets.add(upstream);
    let lastActive = Date.now();
    client.on('data', (chunk) => {
      if (Date.now() - lastActive > idleMs) {
        proxy.dropped++;
        client.resetAndDestroy();
        upstream.destroy();
        return;
      }
      lastActive = Date.now();
      upstream.write(chunk);
    });
    upstream.on('data', (chunk) => {
      lastActive = Date.now();
      client.write(chunk);
    });
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end).on('error', end);
    upstream.on('close', end).on('error', end);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = (server.address() as net.AddressInfo).port;
  proxy.close = async () => {
    for (const s of sockets) s.destroy();
    await new Promise((resolve) => server.close(resolve));
  };
  return proxy;
}
