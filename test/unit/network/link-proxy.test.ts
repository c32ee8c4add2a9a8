import assert from 'node:assert/strict';
import { createServer, connect, type Server, type Socket } from 'node:net';
import { test } from 'node:test';
import { LinkProxy } from '../../../src/network/link-proxy.js';

/** LinkProxy forwards, black-holes while cut (nothing crosses, nothing is reset), and forwards again after restore. */

async function echoServer(): Promise<{ server: Server; port: number }> {
  const server = createServer((s) => s.on('data', (d) => s.write(d)));
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  const addr = server.address();
  return { server, port: typeof addr === 'object' && addr ? addr.port : 0 };
}

/** Sends `text` and resolves with what comes back within `ms` ('' when nothing does). */
function roundTrip(port: number, text: string, ms: number): Promise<{ reply: string; socket: Socket }> {
  return new Promise((resolve) => {
    const socket = connect(port, '127.0.0.1');
    let reply = '';
    socket.on('error', () => undefined);
    socket.on('data', (d) => {
      reply += d.toString();
      if (reply === text) resolve({ reply, socket });
    });
    socket.write(text);
    setTimeout(() => resolve({ reply, socket }), ms);
  });
}

test('LinkProxy forwards, black-holes when cut, forwards again when restored', async () => {
  const { server, port } = await echoServer();
  const proxy = await LinkProxy.start('127.0.0.1', () => ({ host: '127.0.0.1', port }));
  try {
    const a = await roundTrip(proxy.port, 'hello', 2000);
    assert.equal(a.reply, 'hello');
    proxy.cut();
    assert.equal(proxy.isCut, true);
    const b = await roundTrip(proxy.port, 'cut', 300);
    assert.equal(b.reply, '', 'nothing crosses a cut link');
    assert.equal(b.socket.destroyed, false, 'the connection is held, not reset');
    proxy.restore();
    const c = await roundTrip(proxy.port, 'again', 2000);
    assert.equal(c.reply, 'again');
    for (const s of [a.socket, b.socket, c.socket]) s.destroy();
  } finally {
    await proxy.close();
    await new Promise((r) => server.close(r));
  }
});
