/**
 * The validators `defineEvent` accepts: anything that implements Standard Schema v1 (the `~standard`
 * property shared by zod ≥ 3.24, valibot ≥ 1, arktype and others). The toolkit depends on this
 * interface only, so an application picks its schema library; the examples and tests use zod.
 */

/** A problem a validator found, with where in the payload it is. */
export interface SchemaIssue {
  readonly message: string;
  readonly path?: ReadonlyArray<PropertyKey | { readonly key: PropertyKey }>;
}

export type SchemaResult<Output> = { readonly value: Output; readonly issues?: undefined } | { readonly issues: ReadonlyArray<SchemaIssue> };

/** The part of Standard Schema v1 this toolkit uses. */
export interface StandardSchema<Input = unknown, Output = Input> {
  readonly '~standard': {
    readonly version: 1;
    readonly vendor: string;
    readonly validate: (value: unknown) => SchemaResult<Output> | Promise<SchemaResult<Output>>;
    readonly types?: { readonly input: Input; readonly output: Output } | undefined;
  };
}

/** The type a schema produces. */
export type SchemaOutput<S extends StandardSchema> = S extends StandardSchema<unknown, infer O> ? O : never;

/** Validates `value`; resolves with the schema's output or with the issues it found. */
export async function validateWith<Output>(schema: StandardSchema<unknown, Output>, value: unknown): Promise<SchemaResult<Output>> {
  return schema['~standard'].validate(value);
}

/** "amount: Too small" style lines, for error messages and dead-letter headers. */
export function formatIssues(issues: ReadonlyArray<SchemaIssue>): string {
  return issues
    .map((issue) => {
      const path = (issue.path ?? []).map((p) => String(typeof p === 'object' && p !== null ? p.key : p)).join('.');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}
