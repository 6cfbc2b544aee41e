import { spawn } from 'node:child_process';
import { client, requireTool, rssKiB, waitFor, type ServerProcess } from '@reactor/testing';
import { startServer } from './helpers';

requireTool('nc', 'netcat-openbsd');

const text = (c: { received: () => Buffer }) => c.received().toString('latin1');

describe('chat server', () => {
  let server: ServerProcess;
  beforeAll(async () => {
    server = await startServer('chat');
  });
  afterAll(async () => {
    await server.stop('SIGKILL');
  });

  test('a line from A reaches B and C, not A; partial lines wait for their newline', async () => {
    const a = await client(server.port);
    await waitFor(() => /you are \[(\d+)\]/.test(text(a)), 5000, 'A greeted');
    const id = /you are \[(\d+)\]/.exec(text(a))![1];
    const b = await client(server.port);
    const c = await client(server.port);
    await waitFor(() => /you are/.test(text(b)) && /you are/.test(text(c)), 5000, 'B and C greeted');
    a.socket.write('hello from A\n');
    await waitFor(() => text(b).includes(`[${id}] hello from A\n`) && text(c).includes(`[${id}] hello from A\n`), 5000, 'B and C get the line');
    // Half a line: nothing goes out until the newline.
    a.socket.write('half a ');
    b.socket.write('ping from B\r\n'); // a round trip through the server, to be sure "half a " was read
    await waitFor(() => text(c).includes('ping from B\n') && text(a).includes('ping from B\n'), 5000, 'B reaches A and C');
    expect(text(b)).not.toContain('half a');
    expect(text(c)).not.toContain('half a');
    a.socket.write('line\n');
    await waitFor(() => text(b).includes(`[${id}] half a line\n`) && text(c).includes(`[${id}] half a line\n`), 5000, 'the joined line');
    expect(text(a)).not.toContain('hello from A');
    expect(text(a)).not.toContain('half a line');
    for (const x of [a, b, c]) x.socket.destroy();
  });

  test('a client that never reads: the server drops its messages, stays small, and the others get every line', async () => {
    const slow = await client(server.port);
    slow.socket.pause(); // never reads
    const sender = await client(server.port);
    const reader = await client(server.port);
    await waitFor(() => /you are \[(\d+)\]/.test(text(sender)) && /you are/.test(text(reader)), 5000, 'greetings');
    const senderId = /you are \[(\d+)\]/.exec(text(sender))![1];
    const before = rssKiB(server.child.pid!);
    let peak = before;
    // 64 MiB in 1 KiB lines, in 256 KiB batches; each batch waits until the
    // reader has it all (the reader is fast: it must lose nothing).
    const line = 'x'.repeat(1000);
    const batch = Array.from({ length: 256 }, (_, i) => `${i} ${line}\n`).join('');
    const perLine = `[${senderId}] `.length;
    let readerBytes = 0;
    reader.socket.removeAllListeners('data');
    reader.socket.on('data', (chunk: Buffer) => (readerBytes += chunk.length));
    const batches = 256;
    const expectedPerBatch = Buffer.byteLength(batch) + 256 * perLine;
    for (let i = 0; i < batches; i++) {
      sender.socket.write(batch);
      await waitFor(() => readerBytes >= (i + 1) * expectedPerBatch, 10000, `batch ${i} at the reader`);
      if (i % 8 === 0) peak = Math.max(peak, rssKiB(server.child.pid!));
    }
    peak = Math.max(peak, rssKiB(server.child.pid!));
    expect(readerBytes).toBe(batches * expectedPerBatch);
    // Measured: ~20 MiB of growth (garbage between collections, socket buffers).
    // The slow client's share is bounded by --max-queue (256 KiB) + socket buffers.
    // Queued for the slow client without a bound, that would be 65 MiB more.
    expect(peak - before).toBeLessThan(40 * 1024);
    // When the slow client finally reads, it is told how much it missed.
    slow.socket.resume();
    await waitFor(() => /\* \d+ messages dropped \(you read too slowly\)/.test(text(slow)), 30000, 'the drop notice');
    for (const x of [slow, sender, reader]) x.socket.destroy();
  }, 60000);

  test('an overlong line is refused and the connection closed', async () => {
    const c = await client(server.port);
    c.socket.write('y'.repeat(9000));
    await waitFor(() => c.closed(), 5000, 'close');
    expect(text(c)).toContain('* error: line too long (max 8192 bytes)\n');
  });

  test('nc can talk to it', async () => {
    const listener = await client(server.port);
    await waitFor(() => /you are/.test(text(listener)), 5000, 'greeting');
    const nc = spawn('nc', ['-q', '1', '127.0.0.1', String(server.port)], { stdio: ['pipe', 'pipe', 'pipe'] });
    let out = '';
    nc.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    await waitFor(() => /you are \[\d+\]/.test(out), 5000, 'nc greeted');
    nc.stdin.write('hi from netcat\n');
    await waitFor(() => /\[\d+\] hi from netcat\n/.test(text(listener)), 5000, 'the line from nc');
    listener.socket.write('hi back\n');
    await waitFor(() => /\[\d+\] hi back\n/.test(out), 5000, 'the line to nc');
    nc.stdin.end();
    expect(await new Promise((r) => nc.on('exit', r))).toBe(0);
    await waitFor(() => /\[\d+\] left\n/.test(text(listener)), 5000, 'leave notice');
    listener.socket.destroy();
  });
});

test('chat: SIGTERM → exit 0', async () => {
  const server = await startServer('chat');
  const c = await client(server.port);
  expect(await server.stop('SIGTERM')).toBe(0);
  c.socket.destroy();
  expect(server.stdout()).toMatch(/chat: \d+ messages dropped in total/);
  expect(server.stderr()).toBe('');
});

test('chat: a client joining while another is leaving with unsent bytes is served (no "write after end" aborting its setup)', async () => {
  const server = await startServer('chat');
  const leaving = await client(server.port);
  await waitFor(() => /you are/.test(text(leaving)), 5000, 'greeting');
  leaving.socket.pause(); // reads no more: its queue at the server stays full
  const sender = await client(server.port);
  const reader = await client(server.port);
  await waitFor(() => /you are/.test(text(sender)) && /you are \[\d+\]; 2 other/.test(text(reader)), 5000, 'greetings');
  const senderId = /you are \[(\d+)\]/.exec(text(sender))![1];
  let readerBytes = 0;
  reader.socket.removeAllListeners('data');
  reader.socket.on('data', (chunk: Buffer) => (readerBytes += chunk.length));
  // 16 MiB, more than the kernel buffers hold for the client that does not read, in
  // 256 KiB batches that the reader takes in full (a fast reader loses nothing).
  const batch = Array.from({ length: 256 }, (_, i) => `${i} ${'x'.repeat(1000)}\n`).join('');
  const perBatch = Buffer.byteLength(batch) + 256 * `[${senderId}] `.length;
  const batches = 64;
  for (let i = 0; i < batches; i++) {
    sender.socket.write(batch);
    await waitFor(() => readerBytes >= (i + 1) * perBatch, 10000, `batch ${i} at the reader`);
  }
  const expected = batches * perBatch;
  // The leaving client half-closes: the server closes it once its queue is sent, which is never.
  await new Promise<void>((resolve) => leaving.socket.end(resolve));
  sender.socket.write('sync\n');
  await waitFor(() => readerBytes >= expected + `[${senderId}] sync\n`.length, 5000, 'a turn after the FIN');
  const joiner = await client(server.port);
  await waitFor(() => /you are \[\d+\]/.test(text(joiner)), 5000, 'the joiner greeted');
  joiner.socket.write('hello from the joiner\n');
  await waitFor(() => text(sender).includes('hello from the joiner\n'), 5000, "the joiner's line at the sender");
  expect(server.stderr()).not.toMatch(/write after end/);
  for (const c of [leaving, sender, reader, joiner]) c.socket.destroy();
  expect(await server.stop('SIGTERM')).toBe(0);
}, 60000);
