/**
 * `tributary produce <topic>`: one record per input line, from stdin or --file, like
 * kafka-console-producer / kcat -P.
 */
import { createReadStream } from 'node:fs';
import { createInterface } from 'node:readline';
import { type Command, Option } from 'commander';
import type { ProducerMessage, RecordMetadata } from '../../client/producer/producer.js';
import type { CliContext } from '../context.js';
import { CliError, errorMessage, usageError } from '../errors.js';
import { plural } from '../output.js';
import { acksArg, compressionArg, intArg, keyValueArg, type AcksFlag, type CompressionFlag } from '../parse.js';
import { createProducer, prepareTopic } from '../producing.js';
import { explain, openSession } from '../session.js';

interface ProduceOpts {
  file?: string;
  key?: string;
  keySeparator?: string;
  header?: Array<[string, string]>;
  json?: boolean;
  partition?: number;
  compression?: CompressionFlag;
  acks?: AcksFlag;
  lingerMs?: number;
  batchSize?: number;
  printOffsets?: boolean;
  quiet?: boolean;
  autoCreate?: boolean;
}

/** Records sent but not yet acknowledged before reading more input. */
const MAX_PENDING = 10_000;

export function registerProduceCommand(program: Command, ctx: CliContext): Command {
  return program
    .command('produce')
    .description('Produce records: one per line from stdin (or --file) until end of input.')
    .argument('<topic>', 'topic to write to')
    .option('-f, --file <path>', 'read lines from this file instead of stdin')
    .option('-k, --key <key>', 'the same key for every record')
    .option('-K, --key-separator <sep>', 'each line is <key><sep><value>, split at the first <sep>')
    .option('-H, --header <key=value>', 'a header on every record, repeatable', keyValueArg('-H', 'source=cli'))
    .option('--json', 'each value must be valid JSON (the first invalid line stops with an error)')
    .addOption(new Option('-p, --partition <n>', 'write to this partition (default: by key, or sticky without a key)').argParser(intArg(0)))
    .addOption(new Option('-z, --compression <codec>', 'none, gzip, snappy, lz4 or zstd').argParser(compressionArg))
    .addOption(new Option('--acks <acks>', 'all (-1), 1 or 0').argParser(acksArg))
    .addOption(new Option('--linger-ms <ms>', 'how long a batch waits for more records').argParser(intArg(0)))
    .addOption(new Option('--batch-size <bytes>', 'target batch size per partition').argParser(intArg(1)))
    .option('--print-offsets', 'print "<partition> <offset>" for every record once it is acknowledged')
    .option('--no-auto-create', 'fail if the topic does not exist, even if the broker would create it')
    .option('-q, --quiet', 'no summary on stderr')
    .addHelpText(
      'after',
      `
Each line is one record; an empty line is a record with an empty value. The summary
("Produced N records ...") goes to stderr; stdout stays empty unless --print-offsets.

Examples:
  $ echo 'hello' | tributary produce greetings
  $ tributary produce orders --file orders.txt -z zstd --acks all
  $ printf 'user1:{"n":1}\\nuser2:{"n":2}\\n' | tributary produce users -K : --json
  $ tributary produce audit -H source=cli -H env=dev -p 0 --print-offsets`,
    )
    .action(async (topic: string, opts: ProduceOpts, cmd: Command) => {
      if (opts.key !== undefined && opts.keySeparator !== undefined) throw usageError('use either --key or --key-separator, not both.');
      if (opts.keySeparator === '') throw usageError('--key-separator must not be empty.');
      const s = await openSession(cmd, ctx);
      let input: NodeJS.ReadableStream = process.stdin;
      if (opts.file !== undefined) {
        const stream = createReadStream(opts.file);
        await new Promise<void>((resolve, reject) => {
          stream.once('open', () => resolve());
          stream.once('error', (err) => reject(usageError(`cannot read --file '${opts.file}': ${(err as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : errorMessage(err)}.`)));
        });
        input = stream;
      }
      const producer = createProducer(s, opts);
      let sent = 0;
      let acked = 0;
      let failure: unknown = null;
      let interrupted = false;
      try {
        const partitions = await prepareTopic(s, producer, topic, opts.autoCreate !== false);
        if (opts.partition !== undefined && opts.partition >= partitions) {
          throw new CliError(`topic '${topic}' has no partition ${opts.partition} (it has ${plural(partitions, 'partition')}: 0..${partitions - 1}) — see \`tributary topic describe ${topic}\`.`);
        }
        const headers = opts.header?.map(([key, value]) => ({ key, value }));
        const rl = createInterface({ input, crlfDelay: Infinity, terminal: false });
        ctx.onSignal('SIGINT', () => {
          interrupted = true;
          rl.close();
        });
        let pending = 0;
        let wake: (() => void) | null = null;
        let lineNo = 0;
        for await (const line of rl) {
          lineNo++;
          if (failure) break;
          let key: string | undefined = opts.key;
          let value = line;
          if (opts.keySeparator !== undefined) {
            const at = line.indexOf(opts.keySeparator);
            if (at < 0) {
              throw new CliError(
                `line ${lineNo} has no key separator '${opts.keySeparator}' (expected <key>${opts.keySeparator}<value>); ${plural(sent, 'record')} before it were sent.`,
              );
            }
            key = line.slice(0, at);
            value = line.slice(at + opts.keySeparator.length);
          }
          if (opts.json) {
            try {
              JSON.parse(value);
            } catch (err) {
              throw new CliError(`line ${lineNo} is not valid JSON (${errorMessage(err)}) — fix it, or drop --json to send text; ${plural(sent, 'record')} before it were sent.`);
            }
          }
          const message: ProducerMessage<Buffer | null, Buffer | null> = {
            key: key === undefined ? null : Buffer.from(key, 'utf8'),
            value: Buffer.from(value, 'utf8'),
            ...(headers ? { headers } : {}),
            ...(opts.partition !== undefined ? { partition: opts.partition } : {}),
          };
          pending++;
          sent++;
          producer.send({ topic, messages: [message] }).then(
            (meta: RecordMetadata[]) => {
              acked++;
              if (opts.printOffsets) for (const m of meta) s.ctx.stdout(`${m.partition} ${m.offset}`);
            },
            (err: unknown) => {
              failure ??= err;
            },
          ).finally(() => {
            pending--;
            wake?.();
          });
          while (pending >= MAX_PENDING && !failure) await new Promise<void>((r) => (wake = r));
        }
        await producer.flush();
        if (failure) throw failure;
      } catch (err) {
        throw explain(err, s.settings, { topic });
      } finally {
        await producer.close({ timeoutMs: s.settings.timeoutMs }).catch(() => undefined);
        if (!opts.quiet) {
          const msg = `Produced ${plural(acked, 'record')} to topic '${topic}'${sent > acked ? ` (${sent - acked} not acknowledged)` : ''}.`;
          if (failure || sent > 0 || !interrupted) s.ctx.stderr(msg);
        }
      }
      if (interrupted) ctx.exitCode = 130;
    });
}
