/**
 * Serializers turn keys and values into bytes (and deserializers back, for the consumer).
 * Buffers pass through by default; strings and JSON are built in; any object with `serialize`
 * plugs in.
 */
export interface Serializer<T> {
  serialize(data: T, topic: string): Buffer | null;
}

export interface Deserializer<T> {
  deserialize(data: Buffer | null, topic: string): T;
}

/** The default: Buffers (and Uint8Arrays) as they are; null stays null; strings as UTF-8. */
export const bufferSerializer: Serializer<Buffer | Uint8Array | string | null> = {
  serialize(data) {
    if (data === null || data === undefined) return null;
    if (Buffer.isBuffer(data)) return data;
    if (typeof data === 'string') return Buffer.from(data, 'utf8');
    return Buffer.from(data.buffer, data.byteOffset, data.byteLength);
  },
};

export const stringSerializer: Serializer<string | null> = {
  serialize: (data) => (data === null || data === undefined ? null : Buffer.from(data, 'utf8')),
};

/** JSON.stringify as UTF-8; `null` is a null payload (a tombstone), not the text "null". */
export function jsonSerializer<T>(): Serializer<T | null> {
  return { serialize: (data) => (data === null || data === undefined ? null : Buffer.from(JSON.stringify(data), 'utf8')) };
}

export const bufferDeserializer: Deserializer<Buffer | null> = { deserialize: (data) => data };

export const stringDeserializer: Deserializer<string | null> = {
  deserialize: (data) => (data === null ? null : data.toString('utf8')),
};

export function jsonDeserializer<T>(): Deserializer<T | null> {
  return { deserialize: (data) => (data === null ? null : (JSON.parse(data.toString('utf8')) as T)) };
}
