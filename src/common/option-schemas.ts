import { z } from 'zod';

/** Building blocks of the modules' option schemas; messages name no option (the error prefixes it). */
export const opt = {
  /** An integer from `min` to `max`. */
  int: (min: number, max = Number.MAX_SAFE_INTEGER) =>
    z.number().refine((n) => Number.isInteger(n) && n >= min && n <= max, {
      error:
        max === Number.MAX_SAFE_INTEGER
          ? `must be an integer of at least ${min}`
          : `must be an integer from ${min} to ${max}`,
    }),
  /** An `http(s)://` URL; trailing slashes removed. */
  httpUrl: () =>
    z
      .string()
      .refine((v) => /^https?:\/\/[^\s/]+/i.test(v) && URL.canParse(v), { error: 'must be an http(s) URL' })
      .transform((v) => v.replace(/\/+$/, '')),
  /** A `ws(s)://` URL. */
  wsUrl: () =>
    z
      .string()
      .refine((v) => /^wss?:\/\/[^\s/]+/i.test(v) && URL.canParse(v), { error: 'must be a ws:// or wss:// URL' }),
  /** A non-empty string. */
  text: () => z.string().min(1, { error: 'must not be empty' }),
  /** An object implementing a port: checked for the methods the module calls. */
  port: <T>(methods: readonly string[], what: string) =>
    z.custom<T>(
      (v) =>
        typeof v === 'object' &&
        v !== null &&
        methods.every((m) => typeof (v as Record<string, unknown>)[m] === 'function'),
      { error: `must be ${what} (with ${methods.join(', ')})` },
    ),
};
