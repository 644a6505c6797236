/**
 * A TCP proxy that holds every chunk `delay` ms in each direction (a round
 * trip of twice that), for bench/latency.ts: node delay-proxy.js PORT HOST HOSTPORT DELAY
 * Listens on 127.0.0.1 only.
 */
import net from 'node:net';

const [listen, host, port, delay] = process.argv.slice(2);
net
  .createServer((client) => {
    const server = net.connect(Number(port), host);
    const pipe = (from: net.Socket, to: net.Socket) => {
      from.on('data', (chunk) => setTimeout(() => to.write(chunk), Number(delay)));
      from.on('close', () => setTimeout(() => to.destroy(), Number(delay)));
      from.on('error', () => undefined);
    };
    pipe(client, server);
    pipe(server, client);
  })
  .listen(Number(listen), '127.0.0.1');
