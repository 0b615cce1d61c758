/**
 * The nemesis between a process and MariaDB: a loopback TCP proxy (node:net) that
 * forwards bytes both ways and, on command, delays them, holds them and delivers them
 * late, drops them (a black hole), or resets every connection.
 *
 * Bytes are forwarded in order per direction: a delay or a hold applies to a queue, so
 * what is delivered late is delivered whole and in order, as TCP would after a link
 * came back. A black hole discards what it receives; the connections it swallowed are
 * reset when it ends (a peer that kept retransmitting would have given up).
 */
import { createServer, connect, type Server, type Socket } from 'node:net';

export type LinkMode =
  | { readonly kind: 'pass' }
  | { readonly kind: 'delay'; readonly ms: number }
  | { readonly kind: 'hold' }
  | { readonly kind: 'blackhole' };

interface Pipe {
  readonly from: Socket;
  readonly to: Socket;
  readonly queue: { at: number; data: Buffer }[];
  timer: NodeJS.Timeout | undefined;
  /** Set when the black hole swallowed bytes of this pipe: the pair is reset when it ends. */
  tainted: boolean;
}

export interface FaultProxy {
  readonly port: number;
  /** How bytes flow from now on (also for connections opened later). */
  set(mode: LinkMode): void;
  /** Resets (RST) every open connection; new ones are accepted. */
  reset(): void;
  close(): Promise<void>;
}

export async function startFaultProxy(targetPort: number, targetHost = '127.0.0.1'): Promise<FaultProxy> {
  let mode: LinkMode = { kind: 'pass' };
  const pipes = new Set<Pipe>();
  const sockets = new Set<Socket>();

  const flush = (pipe: Pipe) => {
    clearTimeout(pipe.timer);
    pipe.timer = undefined;
    if (mode.kind === 'hold') return;
    const now = Date.now();
    while (pipe.queue.length > 0 && pipe.queue[0]!.at <= now) {
      const { data } = pipe.queue.shift()!;
      if (!pipe.to.destroyed) pipe.to.write(data);
    }
    if (pipe.queue.length > 0) pipe.timer = setTimeout(() => flush(pipe), Math.max(1, pipe.queue[0]!.at - now));
  };

  const forward = (pipe: Pipe, data: Buffer) => {
    if (mode.kind === 'blackhole') {
      pipe.tainted = true;
      return;
    }
    const at = Date.now() + (mode.kind === 'delay' ? mode.ms : 0);
    pipe.queue.push({ at, data });
    if (mode.kind !== 'hold' && !pipe.timer) flush(pipe);
  };

  const track = (socket: Socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
    socket.on('error', () => undefined);
  };

  const server: Server = createServer((client) => {
    const upstream = connect(targetPort, targetHost);
    track(client);
    track(upstream);
    const up: Pipe = { from: client, to: upstream, queue: [], timer: undefined, tainted: false };
    const down: Pipe = { from: upstream, to: client, queue: [], timer: undefined, tainted: false };
    pipes.add(up);
    pipes.add(down);
    client.on('data', (data) => forward(up, data));
    upstream.on('data', (data) => forward(down, data));
    const end = () => {
      pipes.delete(up);
      pipes.delete(down);
      clearTimeout(up.timer);
      clearTimeout(down.timer);
      client.destroy();
      upstream.destroy();
    };
    client.on('close', end);
    upstream.on('close', end);
  });
  const port = await new Promise<number>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve((server.address() as { port: number }).port));
  });

  const resetAll = (only?: (pipe: Pipe) => boolean) => {
    for (const pipe of [...pipes]) {
      if (only && !only(pipe)) continue;
      pipe.from.resetAndDestroy();
      pipe.to.resetAndDestroy();
    }
  };

  return {
    port,
    set(next) {
      const leaving = mode;
      mode = next;
      if (leaving.kind === 'blackhole' && next.kind !== 'blackhole') resetAll((pipe) => pipe.tainted);
      for (const pipe of pipes) flush(pipe);
    },
    reset: () => resetAll(),
    close: () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.destroy();
        server.close(() => resolve());
      }),
  };
}
