/** The SQL databases the call store runs on. */
export type SqlDialectName = 'sqlite' | 'postgres';

/**
 * Column types that differ between the two. Provider numbers (Retell's epoch-ms timestamps, durations) are 8-byte
 * floats: exact for every integer a JS number holds, and a fractional value from the provider is not an error.
 */
export function columnTypes(dialect: SqlDialectName) {
  return dialect === 'postgres'
    ? ({ timestamp: 'timestamptz', json: 'jsonb', flag: 'boolean', number: 'double precision' } as const)
    : ({ timestamp: 'text', json: 'text', flag: 'integer', number: 'real' } as const);
}
