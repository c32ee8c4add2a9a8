/**
 * Hostile-client tooling for the connection tests: raw sockets, the broker process's memory and
 * file descriptors read from /proc, and a real client (kafkajs) that must still work afterwards.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import net from 'node:net';
import { makeKafka } from './kafkajs.js';

export interface ProcMemory {
  rssBytes: number;
  /** Peak RSS since the process started (VmHWM). */
  hwmBytes: number;
}

export function procMemory(pid: number): ProcMemory {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string): number => {
    const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    if (!m) throw new Error(`/proc/${pid}/status has no ${field}`);
    return Number(m[1]) * 1024;
  };
  return { rssBytes: kb('VmRSS'), hwmBytes: kb('VmHWM') };
}

export function openFds(pid: number): number {
  return readdirSync(`/proc/${pid}/fd`).length;
}

export const MiB = 1024 * 1024;

export function mib(bytes: number): string {
  return `${(bytes / MiB).toFixed(0)} MiB`;
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** Polls `check` every 50 ms until it is true or `timeoutMs` passes; returns whether it became true. */
export async function waitFor(check: () => boolean, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (check()) return true;
    await sleep(50);
  }
  return check();
}

export interface RawSocket {
  socket: net.Socket;
  /** Resolves when the socket closes (by either side). */
  closed: Promise<void>;
  isClosed(): boolean;
  connectedAtMs: number;
  /** When it closed (0 while open). */
  closedAtMs(): number;
}

/** A raw TCP connection; errors (resets by the broker) only close it. */
export function rawConnect(port: number, host = '127.0.0.1'): Promise<RawSocket> {
  return new Promise((resolve, reject) => {
    const socket = net.connect({ host, port });
    let closed = false;
    let closedAtMs = 0;
    const closedP = new Promise<void>((r) =>
      socket.once('close', () => {
        closed = true;
        closedAtMs = Date.now();
        r();
      }),
    );
    socket.on('error', () => undefined);
    socket.once('connect', () => resolve({ socket, closed: closedP, isClosed: () => closed, connectedAtMs: Date.now(), closedAtMs: () => closedAtMs }));
    socket.once('close', () => reject(new Error('closed before connecting')));
  });
}

/** A size-prefixed request frame: header v1 (apiKey, version, correlation id, client id) + body. */
export function requestFrame(apiKey: number, apiVersion: number, correlationId: number, body: Buffer): Buffer {
  const clientId = Buffer.from('hostile');
  const frame = Buffer.alloc(4 + 10 + clientId.length + body.length);
  frame.writeInt32BE(frame.length - 4, 0);
  frame.writeInt16BE(apiKey, 4);
  frame.writeInt16BE(apiVersion, 6);
  frame.writeInt32BE(correlationId, 8);
  frame.writeInt16BE(clientId.length, 12);
  clientId.copy(frame, 14);
  body.copy(frame, 14 + clientId.length);
  return frame;
}

/** kafkajs creates a topic, produces one record (acks=-1) and sees the offset advance: the broker still serves a real client. */
export async function kafkajsStillWorks(bootstrap: string, topic: string): Promise<void> {
  const { kafka, logTail } = makeKafka(bootstrap, 'after-hostile');
  const admin = kafka.admin();
  const producer = kafka.producer({ allowAutoTopicCreation: false });
  try {
    await admin.connect();
    const existing = await admin.listTopics();
    if (!existing.includes(topic)) await admin.createTopics({ topics: [{ topic, numPartitions: 1, replicationFactor: 1 }], waitForLeaders: true });
    const before = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
    await producer.connect();
    const meta = await producer.send({ topic, acks: -1, messages: [{ key: 'k', value: 'still works' }] });
    assert.equal(meta[0]!.errorCode, 0);
    const after = Number((await admin.fetchTopicOffsets(topic))[0]!.high);
    assert.equal(after, before + 1, 'the record was appended');
  } catch (err) {
    throw new Error(`kafkajs failed after the hostile phase: ${String(err)}\n${logTail()}`);
  } finally {
    await producer.disconnect().catch(() => undefined);
    await admin.disconnect().catch(() => undefined);
  }
}
