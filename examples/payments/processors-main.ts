/**
 * The payment processors as a process of their own (what the SIGKILL test kills):
 *
 *   node dist/examples/payments/processors-main.js --bootstrap host:port [--instance 0] [--handle-delay-ms 0]
 *
 * Prints `ready` once both processors are subscribed; SIGTERM closes them gracefully.
 */
import { startProcessors } from './services.js';

const arg = (name: string, fallback: string): string => {
  const i = process.argv.indexOf(name);
  return i >= 0 ? process.argv[i + 1]! : fallback;
};

const processors = await startProcessors(arg('--bootstrap', '127.0.0.1:9092'), arg('--instance', '0'), { handleDelayMs: Number(arg('--handle-delay-ms', '0')) });
process.stdout.write('ready\n');
process.once('SIGTERM', () => {
  void processors.bus.close().then(() => process.exit(0));
});
