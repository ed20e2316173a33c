import { createServer, type Server, type Socket } from 'node:net';
import { Aedes } from 'aedes';

export interface EmbeddedBroker {
  url: string;
  port: number;
  close(): Promise<void>;
}

/**
 * The demo's own MQTT broker (aedes), so `npm start` needs nothing else running. It listens on
 * loopback only; when the wanted port is taken it takes the next free one.
 */
export async function startEmbeddedBroker(options: { host?: string; port?: number; tries?: number } = {}): Promise<EmbeddedBroker> {
  const host = options.host ?? '127.0.0.1';
  const first = options.port ?? 1883;
  const tries = options.tries ?? 50;
  const broker = await Aedes.createBroker();
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.once('close', () => sockets.delete(socket));
    broker.handle(socket);
  });
  for (let port = first; port < first + tries; port++) {
    const ok = await listen(server, host, port);
    if (ok) {
      return {
        url: `mqtt://${host}:${port}`,
        port,
        close: () =>
          new Promise<void>((resolve) => {
            broker.close(() => server.close(() => resolve()));
            for (const s of sockets) s.destroy();
          }),
      };
    }
  }
  broker.close();
  throw new Error(`no free port for the embedded MQTT broker in ${first}-${first + tries - 1}`);
}

function listen(server: Server, host: string, port: number): Promise<boolean> {
  return new Promise((resolve, reject) => {
    const onError = (err: NodeJS.ErrnoException) => {
      server.off('listening', onListening);
      if (err.code === 'EADDRINUSE') resolve(false);
      else reject(err);
    };
    const onListening = () => {
      server.off('error', onError);
      resolve(true);
    };
    server.once('error', onError);
    server.once('listening', onListening);
    server.listen(port, host);
  });
}
